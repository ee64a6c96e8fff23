//! Close a Task with an outcome note.

use super::fields;
use super::task::complete_state;
use crate::action::{invalid, ActionError, Effect, Kind, Local};
use crate::cache::require_text;
use crate::change::{Change, Resolution, Server, Standing};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};
use switchboard_fhir::FhirError;

fields!(
    pub struct TaskComplete {
        pub task: String,
        pub note: String,
    }
);

impl TaskComplete {
    fn apply(&self, task: &mut Value, now: DateTime<Utc>) {
        task["status"] = json!("completed");
        let entry = json!({"text": self.note, "time": now.to_rfc3339_opts(SecondsFormat::Secs, true)});
        match task.get_mut("note").and_then(Value::as_array_mut) {
            Some(notes) => notes.push(entry),
            None => task["note"] = json!([entry]),
        }
    }
}

impl Kind for TaskComplete {
    fn local_effect(&self, local: &Local<'_>) -> Result<Effect, ActionError> {
        require_text(&self.note, "completing a task needs an outcome note")?;
        let mut current = local.server_resource("Task", &self.task)?;
        if let Standing::Blocked(words) = complete_state(&current) {
            return Err(invalid(words));
        }
        self.apply(&mut current, local.now);
        Ok(Effect::one(current))
    }

    async fn reconcile(&self, server: &impl Server, _: &[Change], now: DateTime<Utc>) -> Result<Resolution, FhirError> {
        let current = server.read("Task", &self.task).await?;
        Ok(complete_state(&current).resolve(current, |t| self.apply(t, now)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::change::recorded::{settle, Recorded};

    fn reconcile(status: &str) -> Resolution {
        let server = Recorded::with(&[json!({"resourceType": "Task", "id": "t1", "status": status, "note": [{"text": "left a message"}]})]);
        let complete = TaskComplete { task: "t1".into(), note: "spoke to patient".into() };
        settle(complete.reconcile(&server, &[], Utc::now())).unwrap()
    }

    #[test]
    fn completed_already_is_done_cancelled_blocks_and_open_completes_keeping_notes() {
        assert!(matches!(reconcile("completed"), Resolution::Done(_)));
        assert!(matches!(reconcile("cancelled"), Resolution::Blocked(words, _) if words == "the task is already cancelled"));
        let Resolution::Reapply(changes) = reconcile("in-progress") else { panic!() };
        let [Change::Update(t)] = changes.as_slice() else { panic!() };
        assert_eq!(t["status"], "completed");
        assert_eq!(t["note"].as_array().unwrap().len(), 2, "a colleague's note stays");
    }
}
