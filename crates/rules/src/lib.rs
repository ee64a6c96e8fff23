//! Orchestration rules. Every ingest writes the change feed; the rules read it after each sync and the
//! clock ticks the time-based ones. What they make (callback and recall Tasks, reminders, escalations)
//! goes through the outbox with an identifier that is the same on every workstation, so the clinic's
//! server ends up with one of each; alerts stay in the cache of each workstation, which all raise the same
//! ones from the same data.

mod engine;
mod hours;
mod model;

pub use engine::{on_changes, tick, RunReport};
pub use hours::Clinic;
pub use model::{load_rules, parse_rules, Dedupe, Origin, Rule, RuleSet, RuleView, RulesError, Trigger, WorkRouting, BUILTIN};
