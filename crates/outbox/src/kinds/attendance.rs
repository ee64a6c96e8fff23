//! Marking attendance: the patient arrived, or did not come. Only an appointment still expected can
//! take either.

use super::appointment::{is_live, set_status};
use super::fields;
use crate::action::{invalid, ActionError, Effect, Kind, Local};
use crate::change::{Change, Resolution, Server, Standing};
use chrono::{DateTime, Utc};
use serde_json::Value;
use switchboard_fhir::FhirError;

fields!(
    /// The patient has arrived for an appointment.
    pub struct Arrived {
        pub appointment: String,
    }
);

fields!(
    /// The patient did not come.
    pub struct NoShow {
        pub appointment: String,
    }
);

fn standing(appointment: &Value, wanted: &str) -> Standing {
    match appointment["status"].as_str().unwrap_or_default() {
        status if status == wanted => Standing::Done,
        "checked-in" => Standing::Open,
        _ if is_live(appointment) => Standing::Open,
        "arrived" if wanted == "noshow" => Standing::Blocked("the patient has already arrived".into()),
        status => Standing::Blocked(format!("the appointment is already {status}")),
    }
}

fn mark(local: &Local<'_>, appointment: &str, wanted: &str) -> Result<Effect, ActionError> {
    let mut current = local.server_resource("Appointment", appointment)?;
    if let Standing::Blocked(words) = standing(&current, wanted) {
        return Err(invalid(words));
    }
    set_status(&mut current, wanted);
    Ok(Effect::one(current))
}

async fn reconcile(server: &impl Server, appointment: &str, wanted: &str) -> Result<Resolution, FhirError> {
    let current = server.read("Appointment", appointment).await?;
    Ok(standing(&current, wanted).resolve(current, |a| set_status(a, wanted)))
}

impl Kind for Arrived {
    fn local_effect(&self, local: &Local<'_>) -> Result<Effect, ActionError> {
        mark(local, &self.appointment, "arrived")
    }

    async fn reconcile(&self, server: &impl Server, _: &[Change], _: DateTime<Utc>) -> Result<Resolution, FhirError> {
        reconcile(server, &self.appointment, "arrived").await
    }
}

impl Kind for NoShow {
    fn local_effect(&self, local: &Local<'_>) -> Result<Effect, ActionError> {
        mark(local, &self.appointment, "noshow")
    }

    async fn reconcile(&self, server: &impl Server, _: &[Change], _: DateTime<Utc>) -> Result<Resolution, FhirError> {
        reconcile(server, &self.appointment, "noshow").await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::change::recorded::{settle, Recorded};
    use serde_json::json;

    fn on(status: &str) -> Recorded {
        Recorded::with(&[json!({"resourceType": "Appointment", "id": "a1", "status": status})])
    }

    #[test]
    fn no_show_is_done_when_marked_blocked_after_arrival_and_reapplied_while_booked() {
        let no_show = NoShow { appointment: "a1".into() };
        let now = Utc::now();
        assert!(matches!(settle(no_show.reconcile(&on("noshow"), &[], now)).unwrap(), Resolution::Done(_)));
        let blocked = settle(no_show.reconcile(&on("arrived"), &[], now)).unwrap();
        assert!(matches!(blocked, Resolution::Blocked(words, _) if words == "the patient has already arrived"));
        let Resolution::Reapply(changes) = settle(no_show.reconcile(&on("booked"), &[], now)).unwrap() else { panic!() };
        assert!(matches!(&changes[..], [Change::Update(a)] if a["status"] == "noshow"));
    }

    #[test]
    fn arrival_on_a_cancelled_appointment_is_blocked_in_words() {
        let arrived = Arrived { appointment: "a1".into() };
        let blocked = settle(arrived.reconcile(&on("cancelled"), &[], Utc::now())).unwrap();
        assert!(matches!(blocked, Resolution::Blocked(words, _) if words == "the appointment is already cancelled"));
    }
}
