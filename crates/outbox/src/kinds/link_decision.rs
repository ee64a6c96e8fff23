//! A person's decision that two patient records, in two sources, are one person or are not: a FHIR
//! `Linkage` kept in the shared-work source, so every workstation links the same way. The records are
//! named by absolute URL (`<source base>Patient/<id>`), which means the same thing on every workstation.

use super::fields;
use crate::action::{invalid, ActionError, Effect, Kind, Local};
use crate::change::{create_refused, Change, Resolution, Server};
use chrono::{DateTime, Utc};
use serde_json::json;
use switchboard_fhir::FhirError;

fields!(
    pub struct LinkDecision {
        /// The record opened, as `<base>Patient/<id>`.
        pub record: String,
        /// The other record.
        pub other: String,
        /// One person (true) or two (false, also how a link is undone).
        pub same: bool,
    }
);

impl Kind for LinkDecision {
    fn local_effect(&self, local: &Local<'_>) -> Result<Effect, ActionError> {
        for url in [&self.record, &self.other] {
            if !url.starts_with("http") || !url.contains("/Patient/") {
                return Err(invalid(format!("{url} is not a patient record's address")));
            }
        }
        if self.record == self.other {
            return Err(invalid("a record cannot be linked to itself"));
        }
        // Linkage has no identifier to make a create conditional on: it is written to an id of the
        // action's own (update as create), so a resent delivery writes it once.
        let linkage = json!({"resourceType": "Linkage", "id": format!("sb-{}", local.id), "active": self.same,
            "item": [{"type": "source", "resource": {"reference": self.record}}, {"type": "alternate", "resource": {"reference": self.other}}]});
        Ok(Effect::one(linkage))
    }

    async fn reconcile(&self, _: &impl Server, _: &[Change], _: DateTime<Utc>) -> Result<Resolution, FhirError> {
        Ok(create_refused())
    }
}
