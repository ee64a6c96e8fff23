//! The words the code relies on, defined once: task priority and its escalation step, outbox and call
//! states, the FHIR status sets the code tests against, and the id of a resource made here and not
//! yet on a server.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Defines a string-valued enum: its serde form, its words, parsing with an error that lists them.
macro_rules! word_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "wire", derive(ts_rs::TS))]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $word)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(text: &str) -> Result<Self, String> {
                $name::ALL.iter().copied().find(|v| v.as_str() == text).ok_or_else(|| {
                    let words: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                    format!("`{text}` is not one of {}", words.join(", "))
                })
            }
        }
    };
}

word_enum!(
    /// FHIR `Task.priority`, lowest first.
    TaskPriority, "priority" { Routine = "routine", Urgent = "urgent", Asap = "asap", Stat = "stat" }
);

impl TaskPriority {
    /// One step up, for an overdue task; `None` when it is already `stat`.
    pub fn escalated(self) -> Option<TaskPriority> {
        match self {
            TaskPriority::Routine => Some(TaskPriority::Urgent),
            TaskPriority::Urgent => Some(TaskPriority::Asap),
            TaskPriority::Asap => Some(TaskPriority::Stat),
            TaskPriority::Stat => None,
        }
    }
}

word_enum!(
    /// Where a queued staff action stands.
    OutboxState, "state" {
        /// Waiting to be delivered (or to be retried after a transient failure).
        Pending = "pending",
        Sent = "sent",
        /// The server refused it for good; staff can retry or discard it.
        Failed = "failed",
        /// A colleague's change got there first; staff can retry or discard it.
        Conflict = "conflict",
        Discarded = "discarded",
    }
);

word_enum!(
    /// A call's state in the local call log, and how it ended.
    CallDisposition, "disposition" { Ringing = "ringing", Answered = "answered", Completed = "completed", Missed = "missed" }
);

/// FHIR status sets, each defined once.
pub mod status {
    /// `Task.status` values of work still to do (the worklist, escalation of overdue tasks).
    pub const OPEN_TASK: &[&str] = &["requested", "received", "accepted", "ready", "in-progress", "on-hold"];
    /// `Task.status` values after which nothing more happens to a task.
    pub const CLOSED_TASK: &[&str] = &["completed", "cancelled", "failed", "rejected", "entered-in-error"];
    /// `Appointment.status` values of an appointment still ahead: it can be moved or cancelled.
    pub const LIVE_APPOINTMENT: &[&str] = &["proposed", "pending", "booked", "waitlist"];
    /// `MedicationRequest.status` values of a medication the patient is on.
    pub const ACTIVE_MEDICATION: &[&str] = &["active", "on-hold", "intended"];
}

/// The cache id of a resource created by a queued action, until the server gives it one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalId(String);

impl LocalId {
    const PREFIX: &'static str = "local-";

    /// The id of what the action `action_id` creates.
    pub fn for_action(action_id: &str) -> LocalId {
        LocalId(format!("{}{action_id}", LocalId::PREFIX))
    }

    /// Whether a resource id is one made here and not yet delivered.
    pub fn is_local(id: &str) -> bool {
        id.starts_with(LocalId::PREFIX)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LocalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_and_unknown_ones_are_named() {
        for p in TaskPriority::ALL {
            assert_eq!(p.as_str().parse::<TaskPriority>(), Ok(*p));
            assert_eq!(serde_json::to_string(p).unwrap(), format!("\"{p}\""));
        }
        assert_eq!("urgnt".parse::<TaskPriority>().unwrap_err(), "`urgnt` is not one of routine, urgent, asap, stat");
        assert_eq!("conflict".parse::<OutboxState>(), Ok(OutboxState::Conflict));
    }

    #[test]
    fn escalation_climbs_one_step_and_stops_at_stat() {
        let mut p = TaskPriority::Routine;
        let mut steps = vec![p];
        while let Some(next) = p.escalated() {
            assert!(next > p);
            steps.push(next);
            p = next;
        }
        assert_eq!(steps, TaskPriority::ALL);
    }

    #[test]
    fn local_ids_are_recognised() {
        let id = LocalId::for_action("abc");
        assert!(LocalId::is_local(id.as_str()));
        assert!(!LocalId::is_local("abc"));
    }
}

word_enum!(
    /// What an audit event records (`AuditEvent` in the BALP shapes): a read of one patient, a query
    /// over many, a call pop, an intake analysis, an export, a staff action, a refused action or a
    /// failed sign-in.
    AuditAction, "audit action" {
        View = "view",
        Search = "search",
        List = "list",
        CallPop = "call-pop",
        Intake = "intake",
        Export = "export",
        Action = "action",
        Refused = "refused",
        SignInFailed = "sign-in-failed",
    }
);

impl AuditAction {
    /// Whether the event records something that failed or was refused (the AuditEvent's outcome).
    pub fn failed(self) -> bool {
        matches!(self, AuditAction::Refused | AuditAction::SignInFailed)
    }
}

word_enum!(
    /// What a signed-in person does at the clinic, from their PractitionerRole codes through
    /// `[roles]`: it sets their home screen, their pool and the actions Rust lets them take.
    StaffRole, "role" { Agent = "agent", Frontdesk = "frontdesk", Nurse = "nurse", Supervisor = "supervisor" }
);

impl StaffRole {
    /// The task pool the role works.
    pub fn pool(self) -> Option<&'static str> {
        match self {
            StaffRole::Agent => Some("Call center"),
            StaffRole::Frontdesk => Some("Front desk"),
            StaffRole::Nurse => Some("Nurse pool"),
            StaffRole::Supervisor => None,
        }
    }
}
