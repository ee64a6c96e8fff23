//! A Task made by a rule. Made again with new content (a corrected result), it updates that Task.

use super::fields;
use crate::action::{reference_of, ActionError, Effect, Kind, Local, RULE_SYSTEM};
use crate::cache::{new_task, rule_identifier, NewTask};
use crate::change::{create_refused, Change, Resolution, Server};
use chrono::{DateTime, Utc};
use serde_json::json;
use switchboard_core::TaskPriority;
use switchboard_fhir::FhirError;

fields!(
    pub struct RuleTask {
        pub patient: String,
        pub rule: String,
        pub key: String,
        pub description: String,
        pub priority: TaskPriority,
        pub due: String,
        pub owner: String,
        /// The resource that triggered the rule, "Type/id".
        pub focus: String,
        /// Why it exists, in words: the rule and the values that fired it.
        pub why: String,
    }
);

impl Kind for RuleTask {
    fn local_effect(&self, local: &Local<'_>) -> Result<Effect, ActionError> {
        local.require_patient(&self.patient)?;
        let value = rule_identifier(&self.rule, &self.key);
        let mut task = match local.made_by_rule(&self.patient, "Task", &value)? {
            Some(existing) => existing,
            None => {
                let task = NewTask { patient: &self.patient, description: &self.description, priority: self.priority, due: None, owner: Some(&self.owner) };
                new_task(local.id, task, local.now)
            }
        };
        task["identifier"] = json!([{"system": RULE_SYSTEM, "value": value}]);
        task["description"] = json!(self.description);
        task["priority"] = json!(self.priority);
        task["restriction"] = json!({"period": {"end": self.due}});
        task["focus"] = json!({"reference": self.focus});
        task["reasonReference"] = json!({"reference": self.focus});
        task["reasonCode"] = json!({"text": self.why});
        Ok(Effect::one(task))
    }

    async fn reconcile(&self, server: &impl Server, first: &[Change], _: DateTime<Utc>) -> Result<Resolution, FhirError> {
        theirs_stands(server, first).await
    }
}

/// A rule's output updated on another workstation meanwhile: theirs stands, it carries the same rule
/// output. A create cannot conflict.
pub(crate) async fn theirs_stands(server: &impl Server, first: &[Change]) -> Result<Resolution, FhirError> {
    let updated = first.iter().find_map(|c| match c {
        Change::Update(r) => Some(reference_of(r)),
        Change::Create { .. } => None,
    });
    let Some(reference) = updated else { return Ok(create_refused()) };
    let (kind, id) = reference.split_once('/').unwrap_or_default();
    Ok(Resolution::Done(vec![server.read(kind, id).await?]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::change::recorded::{settle, Recorded};

    #[test]
    fn an_update_that_conflicts_takes_the_servers_copy_and_a_create_is_refused() {
        let theirs = json!({"resourceType": "Task", "id": "t9", "status": "in-progress", "description": "Call: K 6.1"});
        let server = Recorded::with(std::slice::from_ref(&theirs));
        let ours = Change::Update(json!({"resourceType": "Task", "id": "t9", "status": "requested"}));
        assert_eq!(settle(theirs_stands(&server, &[ours])).unwrap(), Resolution::Done(vec![theirs]));
        let create = Change::Create { resource: json!({"resourceType": "Task"}), condition: "identifier=x|y".into() };
        assert!(matches!(settle(theirs_stands(&server, &[create])).unwrap(), Resolution::Blocked(..)));
    }
}
