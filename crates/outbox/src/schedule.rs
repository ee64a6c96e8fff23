//! Appointment actions: book, reschedule and cancel. Each changes an Appointment and its Slots
//! together; the rules for when a Slot or Appointment can take the change live here, for both the
//! check before queueing and the re-check after a conflict.

use crate::action::{invalid, local_id, require_future, server_resource, ActionError, Standing, ACTION_SYSTEM};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use switchboard_core::reference::id_of;
use switchboard_store::Store;

/// Appointment states that can still be moved or cancelled.
const OPEN_APPOINTMENT: &[&str] = &["proposed", "pending", "booked", "waitlist"];

pub(crate) fn slot_id_of(appointment: &Value) -> Option<String> {
    let reference = appointment.pointer("/slot/0/reference")?.as_str()?;
    id_of(reference, "Slot")
}

/// A slot a new booking can take: free and not yet begun.
fn bookable_slot(store: &Store, source: &str, slot: &str, now: DateTime<Utc>) -> Result<Value, ActionError> {
    let current = server_resource(store, source, "Slot", slot)?;
    if current["status"] != "free" {
        return Err(invalid("the slot is no longer free"));
    }
    require_future(current["start"].as_str(), "slot start", now)?;
    Ok(current)
}

fn open_appointment(store: &Store, source: &str, appointment: &str) -> Result<Value, ActionError> {
    let current = server_resource(store, source, "Appointment", appointment)?;
    let status = current["status"].as_str().unwrap_or_default();
    if !OPEN_APPOINTMENT.contains(&status) {
        return Err(invalid(format!("the appointment is already {status}")));
    }
    Ok(current)
}

pub(crate) fn set_status(resource: &mut Value, status: &str) {
    resource["status"] = json!(status);
}

/// The practitioner and location a slot's schedule is for, as appointment participants.
fn schedule_actors(store: &Store, source: &str, slot: &Value) -> Vec<Value> {
    let schedule = slot.pointer("/schedule/reference").and_then(Value::as_str).and_then(|r| id_of(r, "Schedule"));
    let Some(Ok(Some(json))) = schedule.map(|id| store.resource(source, "Schedule", &id)) else { return Vec::new() };
    let schedule: Value = serde_json::from_str(&json).unwrap_or(Value::Null);
    schedule["actor"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|actor| json!({"actor": actor, "status": "accepted"}))
        .collect()
}

pub(crate) fn book(
    store: &Store,
    source: &str,
    patient: &str,
    slot: &str,
    reason: Option<&str>,
    action_id: &str,
    now: DateTime<Utc>,
) -> Result<(String, Vec<Value>), ActionError> {
    let mut busy = bookable_slot(store, source, slot, now)?;
    let mut participants = vec![json!({"actor": {"reference": format!("Patient/{patient}")}, "status": "accepted"})];
    participants.extend(schedule_actors(store, source, &busy));
    let mut appointment = json!({"resourceType": "Appointment", "id": local_id(action_id),
        "identifier": [{"system": ACTION_SYSTEM, "value": format!("urn:uuid:{action_id}")}],
        "status": "booked", "slot": [{"reference": format!("Slot/{slot}")}],
        "start": busy["start"], "end": busy["end"], "participant": participants});
    if let Some(reason) = reason.filter(|r| !r.trim().is_empty()) {
        appointment["reasonCode"] = json!([{"text": reason}]);
    }
    set_status(&mut busy, "busy");
    Ok((format!("Slot/{slot}"), vec![busy, appointment]))
}

pub(crate) fn reschedule(
    store: &Store,
    source: &str,
    appointment: &str,
    slot: &str,
    now: DateTime<Utc>,
) -> Result<(String, Vec<Value>), ActionError> {
    let mut moved = open_appointment(store, source, appointment)?;
    if slot_id_of(&moved).as_deref() == Some(slot) {
        return Err(invalid("the appointment is already in that slot"));
    }
    let mut new_slot = bookable_slot(store, source, slot, now)?;
    let mut changed = Vec::new();
    if let Some(old) = slot_id_of(&moved) {
        if let Ok(mut old_slot) = server_resource(store, source, "Slot", &old) {
            set_status(&mut old_slot, "free");
            changed.push(old_slot);
        }
    }
    move_to(&mut moved, &new_slot);
    set_status(&mut new_slot, "busy");
    changed.insert(0, new_slot);
    changed.insert(0, moved);
    Ok((format!("Appointment/{appointment}"), changed))
}

pub(crate) fn move_to(appointment: &mut Value, slot: &Value) {
    appointment["slot"] = json!([{"reference": format!("Slot/{}", slot["id"].as_str().unwrap_or_default())}]);
    appointment["start"] = slot["start"].clone();
    appointment["end"] = slot["end"].clone();
}

pub(crate) fn cancel(store: &Store, source: &str, appointment: &str, reason: &str) -> Result<(String, Vec<Value>), ActionError> {
    if reason.trim().is_empty() {
        return Err(invalid("cancelling needs a reason"));
    }
    let mut cancelled = open_appointment(store, source, appointment)?;
    apply_cancel(&mut cancelled, reason);
    let mut changed = vec![cancelled];
    if let Some(slot) = slot_id_of(&changed[0]) {
        if let Ok(mut freed) = server_resource(store, source, "Slot", &slot) {
            set_status(&mut freed, "free");
            changed.push(freed);
        }
    }
    Ok((format!("Appointment/{appointment}"), changed))
}

pub(crate) fn apply_cancel(appointment: &mut Value, reason: &str) {
    set_status(appointment, "cancelled");
    appointment["cancelationReason"] = json!({"text": reason});
}

/// Where an appointment on the server stands against a cancel.
pub(crate) fn cancel_state(appointment: &Value) -> Standing {
    match appointment["status"].as_str().unwrap_or_default() {
        "cancelled" => Standing::Done,
        status if OPEN_APPOINTMENT.contains(&status) => Standing::Open,
        status => Standing::Blocked(format!("the appointment is already {status}")),
    }
}

/// Where an appointment and the slot it should move to stand against a reschedule.
pub(crate) fn reschedule_state(appointment: &Value, new_slot: &Value) -> Standing {
    let status = appointment["status"].as_str().unwrap_or_default();
    if slot_id_of(appointment).as_deref() == new_slot["id"].as_str() {
        return Standing::Done;
    }
    if !OPEN_APPOINTMENT.contains(&status) {
        return Standing::Blocked(format!("the appointment is already {status}"));
    }
    if new_slot["status"] != "free" {
        return Standing::Blocked("the new slot is no longer free".to_string());
    }
    Standing::Open
}
