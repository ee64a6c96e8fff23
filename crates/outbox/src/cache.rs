//! Reading what an action needs from the cache, and the resources actions create.

use crate::action::{invalid, local_id, ActionError, Local, ACTION_SYSTEM, RULE_SYSTEM};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};
use switchboard_core::{LocalId, TaskPriority};
use switchboard_store::Store;

pub(crate) fn cached(store: &Store, source: &str, kind: &str, id: &str) -> Result<Option<Value>, ActionError> {
    Ok(store.resource(source, kind, id)?.map(|json| serde_json::from_str(&json).unwrap_or(Value::Null)))
}

impl Local<'_> {
    /// A resource the server already has, from the cache. A resource created here and not yet
    /// delivered has no server id to change.
    pub fn server_resource(&self, kind: &str, id: &str) -> Result<Value, ActionError> {
        if LocalId::is_local(id) {
            return Err(invalid("this has not reached the server yet; run `switchboard outbox drain` first"));
        }
        cached(self.store, self.source, kind, id)?.ok_or_else(|| invalid(format!("no such {} in the cache", kind.to_lowercase())))
    }

    pub fn require_patient(&self, patient: &str) -> Result<(), ActionError> {
        match cached(self.store, self.source, "Patient", patient)? {
            Some(_) => Ok(()),
            None => Err(invalid("no such patient in the cache (use the server id)")),
        }
    }

    /// A time given for the future (a due time, a reminder's time) that is not in the past.
    pub fn require_future(&self, time: Option<&str>, field: &str) -> Result<(), ActionError> {
        if let Some(time) = time {
            let when = DateTime::parse_from_rfc3339(time).map_err(|_| invalid(format!("--{field} must be a time like 2026-12-01T09:00:00Z")))?;
            if when < self.now {
                return Err(invalid(format!("the {field} time is in the past")));
            }
        }
        Ok(())
    }

    /// The cached resource a rule made for this identifier value, if this patient has one.
    pub fn made_by_rule(&self, patient: &str, kind: &str, value: &str) -> Result<Option<Value>, ActionError> {
        made_by_rule(self.store, self.source, patient, kind, value)
    }
}

/// The identifier value of what `rule` made for `key`. Kept clear of the characters FHIR token search
/// gives a meaning (`|`, `,`, `$`, `\`).
pub fn rule_identifier(rule: &str, key: &str) -> String {
    format!("{rule}:{key}").replace(['|', ',', '$', '\\'], "_")
}

/// The cached resource a rule made for this identifier value, if this patient has one.
pub fn made_by_rule(store: &Store, source: &str, patient: &str, kind: &str, value: &str) -> Result<Option<Value>, ActionError> {
    for (_, json) in store.patient_resources(source, patient, kind)? {
        let resource: Value = serde_json::from_str(&json).unwrap_or(Value::Null);
        let ours = resource["identifier"].as_array().into_iter().flatten().any(|i| i["system"] == RULE_SYSTEM && i["value"] == value);
        if ours {
            return Ok(Some(resource));
        }
    }
    Ok(None)
}

fn stamp(now: DateTime<Utc>) -> String {
    now.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The identifier of what action `id` creates, which makes its delivery a conditional create.
fn minted(id: &str) -> Value {
    json!([{"system": ACTION_SYSTEM, "value": format!("urn:uuid:{id}")}])
}

pub(crate) struct NewTask<'a> {
    pub patient: &'a str,
    pub description: &'a str,
    pub priority: TaskPriority,
    pub due: Option<&'a str>,
    pub owner: Option<&'a str>,
}

/// A Task created by action `id`. An owner with a `/` is a reference, anything else a pool's name.
pub(crate) fn new_task(id: &str, task: NewTask<'_>, now: DateTime<Utc>) -> Value {
    let mut resource = json!({"resourceType": "Task", "id": local_id(id), "identifier": minted(id),
        "status": "requested", "intent": "order", "priority": task.priority, "description": task.description,
        "for": {"reference": format!("Patient/{}", task.patient)}, "authoredOn": stamp(now)});
    if let Some(due) = task.due {
        resource["restriction"] = json!({"period": {"end": due}});
    }
    if let Some(owner) = task.owner {
        resource["owner"] = if owner.contains('/') { json!({"reference": owner}) } else { json!({"display": owner}) };
    }
    resource
}

/// A reminder to the patient, as a CommunicationRequest created by action `id`.
pub(crate) fn new_reminder(id: &str, patient: &str, about: &str, when: Option<&str>, now: DateTime<Utc>) -> Value {
    let mut request = json!({"resourceType": "CommunicationRequest", "id": local_id(id), "identifier": minted(id),
        "status": "active", "subject": {"reference": format!("Patient/{patient}")},
        "recipient": [{"reference": format!("Patient/{patient}")}],
        "authoredOn": stamp(now), "payload": [{"contentString": about}]});
    if let Some(when) = when {
        request["occurrenceDateTime"] = json!(when);
    }
    request
}

/// A note about the patient, as a Communication created by action `id`.
pub(crate) fn new_note(id: &str, patient: &str, text: &str, now: DateTime<Utc>) -> Value {
    json!({"resourceType": "Communication", "id": local_id(id), "identifier": minted(id),
        "status": "completed", "subject": {"reference": format!("Patient/{patient}")},
        "sent": stamp(now), "payload": [{"contentString": text}]})
}

pub(crate) fn require_text(text: &str, problem: &str) -> Result<(), ActionError> {
    match text.trim().is_empty() {
        true => Err(invalid(problem)),
        false => Ok(()),
    }
}
