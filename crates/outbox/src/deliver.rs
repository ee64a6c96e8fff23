//! Delivering queued actions to the clinic's server, oldest first, one resource's actions in order.

use crate::action::{reference_of, Action, ACTION_SYSTEM};
use crate::change::{Change, Resolution};
use crate::identity;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::HashSet;
use switchboard_core::{Actor, Clock, LocalId};
use switchboard_fhir::{FhirClient, FhirError};
use switchboard_store::{Delivery, OutboxRow, Store, StoreError};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DrainReport {
    pub sent: u32,
    pub failed: u32,
    pub conflicts: u32,
    /// Still pending after a transient failure, retried later. When the server stopped taking requests
    /// (offline, rate-limited), every action of the source still pending.
    pub waiting: u32,
}

/// What one attempt produced: the outcome, and the server's copies of the resources it touched.
struct Attempt {
    delivery: Delivery,
    server_copies: Vec<Value>,
    /// The server is not taking requests at all: the rest of the round waits.
    server_down: bool,
}

impl Attempt {
    /// An outcome the server gave (or the cache settled) for this action alone.
    fn settled(delivery: Delivery, server_copies: Vec<Value>) -> Attempt {
        Attempt { delivery, server_copies, server_down: false }
    }
}

/// Re-applying an intent after a conflict gives up after this many rounds (someone keeps changing it).
const MAX_REAPPLY: u32 = 3;

/// Outcomes are recorded together, up to this many in one commit: each commit costs the cache's
/// other connections (the HL7 receiver's writer) their page cache.
const RECORD_BATCH: usize = 64;
/// An outcome waits at most this long for the rest of its batch.
const RECORD_WITHIN: std::time::Duration = std::time::Duration::from_millis(250);

/// Delivers every due action of `source`. Transient failures leave the action pending with a later
/// `not_before`; the report says how many of each outcome there were.
pub async fn drain(store: &mut Store, client: &FhirClient, source: &str, clock: &dyn Clock) -> Result<DrainReport, StoreError> {
    let mut report = DrainReport::default();
    // Due as of the start: an action put back for later is not tried again in the same drain.
    let started = stamp(clock.now());
    loop {
        let due = store.due(source, &started, RECORD_BATCH)?;
        if due.is_empty() {
            return Ok(report);
        }
        let mut unrecorded = Unrecorded::default();
        for row in due {
            let mut local = local_copies(store, &row)?;
            if unrecorded.must_record_before(&row, &local) {
                unrecorded.record(store, source, clock)?;
                local = local_copies(store, &row)?;
            }
            let attempt = deliver(store, client, &row, local, clock.now()).await?;
            match &attempt.delivery {
                Delivery::Sent { .. } => report.sent += 1,
                Delivery::Failed { .. } => report.failed += 1,
                Delivery::Conflict { .. } => report.conflicts += 1,
                Delivery::Retry { .. } => report.waiting += 1,
            }
            tracing::info!(action = %row.id, kind = %row.kind, state = attempt.delivery.state().as_str(), "outbox delivery");
            let server_down = attempt.server_down;
            unrecorded.push(row, attempt);
            if server_down {
                // The rest stay as they are, untried, for the next round: each would fail the same way
                // (a timeout apiece), and recording each failure rewrites its queued row.
                unrecorded.record(store, source, clock)?;
                report.waiting = store.pending_count(source)?;
                return Ok(report);
            }
        }
        unrecorded.record(store, source, clock)?;
    }
}

/// Attempts made and not yet recorded in the cache. A crash before they are loses nothing: the next
/// drain sends them again, and the server answers a resend as it does any (conditional creates,
/// versioned updates).
#[derive(Default)]
struct Unrecorded {
    attempts: Vec<(OutboxRow, Attempt)>,
    /// "Type/id" of every resource the attempts touched.
    touched: HashSet<String>,
    since: Option<std::time::Instant>,
}

impl Unrecorded {
    fn push(&mut self, row: OutboxRow, attempt: Attempt) {
        self.touched.insert(row.target.clone());
        self.touched.extend(attempt.server_copies.iter().map(reference_of));
        self.since.get_or_insert_with(std::time::Instant::now);
        self.attempts.push((row, attempt));
    }

    /// The next action must see these outcomes first when it is about something they touched; and
    /// none waits long, so the outbox view stays current.
    fn must_record_before(&self, next: &OutboxRow, its_copies: &[Value]) -> bool {
        self.touched.contains(&next.target)
            || its_copies.iter().any(|copy| self.touched.contains(&reference_of(copy)))
            || self.since.is_some_and(|since| since.elapsed() >= RECORD_WITHIN)
    }

    fn record(&mut self, store: &mut Store, source: &str, clock: &dyn Clock) -> Result<(), StoreError> {
        if self.attempts.is_empty() {
            return Ok(());
        }
        let mut writer = store.writer(&stamp(clock.now()))?;
        for (row, attempt) in &self.attempts {
            for copy in &attempt.server_copies {
                writer.upsert_forced(source, &copy.to_string(), None)?;
            }
            writer.record_delivery(&row.id, &attempt.delivery)?;
        }
        writer.commit()?;
        *self = Unrecorded::default();
        Ok(())
    }
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn failed(error: impl Into<String>) -> Attempt {
    Attempt::settled(Delivery::Failed { error: error.into() }, Vec::new())
}

/// The cached copies of what an undelivered action changed.
fn local_copies(store: &Store, row: &OutboxRow) -> Result<Vec<Value>, StoreError> {
    store.changed_by(&row.id)?.iter().map(|json| serde_json::from_str(json).map_err(|e| StoreError::BadResource(e.to_string()))).collect()
}

async fn deliver(store: &Store, client: &FhirClient, row: &OutboxRow, local: Vec<Value>, now: DateTime<Utc>) -> Result<Attempt, StoreError> {
    let action: Action = match serde_json::from_str(&row.intent) {
        Ok(action) => action,
        Err(e) => return Ok(failed(format!("unreadable action: {e}"))),
    };
    let authorship = Authorship { action_id: &row.id, actor: row.actor.as_deref().and_then(|a| serde_json::from_str(a).ok()), recorded: &row.created_at };
    let result = match plan(&action, &row.id, local) {
        Some(changes) => send(client, &action, changes, &authorship, now).await,
        None => return Ok(carried_by_later(store, row)?.unwrap_or_else(|| failed("the changed resources are no longer in the cache"))),
    };
    Ok(match result {
        Ok(attempt) => attempt,
        Err(error) if error.is_retryable() => {
            let wait = Duration::seconds(2i64.pow(row.attempts.clamp(0, 8) as u32)).min(Duration::minutes(5));
            let delivery = Delivery::Retry { error: error.to_string(), not_before: stamp(now + wait) };
            Attempt { delivery, server_copies: Vec::new(), server_down: error.is_server_wide() }
        }
        Err(error) => failed(error.to_string()),
    })
}

/// An action whose resource a later queued action changed again (a claim, then a completion, before
/// either was sent): the later one's copy holds both changes, so it carries this one to the server.
fn carried_by_later(store: &Store, row: &OutboxRow) -> Result<Option<Attempt>, StoreError> {
    Ok(store.pending_action_of(&row.source, &row.target)?.filter(|later| *later != row.id).map(|later| {
        Attempt::settled(Delivery::Sent { result: format!("{} (sent with action {later}, queued after it on the same resource)", row.target) }, Vec::new())
    }))
}

/// The first changes to send, from the local copies the action left in the cache.
fn plan(action: &Action, action_id: &str, local: Vec<Value>) -> Option<Vec<Change>> {
    let is_created = |v: &Value| v["id"].as_str().is_some_and(LocalId::is_local);
    let changes: Vec<Change> = local
        .into_iter()
        .map(|resource| match is_created(&resource) {
            true => Change::Create { condition: create_condition(&resource, action_id), resource: without_id(resource) },
            false => Change::Update(resource),
        })
        .collect();
    (changes.len() >= action.expected_changes()).then_some(changes)
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
async fn send(client: &FhirClient, action: &Action, mut changes: Vec<Change>, authorship: &Authorship<'_>, now: DateTime<Utc>) -> Result<Attempt, FhirError> {
    let first = changes.clone();
    for _ in 0..MAX_REAPPLY {
        let resolution = match send_changes(client, &changes, authorship).await {
            Ok(copies) => Resolution::Done(copies),
            Err(error) if is_version_conflict(&error) => action.reconcile(client, &first, now).await?,
            Err(error) => return Err(error),
        };
        match resolution {
            Resolution::Done(copies) => return Ok(sent(copies)),
            Resolution::Blocked(words, copies) => return Ok(Attempt::settled(Delivery::Conflict { error: words }, copies)),
            Resolution::Reapply(next) => changes = next,
        }
    }
    Ok(Attempt::settled(Delivery::Conflict { error: "the record kept changing on the server; try again".into() }, Vec::new()))
}

fn sent(copies: Vec<Value>) -> Attempt {
    let result = copies
        .iter()
        .map(|c| {
            format!(
                "{}/{}/_history/{}",
                c["resourceType"].as_str().unwrap_or_default(),
                c["id"].as_str().unwrap_or_default(),
                version_of(c).unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    Attempt::settled(Delivery::Sent { result }, copies)
}

/// Who an action's delivery names in its Provenance (an action queued before actors were kept has none).
struct Authorship<'a> {
    action_id: &'a str,
    actor: Option<Actor>,
    recorded: &'a str,
}

/// The changes and the action's Provenance as one transaction Bundle (all or nothing); a lone change
/// without a Provenance as a plain request.
async fn send_changes(client: &FhirClient, changes: &[Change], authorship: &Authorship<'_>) -> Result<Vec<Value>, FhirError> {
    if let ([single], None) = (changes, &authorship.actor) {
        return Ok(vec![match single {
            Change::Update(resource) => client.update(resource, version_of(resource).as_deref()).await?,
            Change::Create { resource, condition } => client.create(resource, condition).await?,
        }]);
    }
    let mut targets = Vec::new();
    let mut entries: Vec<Value> = changes
        .iter()
        .map(|change| match change {
            Change::Update(resource) => {
                let url = reference_of(resource);
                targets.push(url.clone());
                let mut request = json!({"method": "PUT", "url": url});
                if let Some(version) = version_of(resource) {
                    request["ifMatch"] = json!(format!("W/\"{version}\""));
                }
                json!({"resource": resource, "request": request})
            }
            Change::Create { resource, condition } => {
                // The Provenance names the create by this Bundle-local address; the server rewrites it.
                let full_url = format!("urn:uuid:{}", switchboard_store::new_uuid());
                targets.push(full_url.clone());
                json!({"fullUrl": full_url, "resource": resource, "request": {"method": "POST", "url": resource["resourceType"], "ifNoneExist": condition}})
            }
        })
        .collect();
    if let Some(actor) = &authorship.actor {
        let creates = changes.iter().any(|c| matches!(c, Change::Create { .. }));
        let provenance = identity::provenance(authorship.action_id, &targets, authorship.recorded, creates, actor);
        let url = format!("Provenance/{}", identity::provenance_id(authorship.action_id));
        entries.push(json!({"resource": provenance, "request": {"method": "PUT", "url": url}}));
    }
    let response = client.transaction(&json!({"resourceType": "Bundle", "type": "transaction", "entry": entries})).await?;
    let copies: Vec<Value> = response["entry"].as_array().into_iter().flatten().take(changes.len()).filter_map(|e| e.get("resource").cloned()).collect();
    if copies.len() != changes.len() {
        return Err(FhirError::BadResponse { detail: "the transaction response does not return every resource".into() });
    }
    Ok(copies)
}
