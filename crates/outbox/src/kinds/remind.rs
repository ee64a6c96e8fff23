//! Ask for a reminder to the patient, as a CommunicationRequest.

use super::fields;
use crate::action::{ActionError, Effect, Kind, Local};
use crate::cache::{new_reminder, require_text};
use crate::change::{create_refused, Change, Resolution, Server};
use chrono::{DateTime, Utc};
use switchboard_fhir::FhirError;

fields!(
    pub struct Remind {
        pub patient: String,
        pub about: String,
        pub when: Option<String>,
    }
);

impl Kind for Remind {
    fn local_effect(&self, local: &Local<'_>) -> Result<Effect, ActionError> {
        local.require_patient(&self.patient)?;
        require_text(&self.about, "a reminder needs to say what it is about")?;
        local.require_future(self.when.as_deref(), "when")?;
        Ok(Effect::one(new_reminder(local.id, &self.patient, &self.about, self.when.as_deref(), local.now)))
    }

    async fn reconcile(&self, _: &impl Server, _: &[Change], _: DateTime<Utc>) -> Result<Resolution, FhirError> {
        Ok(create_refused())
    }
}
