//! Book a free Slot: the Slot becomes busy and the Appointment is created, in one transaction.

use super::appointment::set_status;
use super::fields;
use crate::action::{local_id, ActionError, Effect, Kind, Local, ACTION_SYSTEM};
use crate::change::{created_by, Change, Resolution, Server};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use switchboard_core::reference::id_of;
use switchboard_fhir::FhirError;

fields!(
    pub struct Book {
        pub patient: String,
        pub slot: String,
        pub reason: Option<String>,
    }
);

/// The practitioner and location a slot's schedule is for, as appointment participants.
fn schedule_actors(local: &Local<'_>, slot: &Value) -> Vec<Value> {
    let schedule = slot.pointer("/schedule/reference").and_then(Value::as_str).and_then(|r| id_of(r, "Schedule"));
    let Some(Ok(Some(json))) = schedule.map(|id| local.store.resource(local.source, "Schedule", &id)) else { return Vec::new() };
    let schedule: Value = serde_json::from_str(&json).unwrap_or(Value::Null);
    schedule["actor"].as_array().into_iter().flatten().map(|actor| json!({"actor": actor, "status": "accepted"})).collect()
}

impl Kind for Book {
    fn local_effect(&self, local: &Local<'_>) -> Result<Effect, ActionError> {
        local.require_patient(&self.patient)?;
        let mut busy = local.bookable_slot(&self.slot)?;
        let mut participants = vec![json!({"actor": {"reference": format!("Patient/{}", self.patient)}, "status": "accepted"})];
        participants.extend(schedule_actors(local, &busy));
        let mut appointment = json!({"resourceType": "Appointment", "id": local_id(local.id),
            "identifier": [{"system": ACTION_SYSTEM, "value": format!("urn:uuid:{}", local.id)}],
            "status": "booked", "slot": [{"reference": format!("Slot/{}", self.slot)}],
            "start": busy["start"], "end": busy["end"], "participant": participants});
        if let Some(reason) = self.reason.as_deref().filter(|r| !r.trim().is_empty()) {
            appointment["reasonCode"] = json!([{"text": reason}]);
        }
        set_status(&mut busy, "busy");
        Ok(Effect { target: format!("Slot/{}", self.slot), changed: vec![busy, appointment] })
    }

    fn expected_changes(&self) -> usize {
        2
    }

    async fn reconcile(&self, server: &impl Server, first: &[Change], _: DateTime<Utc>) -> Result<Resolution, FhirError> {
        let current = server.read("Slot", &self.slot).await?;
        Ok(match (created_by(server, first).await?, current["status"].as_str()) {
            // An earlier attempt landed and only its answer was lost.
            (Some(appointment), _) => Resolution::Done(vec![current, appointment]),
            (None, Some("free")) => {
                let mut busy = current;
                set_status(&mut busy, "busy");
                let creates = first.iter().filter(|c| matches!(c, Change::Create { .. })).cloned();
                Resolution::Reapply(std::iter::once(Change::Update(busy)).chain(creates).collect())
            }
            (None, _) => Resolution::Blocked("the slot is no longer free".into(), vec![current]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::change::recorded::{settle, Recorded};

    const CONDITION: &str = "identifier=urn:ietf:rfc:3986|urn:uuid:a1";

    fn first() -> Vec<Change> {
        vec![
            Change::Update(json!({"resourceType": "Slot", "id": "s1", "status": "busy", "meta": {"versionId": "1"}})),
            Change::Create { resource: json!({"resourceType": "Appointment", "status": "booked"}), condition: CONDITION.into() },
        ]
    }

    fn slot(status: &str) -> Value {
        json!({"resourceType": "Slot", "id": "s1", "status": status, "meta": {"versionId": "2"}})
    }

    fn book() -> Book {
        Book { patient: "p1".into(), slot: "s1".into(), reason: None }
    }

    #[test]
    fn a_booking_whose_answer_was_lost_is_done() {
        let mut server = Recorded::with(&[slot("busy")]);
        let made = json!({"resourceType": "Appointment", "id": "ap7", "status": "booked"});
        server.found.insert(format!("Appointment|{}", CONDITION.trim_start_matches("identifier=")), made.clone());
        assert_eq!(settle(book().reconcile(&server, &first(), Utc::now())).unwrap(), Resolution::Done(vec![slot("busy"), made]));
    }

    #[test]
    fn a_slot_taken_by_someone_else_blocks_it() {
        let server = Recorded::with(&[slot("busy")]);
        let blocked = settle(book().reconcile(&server, &first(), Utc::now())).unwrap();
        assert!(matches!(blocked, Resolution::Blocked(words, _) if words == "the slot is no longer free"));
    }

    #[test]
    fn a_slot_still_free_at_a_new_version_is_booked_again_with_the_same_conditional_create() {
        let server = Recorded::with(&[slot("free")]);
        let Resolution::Reapply(changes) = settle(book().reconcile(&server, &first(), Utc::now())).unwrap() else { panic!() };
        assert!(matches!(&changes[0], Change::Update(s) if s["status"] == "busy" && s["meta"]["versionId"] == "2"));
        assert_eq!(changes[1], first()[1]);
    }
}
