//! Delivering queued actions to the clinic's server, oldest first, one resource's actions in order.

use crate::action::{apply_claim, apply_complete, attendance_state, local_id, owner_of, Action, Standing, ACTION_SYSTEM};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::Value;
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

/// What one attempt produced: the outcome, and the server's copy of the resource when it sent one.
struct Attempt {
    delivery: Delivery,
    server_copy: Option<Value>,
}

/// Re-applying an intent after a 412 gives up after this many rounds (someone keeps changing it).
const MAX_REAPPLY: u32 = 3;

/// Delivers every due action of `source`. Transient failures leave the action pending with a later
/// `not_before`; the report says how many of each outcome there were.
pub async fn drain(store: &mut Store, client: &FhirClient, source: &str, clock: &dyn Clock) -> Result<DrainReport, StoreError> {
    let mut report = DrainReport::default();
    // Due as of the start: an action put back for later is not tried again in the same drain.
    let started = stamp(clock.now());
    loop {
        let now = clock.now();
        let Some(row) = store.next_due(source, &started)? else { break };
        let attempt = deliver(store, client, &row, now).await?;
        match &attempt.delivery {
            Delivery::Sent { .. } => report.sent += 1,
            Delivery::Failed { .. } => report.failed += 1,
            Delivery::Conflict { .. } => report.conflicts += 1,
            Delivery::Retry { .. } => report.waiting += 1,
        }
        tracing::info!(action = %row.id, kind = %row.kind, outcome = outcome_name(&attempt.delivery), "outbox delivery");
        let mut writer = store.writer(&stamp(clock.now()))?;
        if let Some(copy) = &attempt.server_copy {
            // A created resource replaces its local copy, which has a device-side id.
            let (kind, id) = row.target.split_once('/').unwrap_or_default();
            if id == local_id(&row.id) {
                writer.delete(source, kind, id)?;
            }
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

fn outcome_name(delivery: &Delivery) -> &'static str {
    match delivery {
        Delivery::Sent { .. } => "sent",
        Delivery::Retry { .. } => "retry",
        Delivery::Failed { .. } => "failed",
        Delivery::Conflict { .. } => "conflict",
    }
}

async fn deliver(store: &Store, client: &FhirClient, row: &OutboxRow, now: DateTime<Utc>) -> Result<Attempt, StoreError> {
    let action: Action = match serde_json::from_str(&row.intent) {
        Ok(action) => action,
        Err(e) => return Ok(settled(Delivery::Failed { error: format!("unreadable action: {e}") }, None)),
    };
    let (kind, id) = row.target.split_once('/').unwrap_or_default();
    let Some(local) = store.resource(&row.source, kind, id)? else {
        return Ok(settled(Delivery::Failed { error: "the changed resource is no longer in the cache".into() }, None));
    };
    let local: Value = serde_json::from_str(&local).map_err(|e| StoreError::BadResource(e.to_string()))?;
    let result = match &action {
        Action::TaskCreate { .. } | Action::Note { .. } | Action::Remind { .. } => create(client, &row.id, local).await,
        Action::Arrived { .. } => update(client, local, |a| attendance_state(a, "arrived"), |a| a["status"] = "arrived".into()).await,
        Action::NoShow { .. } => update(client, local, |a| attendance_state(a, "noshow"), |a| a["status"] = "noshow".into()).await,
        Action::TaskClaim { owner, .. } => update(client, local, |task| claim_state(task, owner), |task| apply_claim(task, owner)).await,
        Action::TaskComplete { note, .. } => {
            update(client, local, complete_state, |task| apply_complete(task, note, now)).await
        }
    };
    Ok(match result {
        Ok(attempt) => attempt,
        Err(error) if error.is_retryable() => {
            let wait = Duration::seconds(2i64.pow(row.attempts.clamp(0, 8) as u32)).min(Duration::minutes(5));
            settled(Delivery::Retry { error: error.to_string(), not_before: stamp(now + wait) }, None)
        }
        Err(error) => settled(Delivery::Failed { error: error.to_string() }, None),
    })
}

fn settled(delivery: Delivery, server_copy: Option<Value>) -> Attempt {
    Attempt { delivery, server_copy }
}

fn version_of(resource: &Value) -> Option<String> {
    resource.pointer("/meta/versionId").and_then(Value::as_str).map(str::to_string)
}

fn sent(copy: Value) -> Attempt {
    let result = format!(
        "{}/{}/_history/{}",
        copy["resourceType"].as_str().unwrap_or_default(),
        copy["id"].as_str().unwrap_or_default(),
        version_of(&copy).unwrap_or_default()
    );
    settled(Delivery::Sent { result }, Some(copy))
}

/// A conditional create on the identifier minted with the action: a retry finds the first copy.
async fn create(client: &FhirClient, action_id: &str, mut local: Value) -> Result<Attempt, FhirError> {
    if let Some(object) = local.as_object_mut() {
        object.remove("id");
        object.remove("meta");
    }
    let condition = format!("identifier={ACTION_SYSTEM}|urn:uuid:{action_id}");
    Ok(sent(client.create(&local, &condition).await?))
}

fn claim_state(task: &Value, owner: &str) -> Standing {
    let status = task["status"].as_str().unwrap_or_default();
    match owner_of(task) {
        Some(holder) if holder == owner && status == "in-progress" => Standing::Done,
        Some(holder) if status == "in-progress" => Standing::Blocked(format!("already claimed by {holder}")),
        _ if matches!(status, "completed" | "cancelled" | "failed" | "rejected" | "entered-in-error") => {
            Standing::Blocked(format!("the task is already {status}"))
        }
        _ => Standing::Open,
    }
}

fn complete_state(task: &Value) -> Standing {
    match task["status"].as_str().unwrap_or_default() {
        "completed" => Standing::Done,
        status @ ("cancelled" | "failed" | "rejected" | "entered-in-error") => Standing::Blocked(format!("the task is already {status}")),
        _ => Standing::Open,
    }
}

/// A version-aware update. On 412/409 the server's copy is read again: an intent already met is
/// success, a blocked one is a conflict shown with the server's state, an open one is re-applied.
async fn update(
    client: &FhirClient,
    mut intended: Value,
    standing: impl Fn(&Value) -> Standing,
    reapply: impl Fn(&mut Value),
) -> Result<Attempt, FhirError> {
    for _ in 0..MAX_REAPPLY {
        match client.update(&intended, version_of(&intended).as_deref()).await {
            Ok(copy) => return Ok(sent(copy)),
            Err(FhirError::Status { status: 409 | 412, .. }) => {
                let (kind, id) = (intended["resourceType"].as_str().unwrap_or_default(), intended["id"].as_str().unwrap_or_default());
                let current = client.read(kind, id).await?;
                match standing(&current) {
                    Standing::Done => return Ok(sent(current)),
                    Standing::Blocked(words) => return Ok(settled(Delivery::Conflict { error: words }, Some(current))),
                    Standing::Open => {
                        intended = current;
                        reapply(&mut intended);
                    }
                }
            }
            Err(other) => return Err(other),
        }
    }
    Ok(settled(Delivery::Conflict { error: "the resource kept changing on the server; try again".into() }, None))
}
