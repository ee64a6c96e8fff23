//! A callback Task about a patient, for a role pool or a person.

use super::fields;
use crate::action::{ActionError, Effect, Kind, Local};
use crate::cache::{new_task, require_text, NewTask};
use crate::change::{create_refused, Change, Resolution, Server};
use chrono::{DateTime, Utc};
use switchboard_core::TaskPriority;
use switchboard_fhir::FhirError;

fields!(
    pub struct TaskCreate {
        pub patient: String,
        pub reason: String,
        pub priority: TaskPriority,
        pub due: Option<String>,
        pub owner: Option<String>,
    }
);

impl Kind for TaskCreate {
    fn local_effect(&self, local: &Local<'_>) -> Result<Effect, ActionError> {
        local.require_patient(&self.patient)?;
        require_text(&self.reason, "a task needs a reason")?;
        local.require_future(self.due.as_deref(), "due")?;
        let task =
            NewTask { patient: &self.patient, description: &self.reason, priority: self.priority, due: self.due.as_deref(), owner: self.owner.as_deref() };
        Ok(Effect::one(new_task(local.id, task, local.now)))
    }

    async fn reconcile(&self, _: &impl Server, _: &[Change], _: DateTime<Utc>) -> Result<Resolution, FhirError> {
        Ok(create_refused())
    }
}
