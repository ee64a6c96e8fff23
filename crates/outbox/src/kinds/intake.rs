//! A confirmed call intake: the caller's words and the reviewed summary as a Communication, and a Task
//! for the team it is routed to, in one transaction.

use super::fields;
use crate::action::{local_id, ActionError, Effect, Kind, Local};
use crate::cache::{new_note, new_task, require_text, NewTask};
use crate::change::{create_refused, Change, Resolution, Server};
use chrono::{DateTime, Utc};
use serde_json::json;
use switchboard_core::TaskPriority;
use switchboard_fhir::FhirError;

fields!(
    pub struct Intake {
        pub patient: String,
        pub note: String,
        pub summary: String,
        pub owner: String,
        pub priority: TaskPriority,
        pub due: String,
    }
);

impl Kind for Intake {
    fn local_effect(&self, local: &Local<'_>) -> Result<Effect, ActionError> {
        local.require_patient(&self.patient)?;
        require_text(&self.summary, "an intake needs the caller's words and a summary")?;
        require_text(&self.note, "an intake needs the caller's words and a summary")?;
        let mut communication = new_note(local.id, &self.patient, &self.summary, local.now);
        communication["category"] = json!([{"text": "Call intake"}]);
        if let Some(payload) = communication["payload"].as_array_mut() {
            payload.push(json!({"contentString": format!("Caller's words: {}", self.note)}));
        }
        let routed = NewTask { patient: &self.patient, description: &self.summary, priority: self.priority, due: Some(&self.due), owner: Some(&self.owner) };
        let task = new_task(&switchboard_store::new_uuid(), routed, local.now);
        Ok(Effect { target: format!("Communication/{}", local_id(local.id)), changed: vec![communication, task] })
    }

    fn expected_changes(&self) -> usize {
        2
    }

    async fn reconcile(&self, _: &impl Server, _: &[Change], _: DateTime<Utc>) -> Result<Resolution, FhirError> {
        Ok(create_refused())
    }
}
