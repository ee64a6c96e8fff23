//! Raise a Task's priority: it is past its due time.

use super::fields;
use super::task::complete_state;
use crate::action::{ActionError, Effect, Kind, Local};
use crate::change::{Change, Resolution, Server, Standing};
use chrono::{DateTime, Utc};
use serde_json::json;
use switchboard_core::TaskPriority;
use switchboard_fhir::FhirError;

fields!(
    pub struct Escalate {
        pub task: String,
        pub priority: TaskPriority,
    }
);

impl Kind for Escalate {
    fn local_effect(&self, local: &Local<'_>) -> Result<Effect, ActionError> {
        let mut current = local.server_resource("Task", &self.task)?;
        current["priority"] = json!(self.priority);
        Ok(Effect::one(current))
    }

    async fn reconcile(&self, server: &impl Server, _: &[Change], _: DateTime<Utc>) -> Result<Resolution, FhirError> {
        let current = server.read("Task", &self.task).await?;
        Ok(match complete_state(&current) {
            // Closed meanwhile: nothing left to escalate.
            Standing::Done | Standing::Blocked(_) => Resolution::Done(vec![current]),
            Standing::Open => Standing::Open.resolve(current, |t| t["priority"] = json!(self.priority)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::change::recorded::{settle, Recorded};

    #[test]
    fn a_closed_task_is_left_as_it_is_and_an_open_one_raised() {
        let reconcile = |status: &str| {
            let server = Recorded::with(&[json!({"resourceType": "Task", "id": "t1", "status": status, "priority": "routine"})]);
            settle(Escalate { task: "t1".into(), priority: TaskPriority::Urgent }.reconcile(&server, &[], Utc::now())).unwrap()
        };
        assert!(matches!(reconcile("completed"), Resolution::Done(copies) if copies[0]["priority"] == "routine"));
        assert!(matches!(reconcile("cancelled"), Resolution::Done(_)));
        let Resolution::Reapply(changes) = reconcile("in-progress") else { panic!() };
        assert!(matches!(&changes[..], [Change::Update(t)] if t["priority"] == "urgent"));
    }
}
