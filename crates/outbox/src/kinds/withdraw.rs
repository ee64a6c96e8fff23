//! Withdraw a reminder that no longer applies (its appointment was cancelled or moved).

use super::fields;
use crate::action::{ActionError, Effect, Kind, Local};
use crate::change::{Change, Resolution, Server, Standing};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use switchboard_fhir::FhirError;

fields!(
    pub struct Withdraw {
        pub request: String,
    }
);

fn revoke(request: &mut Value) {
    request["status"] = json!("revoked");
}

impl Kind for Withdraw {
    fn local_effect(&self, local: &Local<'_>) -> Result<Effect, ActionError> {
        let mut current = local.server_resource("CommunicationRequest", &self.request)?;
        revoke(&mut current);
        Ok(Effect::one(current))
    }

    async fn reconcile(&self, server: &impl Server, _: &[Change], _: DateTime<Utc>) -> Result<Resolution, FhirError> {
        let current = server.read("CommunicationRequest", &self.request).await?;
        let standing = match current["status"].as_str().unwrap_or_default() {
            "revoked" | "completed" | "entered-in-error" => Standing::Done,
            _ => Standing::Open,
        };
        Ok(standing.resolve(current, revoke))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::change::recorded::{settle, Recorded};

    #[test]
    fn a_reminder_already_sent_or_revoked_is_left_and_an_active_one_revoked() {
        let reconcile = |status: &str| {
            let server = Recorded::with(&[json!({"resourceType": "CommunicationRequest", "id": "r1", "status": status})]);
            settle(Withdraw { request: "r1".into() }.reconcile(&server, &[], Utc::now())).unwrap()
        };
        assert!(matches!(reconcile("completed"), Resolution::Done(_)));
        assert!(matches!(reconcile("revoked"), Resolution::Done(_)));
        let Resolution::Reapply(changes) = reconcile("on-hold") else { panic!() };
        assert!(matches!(&changes[..], [Change::Update(r)] if r["status"] == "revoked"));
    }
}
