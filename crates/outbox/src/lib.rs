//! Staff actions and their delivery.
//!
//! `queue` checks an action against the cache, applies its effect locally and writes the outbox row, in
//! one transaction: the change shows at once, marked pending, and survives a crash. `drain` delivers
//! queued actions in order, each exactly once: creates are conditional on an identifier minted on the
//! device, updates carry `If-Match`, and a 412/409 re-reads the server and re-applies the intent (or
//! reports the conflict) rather than overwriting a colleague's change.

mod action;
mod deliver;
mod schedule;

pub use action::{made_by_rule, prepare, queue, rule_identifier, Prepared, Action, ActionError, Queued, ACTION_SYSTEM, CALL_SYSTEM, RULE_SYSTEM};
pub use deliver::{drain, DrainReport};
