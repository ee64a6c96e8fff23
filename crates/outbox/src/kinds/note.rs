//! A note about a patient, as a Communication.

use super::fields;
use crate::action::{ActionError, Effect, Kind, Local};
use crate::cache::{new_note, require_text};
use crate::change::{create_refused, Change, Resolution, Server};
use chrono::{DateTime, Utc};
use switchboard_fhir::FhirError;

fields!(
    pub struct Note {
        pub patient: String,
        pub text: String,
    }
);

impl Kind for Note {
    fn local_effect(&self, local: &Local<'_>) -> Result<Effect, ActionError> {
        local.require_patient(&self.patient)?;
        require_text(&self.text, "a note needs text")?;
        Ok(Effect::one(new_note(local.id, &self.patient, &self.text, local.now)))
    }

    async fn reconcile(&self, _: &impl Server, _: &[Change], _: DateTime<Utc>) -> Result<Resolution, FhirError> {
        Ok(create_refused())
    }
}
