//! What the appointment kinds share: which Slot an Appointment holds, when a Slot can be booked and an
//! Appointment still moved, and freeing a slot read fresh from the server.

use crate::action::{invalid, ActionError, Local};
use crate::change::{Change, Server};
use serde_json::{json, Value};
use switchboard_core::reference::id_of;
use switchboard_core::status::LIVE_APPOINTMENT;
use switchboard_fhir::FhirError;

pub(crate) fn slot_id_of(appointment: &Value) -> Option<String> {
    let reference = appointment.pointer("/slot/0/reference")?.as_str()?;
    id_of(reference, "Slot")
}

pub(crate) fn set_status(resource: &mut Value, status: &str) {
    resource["status"] = json!(status);
}

pub(crate) fn is_live(appointment: &Value) -> bool {
    LIVE_APPOINTMENT.contains(&appointment["status"].as_str().unwrap_or_default())
}

pub(crate) fn move_to(appointment: &mut Value, slot: &Value) {
    appointment["slot"] = json!([{"reference": format!("Slot/{}", slot["id"].as_str().unwrap_or_default())}]);
    appointment["start"] = slot["start"].clone();
    appointment["end"] = slot["end"].clone();
}

impl Local<'_> {
    /// A slot a new booking can take: free and not yet begun.
    pub fn bookable_slot(&self, slot: &str) -> Result<Value, ActionError> {
        let current = self.server_resource("Slot", slot)?;
        if current["status"] != "free" {
            return Err(invalid("the slot is no longer free"));
        }
        self.require_future(current["start"].as_str(), "slot start")?;
        Ok(current)
    }

    /// An appointment that can still be moved or cancelled.
    pub fn live_appointment(&self, appointment: &str) -> Result<Value, ActionError> {
        let current = self.server_resource("Appointment", appointment)?;
        if !is_live(&current) {
            return Err(invalid(format!("the appointment is already {}", current["status"].as_str().unwrap_or_default())));
        }
        Ok(current)
    }

    /// The cached slot an appointment holds, marked free.
    pub fn freed_slot_of(&self, appointment: &Value) -> Option<Value> {
        let mut slot = self.server_resource("Slot", &slot_id_of(appointment)?).ok()?;
        set_status(&mut slot, "free");
        Some(slot)
    }
}

/// The change that frees the slot an appointment holds now, read fresh from the server.
pub(crate) async fn freeing_slot_of(server: &impl Server, appointment: &Value) -> Result<Option<Change>, FhirError> {
    let Some(slot) = slot_id_of(appointment) else { return Ok(None) };
    let mut freed = server.read("Slot", &slot).await?;
    set_status(&mut freed, "free");
    Ok(Some(Change::Update(freed)))
}
