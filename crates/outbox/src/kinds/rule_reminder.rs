//! A reminder to the patient made by a rule.

use super::fields;
use super::rule_task::theirs_stands;
use crate::action::{ActionError, Effect, Kind, Local, RULE_SYSTEM};
use crate::cache::{new_reminder, rule_identifier};
use crate::change::{Change, Resolution, Server};
use chrono::{DateTime, Utc};
use serde_json::json;
use switchboard_fhir::FhirError;

fields!(
    pub struct RuleReminder {
        pub patient: String,
        pub rule: String,
        pub key: String,
        pub about: String,
        pub when: Option<String>,
    }
);

impl Kind for RuleReminder {
    fn local_effect(&self, local: &Local<'_>) -> Result<Effect, ActionError> {
        local.require_patient(&self.patient)?;
        let value = rule_identifier(&self.rule, &self.key);
        let mut request = match local.made_by_rule(&self.patient, "CommunicationRequest", &value)? {
            Some(existing) => existing,
            None => new_reminder(local.id, &self.patient, &self.about, self.when.as_deref(), local.now),
        };
        request["identifier"] = json!([{"system": RULE_SYSTEM, "value": value}]);
        Ok(Effect::one(request))
    }

    async fn reconcile(&self, server: &impl Server, first: &[Change], _: DateTime<Utc>) -> Result<Resolution, FhirError> {
        theirs_stands(server, first).await
    }
}
