//! Move an Appointment to another free Slot, freeing the old one, in one transaction.

use super::appointment::{freeing_slot_of, is_live, move_to, set_status, slot_id_of};
use super::fields;
use crate::action::{invalid, ActionError, Effect, Kind, Local};
use crate::change::{Change, Resolution, Server, Standing};
use chrono::{DateTime, Utc};
use serde_json::Value;
use switchboard_fhir::FhirError;

fields!(
    pub struct Reschedule {
        pub appointment: String,
        pub slot: String,
    }
);

/// Where an appointment and the slot it should move to stand.
fn standing(appointment: &Value, new_slot: &Value) -> Standing {
    if slot_id_of(appointment).as_deref() == new_slot["id"].as_str() {
        return Standing::Done;
    }
    if !is_live(appointment) {
        return Standing::Blocked(format!("the appointment is already {}", appointment["status"].as_str().unwrap_or_default()));
    }
    if new_slot["status"] != "free" {
        return Standing::Blocked("the new slot is no longer free".to_string());
    }
    Standing::Open
}

impl Kind for Reschedule {
    fn local_effect(&self, local: &Local<'_>) -> Result<Effect, ActionError> {
        let mut moved = local.live_appointment(&self.appointment)?;
        if slot_id_of(&moved).as_deref() == Some(self.slot.as_str()) {
            return Err(invalid("the appointment is already in that slot"));
        }
        let mut new_slot = local.bookable_slot(&self.slot)?;
        let freed = local.freed_slot_of(&moved);
        move_to(&mut moved, &new_slot);
        set_status(&mut new_slot, "busy");
        Ok(Effect { target: format!("Appointment/{}", self.appointment), changed: [moved, new_slot].into_iter().chain(freed).collect() })
    }

    async fn reconcile(&self, server: &impl Server, _: &[Change], _: DateTime<Utc>) -> Result<Resolution, FhirError> {
        let (current, new_slot) = (server.read("Appointment", &self.appointment).await?, server.read("Slot", &self.slot).await?);
        Ok(match standing(&current, &new_slot) {
            Standing::Done => Resolution::Done(vec![current, new_slot]),
            Standing::Blocked(words) => Resolution::Blocked(words, vec![current, new_slot]),
            Standing::Open => {
                let freed = freeing_slot_of(server, &current).await?;
                let mut moved = current;
                move_to(&mut moved, &new_slot);
                let mut busy = new_slot;
                set_status(&mut busy, "busy");
                Resolution::Reapply([Change::Update(moved), Change::Update(busy)].into_iter().chain(freed).collect())
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::change::recorded::{settle, Recorded};
    use serde_json::json;

    fn reconcile(appointment_slot: &str, new_slot_status: &str) -> Resolution {
        let server = Recorded::with(&[
            json!({"resourceType": "Appointment", "id": "a1", "status": "booked", "slot": [{"reference": format!("Slot/{appointment_slot}")}]}),
            json!({"resourceType": "Slot", "id": "s1", "status": "busy"}),
            json!({"resourceType": "Slot", "id": "s3", "status": "busy"}),
            json!({"resourceType": "Slot", "id": "s2", "status": new_slot_status, "start": "2030-01-01T09:00:00Z", "end": "2030-01-01T09:15:00Z"}),
        ]);
        settle(Reschedule { appointment: "a1".into(), slot: "s2".into() }.reconcile(&server, &[], Utc::now())).unwrap()
    }

    #[test]
    fn already_in_the_new_slot_is_done_and_a_taken_slot_blocks() {
        assert!(matches!(reconcile("s2", "busy"), Resolution::Done(_)));
        assert!(matches!(reconcile("s1", "busy"), Resolution::Blocked(words, _) if words == "the new slot is no longer free"));
    }

    #[test]
    fn moved_by_a_colleague_meanwhile_frees_the_slot_it_holds_now() {
        let Resolution::Reapply(changes) = reconcile("s3", "free") else { panic!() };
        let ids: Vec<(&str, &str)> = changes
            .iter()
            .map(|c| match c {
                Change::Update(r) => (r["id"].as_str().unwrap(), r["status"].as_str().unwrap()),
                Change::Create { .. } => panic!("no creates"),
            })
            .collect();
        assert_eq!(ids, [("a1", "booked"), ("s2", "busy"), ("s3", "free")]);
    }
}
