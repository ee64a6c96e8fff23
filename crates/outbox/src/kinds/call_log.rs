//! A phone call with a patient, as a Communication. `call` is the phone system's call id, so a call is
//! written once however often it is logged.

use super::fields;
use crate::action::{ActionError, Effect, Kind, Local, CALL_SYSTEM};
use crate::cache::{new_note, require_text};
use crate::change::{create_refused, Change, Resolution, Server};
use chrono::{DateTime, Utc};
use serde_json::json;
use switchboard_core::CallDisposition;
use switchboard_fhir::FhirError;

fields!(
    pub struct CallLog {
        pub patient: String,
        pub call: String,
        pub number: String,
        pub started: String,
        pub seconds: u32,
        pub agent: String,
        pub disposition: CallDisposition,
    }
);

impl Kind for CallLog {
    fn local_effect(&self, local: &Local<'_>) -> Result<Effect, ActionError> {
        local.require_patient(&self.patient)?;
        require_text(&self.call, "a call log needs the call's id")?;
        let words = format!("Phone call with {}: {} min {} s, {}, agent {}", self.number, self.seconds / 60, self.seconds % 60, self.disposition, self.agent);
        let mut log = new_note(local.id, &self.patient, &words, local.now);
        log["identifier"] = json!([{"system": CALL_SYSTEM, "value": self.call}]);
        log["medium"] = json!([{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode", "code": "PHONE"}]}]);
        log["sent"] = json!(self.started);
        Ok(Effect::one(log))
    }

    async fn reconcile(&self, _: &impl Server, _: &[Change], _: DateTime<Utc>) -> Result<Resolution, FhirError> {
        Ok(create_refused())
    }
}
