//! What staff can do, checked before anything is queued.

use crate::schedule;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use serde_json::{json, Value};
use switchboard_store::{Store, StoreError, Writer};

/// The identifier system of ids minted on this device for created resources.
pub const ACTION_SYSTEM: &str = "urn:ietf:rfc:3986";
pub use switchboard_core::RULE_SYSTEM;
/// The identifier system of logged phone calls: the value is the phone system's call id.
pub const CALL_SYSTEM: &str = "urn:switchboard:call";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// A callback Task about a patient, for a role pool or a person.
    TaskCreate { patient: String, reason: String, priority: String, due: Option<String>, owner: Option<String> },
    /// Take a Task: owner set and `in-progress`.
    TaskClaim { task: String, owner: String },
    /// Close a Task with an outcome note.
    TaskComplete { task: String, note: String },
    /// A note about a patient, as a Communication.
    Note { patient: String, text: String },
    /// Ask for a reminder to the patient, as a CommunicationRequest.
    Remind { patient: String, about: String, when: Option<String> },
    /// The patient has arrived for an appointment.
    Arrived { appointment: String },
    /// The patient did not come.
    NoShow { appointment: String },
    /// Book a free Slot: the Slot becomes busy and the Appointment is created, in one transaction.
    Book { patient: String, slot: String, reason: Option<String> },
    /// Move an Appointment to another free Slot, freeing the old one, in one transaction.
    Reschedule { appointment: String, slot: String },
    /// Cancel an Appointment with a reason, freeing its Slot.
    Cancel { appointment: String, reason: String },
    /// A Task made by a rule. Made again with new content (a corrected result), it updates that Task.
    RuleTask {
        patient: String,
        rule: String,
        key: String,
        description: String,
        priority: String,
        due: String,
        owner: String,
        /// The resource that triggered the rule, "Type/id".
        focus: String,
        /// Why it exists, in words: the rule and the values that fired it.
        why: String,
    },
    /// A reminder to the patient made by a rule.
    RuleReminder { patient: String, rule: String, key: String, about: String, when: Option<String> },
    /// Withdraw a reminder that no longer applies (its appointment was cancelled or moved).
    Withdraw { request: String },
    /// Raise a Task's priority: it is past its due time.
    Escalate { task: String, priority: String },
    /// A confirmed call intake: the caller's words and the reviewed summary as a Communication, and a
    /// Task for the team it is routed to, in one transaction.
    Intake { patient: String, note: String, summary: String, owner: String, priority: String, due: String },
    /// A phone call with a patient, as a Communication. `call` is the phone system's call id, so a
    /// call is written once however often it is logged.
    CallLog { patient: String, call: String, number: String, started: String, seconds: u32, agent: String, disposition: String },
}

#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A queued action: its local id, the resource it changes, and its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Queued {
    pub id: String,
    pub target: String,
    pub state: String,
}

const PRIORITIES: &[&str] = &["routine", "urgent", "asap", "stat"];
const TERMINAL_TASK_STATES: &[&str] = &["completed", "cancelled", "failed", "rejected", "entered-in-error"];

pub(crate) fn invalid(message: impl Into<String>) -> ActionError {
    ActionError::Invalid(message.into())
}

pub(crate) fn cached(store: &Store, source: &str, kind: &str, id: &str) -> Result<Option<Value>, ActionError> {
    Ok(store.resource(source, kind, id)?.map(|json| serde_json::from_str(&json).unwrap_or(Value::Null)))
}

/// A random version-4 UUID, minted on this device.
pub(crate) fn new_id() -> String {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).expect("the OS has randomness");
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// Checks the action against the cache, applies it locally and queues it, in one transaction.
pub fn queue(store: &mut Store, source: &str, action: &Action, now: DateTime<Utc>) -> Result<Queued, ActionError> {
    let prepared = prepare(store, source, action, now)?;
    let mut writer = store.writer(&now.to_rfc3339_opts(SecondsFormat::Millis, true))?;
    let queued = prepared.write(&mut writer, source)?;
    writer.commit()?;
    Ok(queued)
}

/// An action checked against the cache, with its local effect, ready to be written.
pub struct Prepared {
    id: String,
    target: String,
    changed: Vec<Value>,
    intent: String,
    kind: &'static str,
}

/// Checks an action and works out its local effect, reading the cache only; `Prepared::write` then
/// queues it in a transaction of the caller's (the rules queue a whole batch in one).
pub fn prepare(store: &Store, source: &str, action: &Action, now: DateTime<Utc>) -> Result<Prepared, ActionError> {
    let id = new_id();
    let (target, changed) = local_effect(store, source, action, &id, now)?;
    let intent = serde_json::to_string(action).map_err(|e| invalid(e.to_string()))?;
    Ok(Prepared { id, target, changed, intent, kind: intent_kind(action) })
}

impl Prepared {
    /// The local effect and the outbox row, in the writer's transaction.
    pub fn write(&self, writer: &mut Writer<'_>, source: &str) -> Result<Queued, StoreError> {
        for resource in &self.changed {
            writer.upsert_forced(source, &resource.to_string(), Some(&self.id))?;
        }
        writer.enqueue(&self.id, source, self.kind, &self.target, &self.intent)?;
        Ok(Queued { id: self.id.clone(), target: self.target.clone(), state: "pending".to_string() })
    }
}

fn intent_kind(action: &Action) -> &'static str {
    match action {
        Action::TaskCreate { .. } => "task_create",
        Action::TaskClaim { .. } => "task_claim",
        Action::TaskComplete { .. } => "task_complete",
        Action::Note { .. } => "note",
        Action::Remind { .. } => "remind",
        Action::Arrived { .. } => "arrived",
        Action::NoShow { .. } => "noshow",
        Action::Book { .. } => "book",
        Action::Reschedule { .. } => "reschedule",
        Action::Cancel { .. } => "cancel",
        Action::RuleTask { .. } => "rule_task",
        Action::RuleReminder { .. } => "rule_reminder",
        Action::Withdraw { .. } => "withdraw",
        Action::Escalate { .. } => "escalate",
        Action::Intake { .. } => "intake",
        Action::CallLog { .. } => "call_log",
    }
}

/// The resources as they will look once the action is applied, and the "Type/id" the action is about
/// (actions about one resource are delivered in order).
fn local_effect(store: &Store, source: &str, action: &Action, id: &str, now: DateTime<Utc>) -> Result<(String, Vec<Value>), ActionError> {
    let (target, local) = match action {
        Action::Book { patient, slot, reason } => {
            require_patient(store, source, patient)?;
            return schedule::book(store, source, patient, slot, reason.as_deref(), id, now);
        }
        Action::Reschedule { appointment, slot } => return schedule::reschedule(store, source, appointment, slot, now),
        Action::Cancel { appointment, reason } => return schedule::cancel(store, source, appointment, reason),
        Action::TaskCreate { patient, reason, priority, due, owner } => {
            require_patient(store, source, patient)?;
            if reason.trim().is_empty() {
                return Err(invalid("a task needs a reason"));
            }
            if !PRIORITIES.contains(&priority.as_str()) {
                return Err(invalid(format!("priority must be one of {}", PRIORITIES.join(", "))));
            }
            require_future(due.as_deref(), "due", now)?;
            let task = new_task(id, patient, reason, priority, due.as_deref(), owner.as_deref(), now);
            (format!("Task/{}", local_id(id)), task)
        }
        Action::TaskClaim { task, owner } => {
            let mut current = server_resource(store, source, "Task", task)?;
            if let Standing::Blocked(words) = claim_state(&current, owner) {
                return Err(invalid(words));
            }
            apply_claim(&mut current, owner);
            (format!("Task/{task}"), current)
        }
        Action::TaskComplete { task, note } => {
            if note.trim().is_empty() {
                return Err(invalid("completing a task needs an outcome note"));
            }
            let mut current = server_resource(store, source, "Task", task)?;
            if let Standing::Blocked(words) = complete_state(&current) {
                return Err(invalid(words));
            }
            apply_complete(&mut current, note, now);
            (format!("Task/{task}"), current)
        }
        Action::Note { patient, text } => {
            require_patient(store, source, patient)?;
            if text.trim().is_empty() {
                return Err(invalid("a note needs text"));
            }
            (format!("Communication/{}", local_id(id)), new_note(id, patient, text, now))
        }
        Action::Remind { patient, about, when } => {
            require_patient(store, source, patient)?;
            if about.trim().is_empty() {
                return Err(invalid("a reminder needs to say what it is about"));
            }
            require_future(when.as_deref(), "when", now)?;
            (format!("CommunicationRequest/{}", local_id(id)), new_reminder(id, patient, about, when.as_deref(), now))
        }
        Action::RuleTask { patient, rule, key, description, priority, due, owner, focus, why } => {
            require_patient(store, source, patient)?;
            let value = rule_identifier(rule, key);
            let mut task = match made_by_rule(store, source, patient, "Task", &value)? {
                Some(existing) => existing,
                None => new_task(id, patient, description, priority, None, Some(owner), now),
            };
            task["identifier"] = json!([{"system": RULE_SYSTEM, "value": value}]);
            task["description"] = json!(description);
            task["priority"] = json!(priority);
            task["restriction"] = json!({"period": {"end": due}});
            task["focus"] = json!({"reference": focus});
            task["reasonReference"] = json!({"reference": focus});
            task["reasonCode"] = json!({"text": why});
            (format!("Task/{}", task["id"].as_str().unwrap_or_default()), task)
        }
        Action::RuleReminder { patient, rule, key, about, when } => {
            require_patient(store, source, patient)?;
            let value = rule_identifier(rule, key);
            let mut request = match made_by_rule(store, source, patient, "CommunicationRequest", &value)? {
                Some(existing) => existing,
                None => new_reminder(id, patient, about, when.as_deref(), now),
            };
            request["identifier"] = json!([{"system": RULE_SYSTEM, "value": value}]);
            (format!("CommunicationRequest/{}", request["id"].as_str().unwrap_or_default()), request)
        }
        Action::Withdraw { request } => {
            let mut current = server_resource(store, source, "CommunicationRequest", request)?;
            current["status"] = json!("revoked");
            (format!("CommunicationRequest/{request}"), current)
        }
        Action::Escalate { task, priority } => {
            if !PRIORITIES.contains(&priority.as_str()) {
                return Err(invalid(format!("priority must be one of {}", PRIORITIES.join(", "))));
            }
            let mut current = server_resource(store, source, "Task", task)?;
            current["priority"] = json!(priority);
            (format!("Task/{task}"), current)
        }
        Action::Intake { patient, note, summary, owner, priority, due } => {
            require_patient(store, source, patient)?;
            if summary.trim().is_empty() || note.trim().is_empty() {
                return Err(invalid("an intake needs the caller's words and a summary"));
            }
            if !PRIORITIES.contains(&priority.as_str()) {
                return Err(invalid(format!("priority must be one of {}", PRIORITIES.join(", "))));
            }
            let mut communication = new_note(id, patient, summary, now);
            communication["category"] = json!([{"text": "Call intake"}]);
            if let Some(payload) = communication["payload"].as_array_mut() {
                payload.push(json!({"contentString": format!("Caller's words: {note}")}));
            }
            let task = new_task(&new_id(), patient, summary, priority, Some(due), Some(owner), now);
            return Ok((format!("Communication/{}", local_id(id)), vec![communication, task]));
        }
        Action::CallLog { patient, call, number, started, seconds, agent, disposition } => {
            require_patient(store, source, patient)?;
            if call.trim().is_empty() {
                return Err(invalid("a call log needs the call's id"));
            }
            let words = format!("Phone call with {number}: {} min {} s, {disposition}, agent {agent}", seconds / 60, seconds % 60);
            let mut log = new_note(id, patient, &words, now);
            log["identifier"] = json!([{"system": CALL_SYSTEM, "value": call}]);
            log["medium"] = json!([{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode", "code": "PHONE"}]}]);
            log["sent"] = json!(started);
            (format!("Communication/{}", local_id(id)), log)
        }
        Action::Arrived { appointment } | Action::NoShow { appointment } => {
            let mut current = server_resource(store, source, "Appointment", appointment)?;
            let status = if matches!(action, Action::Arrived { .. }) { "arrived" } else { "noshow" };
            if let Standing::Blocked(words) = attendance_state(&current, status) {
                return Err(invalid(words));
            }
            current["status"] = json!(status);
            (format!("Appointment/{appointment}"), current)
        }
    };
    Ok((target, vec![local]))
}

/// A resource the server already has, from the cache. A resource created here and not yet delivered
/// has no server id to change.
pub(crate) fn server_resource(store: &Store, source: &str, kind: &str, id: &str) -> Result<Value, ActionError> {
    if id.starts_with("local-") {
        return Err(invalid("this has not reached the server yet; run `switchboard outbox drain` first"));
    }
    cached(store, source, kind, id)?.ok_or_else(|| invalid(format!("no such {} in the cache", kind.to_lowercase())))
}

pub(crate) fn require_future(time: Option<&str>, field: &str, now: DateTime<Utc>) -> Result<(), ActionError> {
    if let Some(time) = time {
        let when = DateTime::parse_from_rfc3339(time).map_err(|_| invalid(format!("--{field} must be a time like 2026-12-01T09:00:00Z")))?;
        if when < now {
            return Err(invalid(format!("the {field} time is in the past")));
        }
    }
    Ok(())
}

/// Where a resource on the server stands against an intent.
pub(crate) enum Standing {
    /// Already as intended (an earlier attempt landed, or a colleague did the same).
    Done,
    /// Still open to the change.
    Open,
    /// Cannot take the change; the words say why.
    Blocked(String),
}

/// Marking attendance: only an appointment still expected can become `arrived` or `noshow`.
pub(crate) fn attendance_state(appointment: &Value, wanted: &str) -> Standing {
    match appointment["status"].as_str().unwrap_or_default() {
        status if status == wanted => Standing::Done,
        "booked" | "pending" | "proposed" | "waitlist" | "checked-in" => Standing::Open,
        "arrived" if wanted == "noshow" => Standing::Blocked("the patient has already arrived".into()),
        status => Standing::Blocked(format!("the appointment is already {status}")),
    }
}

/// The cache id of a resource created by action `id`, until the server assigns one.
pub(crate) fn local_id(action_id: &str) -> String {
    format!("local-{action_id}")
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

fn require_patient(store: &Store, source: &str, patient: &str) -> Result<(), ActionError> {
    match cached(store, source, "Patient", patient)? {
        Some(_) => Ok(()),
        None => Err(invalid("no such patient in the cache (use the server id)")),
    }
}

fn owner_of(task: &Value) -> Option<String> {
    task.pointer("/owner/reference").or_else(|| task.pointer("/owner/display")).and_then(Value::as_str).map(str::to_string)
}

pub(crate) fn apply_claim(task: &mut Value, owner: &str) {
    task["owner"] = json!({"reference": owner});
    task["status"] = json!("in-progress");
}

pub(crate) fn apply_complete(task: &mut Value, note: &str, now: DateTime<Utc>) {
    task["status"] = json!("completed");
    let entry = json!({"text": note, "time": now.to_rfc3339_opts(SecondsFormat::Secs, true)});
    match task.get_mut("note").and_then(Value::as_array_mut) {
        Some(notes) => notes.push(entry),
        None => task["note"] = json!([entry]),
    }
}

fn new_task(id: &str, patient: &str, reason: &str, priority: &str, due: Option<&str>, owner: Option<&str>, now: DateTime<Utc>) -> Value {
    let mut task = json!({"resourceType": "Task", "id": local_id(id),
        "identifier": [{"system": ACTION_SYSTEM, "value": format!("urn:uuid:{id}")}],
        "status": "requested", "intent": "order", "priority": priority, "description": reason,
        "for": {"reference": format!("Patient/{patient}")}, "authoredOn": now.to_rfc3339_opts(SecondsFormat::Secs, true)});
    if let Some(due) = due {
        task["restriction"] = json!({"period": {"end": due}});
    }
    if let Some(owner) = owner {
        task["owner"] = if owner.contains('/') { json!({"reference": owner}) } else { json!({"display": owner}) };
    }
    task
}

fn new_reminder(id: &str, patient: &str, about: &str, when: Option<&str>, now: DateTime<Utc>) -> Value {
    let mut request = json!({"resourceType": "CommunicationRequest", "id": local_id(id),
        "identifier": [{"system": ACTION_SYSTEM, "value": format!("urn:uuid:{id}")}],
        "status": "active", "subject": {"reference": format!("Patient/{patient}")},
        "recipient": [{"reference": format!("Patient/{patient}")}],
        "authoredOn": now.to_rfc3339_opts(SecondsFormat::Secs, true), "payload": [{"contentString": about}]});
    if let Some(when) = when {
        request["occurrenceDateTime"] = json!(when);
    }
    request
}

fn new_note(id: &str, patient: &str, text: &str, now: DateTime<Utc>) -> Value {
    json!({"resourceType": "Communication", "id": local_id(id),
        "identifier": [{"system": ACTION_SYSTEM, "value": format!("urn:uuid:{id}")}],
        "status": "completed", "subject": {"reference": format!("Patient/{patient}")},
        "sent": now.to_rfc3339_opts(SecondsFormat::Secs, true), "payload": [{"contentString": text}]})
}

/// Where a task on the server stands against a claim by `owner`.
pub(crate) fn claim_state(task: &Value, owner: &str) -> Standing {
    let status = task["status"].as_str().unwrap_or_default();
    match owner_of(task) {
        Some(holder) if holder == owner && status == "in-progress" => Standing::Done,
        Some(holder) if status == "in-progress" => Standing::Blocked(format!("already claimed by {holder}")),
        _ if TERMINAL_TASK_STATES.contains(&status) => Standing::Blocked(format!("the task is already {status}")),
        _ => Standing::Open,
    }
}

/// Where a task on the server stands against completing it.
pub(crate) fn complete_state(task: &Value) -> Standing {
    match task["status"].as_str().unwrap_or_default() {
        "completed" => Standing::Done,
        status if TERMINAL_TASK_STATES.contains(&status) => Standing::Blocked(format!("the task is already {status}")),
        _ => Standing::Open,
    }
}
