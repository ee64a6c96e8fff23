//! Staff actions and their delivery.
//!
//! `queue` checks an action against the cache, applies its effect locally and writes the outbox row, in
//! one transaction: the change shows at once, marked pending, and survives a crash. `drain` delivers
//! queued actions in order, each exactly once: creates are conditional on an identifier minted on the
//! device, updates carry `If-Match`, and a 412/409 re-reads the server and re-applies the intent (or
//! reports the conflict) rather than overwriting a colleague's change. Each kind of action is a module
//! of `kinds`.

mod action;
pub mod audit;
mod cache;
mod change;
mod deliver;
pub mod identity;
pub mod kinds;

pub use action::{prepare, queue, Action, ActionError, Prepared, Queued, StaffAction, ACTION_SYSTEM, CALL_SYSTEM, RULE_SYSTEM};
pub use cache::{made_by_rule, rule_identifier};
pub use change::{Change, Resolution, Server};
pub use deliver::{drain, DrainReport};
