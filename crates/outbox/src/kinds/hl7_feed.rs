//! The resources one HL7 v2 message mapped to, written to the target source under their deterministic
//! ids (update as create): a resend, a replay or a second receiver writes the same resources again, never
//! new ones.

use super::fields;
use crate::action::{invalid, reference_of, ActionError, Effect, Kind, Local};
use crate::change::{Change, Resolution, Server};
use chrono::{DateTime, Utc};
use serde_json::Value;
use switchboard_fhir::FhirError;

fields!(
    pub struct Hl7Feed {
        /// The message, as its sender and control id (MSH-10).
        pub message: String,
        #[cfg_attr(feature = "wire", ts(type = "unknown[]"))]
        pub resources: Vec<Value>,
    }
);

impl Kind for Hl7Feed {
    fn local_effect(&self, _: &Local<'_>) -> Result<Effect, ActionError> {
        let first = self.resources.first().ok_or_else(|| invalid("the message maps to no resources"))?;
        if self.resources.iter().any(|r| r["id"].as_str().is_none_or(str::is_empty)) {
            return Err(invalid("every resource from a feed needs its deterministic id"));
        }
        Ok(Effect { target: reference_of(first), changed: self.resources.clone() })
    }

    /// Any of its resources a later message changed again (a registration, then a merge; a result, then
    /// its correction) is sent by that message's action, whose copy holds both; this one sends the rest.
    fn expected_changes(&self) -> usize {
        1
    }

    /// A version conflict on a record the feed updates (a registration): the sending system is the
    /// record's owner, so its version is written over the server's.
    async fn reconcile(&self, _: &impl Server, first: &[Change], _: DateTime<Utc>) -> Result<Resolution, FhirError> {
        let unversioned = first
            .iter()
            .map(|change| match change {
                Change::Update(resource) => {
                    let mut resource = resource.clone();
                    if let Some(object) = resource.as_object_mut() {
                        object.remove("meta");
                    }
                    Change::Update(resource)
                }
                create => create.clone(),
            })
            .collect();
        Ok(Resolution::Reapply(unversioned))
    }
}
