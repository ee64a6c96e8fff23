//! What a signed-in person's role lets them do, checked in Rust before anything is queued (the
//! window's buttons follow, but are not what refuses). A role comes from the person's PractitionerRole
//! codes through `[roles]`; `[roles.allow]` adds action kinds to a role.

use crate::context::App;
use crate::error::AppError;
use serde_json::Value;
use switchboard_core::StaffRole;
use switchboard_outbox::Action;
use switchboard_store::{AuditFilter, AuditRow, Store};

impl App {
    /// The signed-in person's role, when the clinic maps roles and they have one.
    pub fn role(&self) -> Option<StaffRole> {
        self.signed_in().and_then(|session| session.role)
    }

    /// Whether roles are enforced here: someone is signed in and the clinic maps roles.
    pub fn roles_enforced(&self) -> bool {
        self.signed_in().is_some() && !self.config.roles.codes.is_empty()
    }

    /// Why the action is outside the person's role, or None when it is theirs to take.
    pub fn refusal(&self, store: &Store, source: &str, action: &Action) -> Option<String> {
        if let (Action::TaskClaim(claim), Some(me)) = (action, self.actor().practitioner) {
            if claim.owner != me {
                return Some(format!("signed in as {me}, you claim tasks for yourself, not for {}", claim.owner));
            }
        }
        if !self.roles_enforced() {
            return None;
        }
        let kind = action.kind_name();
        let Some(role) = self.role() else {
            return Some("your sign-in maps to no role in this clinic's [roles]; ask IT to add your PractitionerRole code".into());
        };
        if self.config.roles.allow.get(&role).is_some_and(|kinds| kinds.contains(&kind)) {
            return None;
        }
        let refused = match (role, action) {
            (StaffRole::Nurse | StaffRole::Supervisor, _) => false,
            // Claiming or completing work is for the pool that owns it.
            (StaffRole::Agent | StaffRole::Frontdesk, Action::TaskClaim(claim)) => !owned_by_pool(store, source, &claim.task, role),
            (StaffRole::Agent | StaffRole::Frontdesk, Action::TaskComplete(complete)) => !owned_by_pool(store, source, &complete.task, role),
            // Arrival and no-show are marked at the front desk.
            (StaffRole::Agent, Action::Arrived(_) | Action::NoShow(_)) => true,
            _ => false,
        };
        let owner = match action {
            Action::TaskClaim(claim) => task_owner(store, source, &claim.task),
            Action::TaskComplete(complete) => task_owner(store, source, &complete.task),
            _ => None,
        };
        let what = match owner {
            Some(owner) => format!("{kind} a task owned by {owner}"),
            None => kind,
        };
        refused.then(|| format!("{} may not {what}; ask a colleague whose role it is, or IT to allow it in [roles.allow]", role_name(role)))
    }

    /// The audit log, for a supervisor once roles are enforced (anyone at the workstation before).
    pub fn audit_log(&self, store: &Store, filter: &AuditFilter) -> Result<Vec<AuditRow>, AppError> {
        if self.roles_enforced() && self.role() != Some(StaffRole::Supervisor) {
            return Err(AppError::Invalid("the audit log is for supervisors: ask one, or IT to map your PractitionerRole to supervisor".into()));
        }
        Ok(store.audit_log(filter)?)
    }
}

fn role_name(role: StaffRole) -> &'static str {
    match role {
        StaffRole::Agent => "A call-center agent",
        StaffRole::Frontdesk => "The front desk",
        StaffRole::Nurse => "A nurse",
        StaffRole::Supervisor => "A supervisor",
    }
}

fn task_owner(store: &Store, source: &str, task: &str) -> Option<String> {
    let json = store.resource(source, "Task", task).ok()??;
    let task: Value = serde_json::from_str(&json).ok()?;
    task["owner"]["display"].as_str().or(task["owner"]["reference"].as_str()).map(str::to_string)
}

fn owned_by_pool(store: &Store, source: &str, task: &str, role: StaffRole) -> bool {
    task_owner(store, source, task).as_deref() == role.pool()
}
