//! Take a Task: owner set and `in-progress`. Won by exactly one person (`If-Match`).

use super::fields;
use super::task::claim_state;
use crate::action::{invalid, ActionError, Effect, Kind, Local};
use crate::change::{Change, Resolution, Server, Standing};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use switchboard_fhir::FhirError;

fields!(
    pub struct TaskClaim {
        pub task: String,
        pub owner: String,
    }
);

impl TaskClaim {
    fn apply(&self, task: &mut Value) {
        task["owner"] = json!({"reference": self.owner});
        task["status"] = json!("in-progress");
    }
}

impl Kind for TaskClaim {
    fn local_effect(&self, local: &Local<'_>) -> Result<Effect, ActionError> {
        let mut current = local.server_resource("Task", &self.task)?;
        if let Standing::Blocked(words) = claim_state(&current, &self.owner) {
            return Err(invalid(words));
        }
        self.apply(&mut current);
        Ok(Effect::one(current))
    }

    async fn reconcile(&self, server: &impl Server, _: &[Change], _: DateTime<Utc>) -> Result<Resolution, FhirError> {
        let current = server.read("Task", &self.task).await?;
        Ok(claim_state(&current, &self.owner).resolve(current, |t| self.apply(t)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::change::recorded::{settle, Recorded};

    fn task(status: &str, owner: Option<&str>) -> Value {
        let mut t = json!({"resourceType": "Task", "id": "t1", "status": status, "meta": {"versionId": "3"}});
        if let Some(owner) = owner {
            t["owner"] = json!({"reference": owner});
        }
        t
    }

    fn reconcile(server_task: Value) -> Resolution {
        let claim = TaskClaim { task: "t1".into(), owner: "Practitioner/ann".into() };
        settle(claim.reconcile(&Recorded::with(&[server_task]), &[], Utc::now())).unwrap()
    }

    #[test]
    fn a_claim_that_landed_is_done() {
        assert!(matches!(reconcile(task("in-progress", Some("Practitioner/ann"))), Resolution::Done(_)));
    }

    #[test]
    fn a_colleagues_claim_blocks_it_in_words() {
        let Resolution::Blocked(words, copies) = reconcile(task("in-progress", Some("Practitioner/bob"))) else { panic!() };
        assert_eq!(words, "already claimed by Practitioner/bob");
        assert_eq!(copies[0]["owner"]["reference"], "Practitioner/bob");
    }

    #[test]
    fn a_task_changed_otherwise_is_claimed_again_on_the_fresh_version() {
        let Resolution::Reapply(changes) = reconcile(task("ready", None)) else { panic!() };
        let [Change::Update(t)] = changes.as_slice() else { panic!() };
        assert_eq!(
            (t["status"].as_str(), t["owner"]["reference"].as_str(), t["meta"]["versionId"].as_str()),
            (Some("in-progress"), Some("Practitioner/ann"), Some("3"))
        );
    }
}
