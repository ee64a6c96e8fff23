//! Cancel an Appointment with a reason, freeing its Slot.

use super::appointment::{freeing_slot_of, is_live, set_status};
use super::fields;
use crate::action::{ActionError, Effect, Kind, Local};
use crate::cache::require_text;
use crate::change::{Change, Resolution, Server, Standing};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use switchboard_fhir::FhirError;

fields!(
    pub struct Cancel {
        pub appointment: String,
        pub reason: String,
    }
);

impl Cancel {
    fn apply(&self, appointment: &mut Value) {
        set_status(appointment, "cancelled");
        appointment["cancelationReason"] = json!({"text": self.reason});
    }
}

fn standing(appointment: &Value) -> Standing {
    match appointment["status"].as_str().unwrap_or_default() {
        "cancelled" => Standing::Done,
        _ if is_live(appointment) => Standing::Open,
        status => Standing::Blocked(format!("the appointment is already {status}")),
    }
}

impl Kind for Cancel {
    fn local_effect(&self, local: &Local<'_>) -> Result<Effect, ActionError> {
        require_text(&self.reason, "cancelling needs a reason")?;
        let mut cancelled = local.live_appointment(&self.appointment)?;
        let freed = local.freed_slot_of(&cancelled);
        self.apply(&mut cancelled);
        Ok(Effect { target: format!("Appointment/{}", self.appointment), changed: std::iter::once(cancelled).chain(freed).collect() })
    }

    async fn reconcile(&self, server: &impl Server, _: &[Change], _: DateTime<Utc>) -> Result<Resolution, FhirError> {
        let current = server.read("Appointment", &self.appointment).await?;
        Ok(match standing(&current) {
            Standing::Done => Resolution::Done(vec![current]),
            Standing::Blocked(words) => Resolution::Blocked(words, vec![current]),
            Standing::Open => {
                let freed = freeing_slot_of(server, &current).await?;
                let mut cancelled = current;
                self.apply(&mut cancelled);
                Resolution::Reapply(std::iter::once(Change::Update(cancelled)).chain(freed).collect())
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::change::recorded::{settle, Recorded};

    fn reconcile(status: &str, slot_status: &str) -> Resolution {
        let server = Recorded::with(&[
            json!({"resourceType": "Appointment", "id": "a1", "status": status, "slot": [{"reference": "Slot/s2"}]}),
            json!({"resourceType": "Slot", "id": "s2", "status": slot_status}),
        ]);
        settle(Cancel { appointment: "a1".into(), reason: "patient asked".into() }.reconcile(&server, &[], Utc::now())).unwrap()
    }

    #[test]
    fn cancelled_already_is_done_and_fulfilled_blocks() {
        assert!(matches!(reconcile("cancelled", "free"), Resolution::Done(_)));
        assert!(matches!(reconcile("fulfilled", "busy"), Resolution::Blocked(words, _) if words == "the appointment is already fulfilled"));
    }

    #[test]
    fn a_moved_appointment_is_cancelled_again_freeing_the_slot_it_holds_now() {
        let Resolution::Reapply(changes) = reconcile("booked", "busy") else { panic!() };
        assert!(matches!(&changes[0], Change::Update(a) if a["status"] == "cancelled" && a["cancelationReason"]["text"] == "patient asked"));
        assert!(matches!(&changes[1], Change::Update(s) if s["id"] == "s2" && s["status"] == "free"));
    }
}
