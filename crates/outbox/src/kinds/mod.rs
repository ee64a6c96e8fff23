//! One module per kind of action: its fields, its check and local effect, and its reconciliation
//! after a version conflict.

mod appointment;
mod attendance;
mod book;
mod call_log;
mod cancel;
mod escalate;
mod hl7_feed;
mod intake;
mod link_decision;
mod note;
mod remind;
mod reschedule;
mod rule_reminder;
mod rule_task;
mod task;
mod task_claim;
mod task_complete;
mod task_create;
mod withdraw;

pub use attendance::{Arrived, NoShow};
pub use book::Book;
pub use call_log::CallLog;
pub use cancel::Cancel;
pub use escalate::Escalate;
pub use hl7_feed::Hl7Feed;
pub use intake::Intake;
pub use link_decision::LinkDecision;
pub use note::Note;
pub use remind::Remind;
pub use reschedule::Reschedule;
pub use rule_reminder::RuleReminder;
pub use rule_task::RuleTask;
pub use task_claim::TaskClaim;
pub use task_complete::TaskComplete;
pub use task_create::TaskCreate;
pub use withdraw::Withdraw;

/// Derives shared by every kind's fields: serde, and the TypeScript binding for the window.
macro_rules! fields {
    ($(#[$meta:meta])* pub struct $name:ident { $($body:tt)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "wire", derive(ts_rs::TS))]
        pub struct $name { $($body)* }
    };
}
pub(crate) use fields;
