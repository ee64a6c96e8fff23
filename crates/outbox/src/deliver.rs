//! Delivering queued actions to the clinic's server, oldest first, one resource's actions in order.

use crate::action::{apply_claim, apply_complete, attendance_state, claim_state, complete_state, Action, Standing, ACTION_SYSTEM};
use crate::schedule::{apply_cancel, cancel_state, move_to, reschedule_state, set_status, slot_id_of};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use switchboard_core::Clock;
use switchboard_fhir::{FhirClient, FhirError};
use switchboard_store::{Delivery, OutboxRow, Store, StoreError};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DrainReport {
    pub sent: u32,
    pub failed: u32,
    pub conflicts: u32,
    /// Still pending after a transient failure (offline, rate-limited): retried later.
    pub waiting: u32,
}

/// What one attempt produced: the outcome, and the server's copies of the resources it touched.
struct Attempt {
    delivery: Delivery,
    server_copies: Vec<Value>,
}

/// One change to send: an update guarded by the version it was based on, or a conditional create.
#[derive(Clone)]
enum Change {
    Update(Value),
    Create { resource: Value, condition: String },
}

/// After a version conflict, what the server's current state means for the intent.
enum Resolution {
    Done(Vec<Value>),
    Blocked(String, Vec<Value>),
    Reapply(Vec<Change>),
}

/// Re-applying an intent after a conflict gives up after this many rounds (someone keeps changing it).
const MAX_REAPPLY: u32 = 3;

/// Delivers every due action of `source`. Transient failures leave the action pending with a later
/// `not_before`; the report says how many of each outcome there were.
pub async fn drain(store: &mut Store, client: &FhirClient, source: &str, clock: &dyn Clock) -> Result<DrainReport, StoreError> {
    let mut report = DrainReport::default();
    // Due as of the start: an action put back for later is not tried again in the same drain.
    let started = stamp(clock.now());
    while let Some(row) = store.next_due(source, &started)? {
        let attempt = deliver(store, client, &row, clock.now()).await?;
        match &attempt.delivery {
            Delivery::Sent { .. } => report.sent += 1,
            Delivery::Failed { .. } => report.failed += 1,
            Delivery::Conflict { .. } => report.conflicts += 1,
            Delivery::Retry { .. } => report.waiting += 1,
        }
        tracing::info!(action = %row.id, kind = %row.kind, state = attempt.delivery.state(), "outbox delivery");
        let mut writer = store.writer(&stamp(clock.now()))?;
        for copy in &attempt.server_copies {
            writer.upsert_forced(source, &copy.to_string(), None)?;
        }
        writer.record_delivery(&row.id, &attempt.delivery)?;
        writer.commit()?;
    }
    Ok(report)
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn failed(error: impl Into<String>) -> Attempt {
    Attempt { delivery: Delivery::Failed { error: error.into() }, server_copies: Vec::new() }
}

async fn deliver(store: &Store, client: &FhirClient, row: &OutboxRow, now: DateTime<Utc>) -> Result<Attempt, StoreError> {
    let action: Action = match serde_json::from_str(&row.intent) {
        Ok(action) => action,
        Err(e) => return Ok(failed(format!("unreadable action: {e}"))),
    };
    let mut local = Vec::new();
    for json in store.changed_by(&row.id)? {
        local.push(serde_json::from_str::<Value>(&json).map_err(|e| StoreError::BadResource(e.to_string()))?);
    }
    let result = match plan(&action, &row.id, local) {
        Some(changes) => send(client, &action, changes, now).await,
        None => return Ok(failed("the changed resources are no longer in the cache")),
    };
    Ok(match result {
        Ok(attempt) => attempt,
        Err(error) if error.is_retryable() => {
            let wait = Duration::seconds(2i64.pow(row.attempts.clamp(0, 8) as u32)).min(Duration::minutes(5));
            let delivery = Delivery::Retry { error: error.to_string(), not_before: stamp(now + wait) };
            Attempt { delivery, server_copies: Vec::new() }
        }
        Err(error) => failed(error.to_string()),
    })
}

/// The first changes to send, from the local copies the action left in the cache.
fn plan(action: &Action, action_id: &str, local: Vec<Value>) -> Option<Vec<Change>> {
    let is_created = |v: &Value| v["id"].as_str().is_some_and(|id| id.starts_with("local-"));
    let changes: Vec<Change> = local
        .into_iter()
        .map(|resource| match is_created(&resource) {
            true => Change::Create { condition: create_condition(&resource, action_id), resource: without_id(resource) },
            false => Change::Update(resource),
        })
        .collect();
    // A booking changes its slot and creates its appointment; every other action changes at least one.
    let expected = if matches!(action, Action::Book { .. }) { 2 } else { 1 };
    (changes.len() >= expected).then_some(changes)
}

/// The `If-None-Exist` of a create: the identifier it carries (minted for the action, or a rule's).
fn create_condition(resource: &Value, action_id: &str) -> String {
    match (resource.pointer("/identifier/0/system").and_then(Value::as_str), resource.pointer("/identifier/0/value").and_then(Value::as_str)) {
        (Some(system), Some(value)) => format!("identifier={system}|{value}"),
        _ => format!("identifier={ACTION_SYSTEM}|urn:uuid:{action_id}"),
    }
}

fn without_id(mut resource: Value) -> Value {
    if let Some(object) = resource.as_object_mut() {
        object.remove("id");
        object.remove("meta");
    }
    resource
}

fn version_of(resource: &Value) -> Option<String> {
    resource.pointer("/meta/versionId").and_then(Value::as_str).map(str::to_string)
}

/// A 412 or 409, or a transaction that failed on one (Helios answers those with a 400 naming the 412).
fn is_version_conflict(error: &FhirError) -> bool {
    match error {
        FhirError::Status { status: 409 | 412, .. } => true,
        FhirError::Status { status: 400, message } => message.contains("412") || message.contains("409"),
        _ => false,
    }
}

/// Sends the changes; on a version conflict, reads the server again and settles or re-applies.
async fn send(client: &FhirClient, action: &Action, mut changes: Vec<Change>, now: DateTime<Utc>) -> Result<Attempt, FhirError> {
    let first = changes.clone();
    for _ in 0..MAX_REAPPLY {
        let resolution = match send_changes(client, &changes).await {
            Ok(copies) => Resolution::Done(copies),
            Err(error) if is_version_conflict(&error) => reconcile(client, action, &first, now).await?,
            Err(error) => return Err(error),
        };
        match resolution {
            Resolution::Done(copies) => return Ok(sent(copies)),
            Resolution::Blocked(words, copies) => {
                return Ok(Attempt { delivery: Delivery::Conflict { error: words }, server_copies: copies })
            }
            Resolution::Reapply(next) => changes = next,
        }
    }
    Ok(Attempt {
        delivery: Delivery::Conflict { error: "the record kept changing on the server; try again".into() },
        server_copies: Vec::new(),
    })
}

fn sent(copies: Vec<Value>) -> Attempt {
    let result = copies
        .iter()
        .map(|c| format!("{}/{}/_history/{}", c["resourceType"].as_str().unwrap_or_default(), c["id"].as_str().unwrap_or_default(), version_of(c).unwrap_or_default()))
        .collect::<Vec<_>>()
        .join(" ");
    Attempt { delivery: Delivery::Sent { result }, server_copies: copies }
}

/// One change as a plain request; several as one transaction Bundle (all or nothing).
async fn send_changes(client: &FhirClient, changes: &[Change]) -> Result<Vec<Value>, FhirError> {
    if let [single] = changes {
        return Ok(vec![match single {
            Change::Update(resource) => client.update(resource, version_of(resource).as_deref()).await?,
            Change::Create { resource, condition } => client.create(resource, condition).await?,
        }]);
    }
    let entries: Vec<Value> = changes
        .iter()
        .map(|change| match change {
            Change::Update(resource) => {
                let url = format!("{}/{}", resource["resourceType"].as_str().unwrap_or_default(), resource["id"].as_str().unwrap_or_default());
                let mut request = json!({"method": "PUT", "url": url});
                if let Some(version) = version_of(resource) {
                    request["ifMatch"] = json!(format!("W/\"{version}\""));
                }
                json!({"resource": resource, "request": request})
            }
            Change::Create { resource, condition } => json!({"resource": resource,
                "request": {"method": "POST", "url": resource["resourceType"], "ifNoneExist": condition}}),
        })
        .collect();
    let response = client.transaction(&json!({"resourceType": "Bundle", "type": "transaction", "entry": entries})).await?;
    let copies: Vec<Value> = response["entry"].as_array().into_iter().flatten().filter_map(|e| e.get("resource").cloned()).collect();
    if copies.len() != changes.len() {
        return Err(FhirError::BadResponse { detail: "the transaction response does not return every resource".into() });
    }
    Ok(copies)
}

/// The resource a conditional create in `changes` made, if the server has it.
async fn created_by(client: &FhirClient, changes: &[Change]) -> Result<Option<Value>, FhirError> {
    let Some((kind, condition)) = changes.iter().find_map(|c| match c {
        Change::Create { resource, condition } => Some((resource["resourceType"].as_str().unwrap_or_default(), condition)),
        Change::Update(_) => None,
    }) else {
        return Ok(None);
    };
    let identifier = condition.trim_start_matches("identifier=");
    let page = client.get_page(&client.search_url(kind, &[("identifier", identifier)])?).await?;
    Ok(page.resources.first().and_then(|raw| serde_json::from_str(raw.get()).ok()))
}

/// Reads what the server holds now and decides what the intent means against it. `first` is what was
/// sent at first (its creates are conditional, so re-sending them is safe).
async fn reconcile(client: &FhirClient, action: &Action, first: &[Change], now: DateTime<Utc>) -> Result<Resolution, FhirError> {
    let single = |current: Value, standing: Standing, reapply: &dyn Fn(&mut Value)| match standing {
        Standing::Done => Resolution::Done(vec![current]),
        Standing::Blocked(words) => Resolution::Blocked(words, vec![current]),
        Standing::Open => {
            let mut next = current;
            reapply(&mut next);
            Resolution::Reapply(vec![Change::Update(next)])
        }
    };
    Ok(match action {
        Action::TaskClaim { task, owner } => {
            let current = client.read("Task", task).await?;
            let standing = claim_state(&current, owner);
            single(current, standing, &|t| apply_claim(t, owner))
        }
        Action::TaskComplete { task, note } => {
            let current = client.read("Task", task).await?;
            let standing = complete_state(&current);
            single(current, standing, &|t| apply_complete(t, note, now))
        }
        Action::Arrived { appointment } | Action::NoShow { appointment } => {
            let wanted = if matches!(action, Action::Arrived { .. }) { "arrived" } else { "noshow" };
            let current = client.read("Appointment", appointment).await?;
            let standing = attendance_state(&current, wanted);
            single(current, standing, &|a| set_status(a, wanted))
        }
        Action::Book { slot, .. } => {
            let current = client.read("Slot", slot).await?;
            match (created_by(client, first).await?, current["status"].as_str()) {
                // An earlier attempt landed and only its answer was lost.
                (Some(appointment), _) => Resolution::Done(vec![current, appointment]),
                (None, Some("free")) => {
                    let mut busy = current;
                    set_status(&mut busy, "busy");
                    let creates = first.iter().filter(|c| matches!(c, Change::Create { .. })).cloned();
                    Resolution::Reapply(std::iter::once(Change::Update(busy)).chain(creates).collect())
                }
                (None, _) => Resolution::Blocked("the slot is no longer free".into(), vec![current]),
            }
        }
        Action::Cancel { appointment, reason } => {
            let current = client.read("Appointment", appointment).await?;
            match cancel_state(&current) {
                Standing::Done => Resolution::Done(vec![current]),
                Standing::Blocked(words) => Resolution::Blocked(words, vec![current]),
                Standing::Open => {
                    let mut changes: Vec<Change> = freeing_slot_of(client, &current).await?.into_iter().collect();
                    let mut cancelled = current;
                    apply_cancel(&mut cancelled, reason);
                    changes.insert(0, Change::Update(cancelled));
                    Resolution::Reapply(changes)
                }
            }
        }
        Action::Reschedule { appointment, slot } => {
            let (current, new_slot) = (client.read("Appointment", appointment).await?, client.read("Slot", slot).await?);
            match reschedule_state(&current, &new_slot) {
                Standing::Done => Resolution::Done(vec![current, new_slot]),
                Standing::Blocked(words) => Resolution::Blocked(words, vec![current, new_slot]),
                Standing::Open => {
                    let mut changes: Vec<Change> = freeing_slot_of(client, &current).await?.into_iter().collect();
                    let mut moved = current;
                    move_to(&mut moved, &new_slot);
                    let mut busy = new_slot;
                    set_status(&mut busy, "busy");
                    changes.insert(0, Change::Update(busy));
                    changes.insert(0, Change::Update(moved));
                    Resolution::Reapply(changes)
                }
            }
        }
        Action::Withdraw { request } => {
            let current = client.read("CommunicationRequest", request).await?;
            match current["status"].as_str().unwrap_or_default() {
                "revoked" | "completed" | "entered-in-error" => Resolution::Done(vec![current]),
                _ => single(current, Standing::Open, &|r| r["status"] = json!("revoked")),
            }
        }
        Action::Escalate { task, priority } => {
            let current = client.read("Task", task).await?;
            match complete_state(&current) {
                // Closed meanwhile: nothing left to escalate.
                Standing::Done | Standing::Blocked(_) => Resolution::Done(vec![current]),
                Standing::Open => single(current, Standing::Open, &|t| t["priority"] = json!(priority)),
            }
        }
        // A rule's task or reminder updated on another workstation meanwhile: theirs stands, it carries
        // the same rule output.
        Action::RuleTask { .. } | Action::RuleReminder { .. } => match first.iter().find_map(|c| match c {
            Change::Update(r) => Some((r["resourceType"].as_str().unwrap_or_default(), r["id"].as_str().unwrap_or_default())),
            Change::Create { .. } => None,
        }) {
            Some((kind, id)) => Resolution::Done(vec![client.read(kind, id).await?]),
            None => Resolution::Blocked("the server refused the create with a version conflict".into(), Vec::new()),
        },
        // Conditional creates do not conflict; a 412 here is the server's own error.
        Action::TaskCreate { .. } | Action::Note { .. } | Action::Remind { .. } | Action::Intake { .. } | Action::CallLog { .. } => {
            Resolution::Blocked("the server refused the create with a version conflict".into(), Vec::new())
        }
    })
}

/// The change that frees the slot an appointment holds now, read fresh from the server.
async fn freeing_slot_of(client: &FhirClient, appointment: &Value) -> Result<Option<Change>, FhirError> {
    let Some(slot) = slot_id_of(appointment) else { return Ok(None) };
    let mut freed = client.read("Slot", &slot).await?;
    set_status(&mut freed, "free");
    Ok(Some(Change::Update(freed)))
}
