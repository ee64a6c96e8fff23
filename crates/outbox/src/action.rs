//! Actions: the kinds, which of them staff may queue, and queueing (check against the cache, local
//! effect and outbox row in one transaction). Each kind's knowledge lives in its module under `kinds/`.

use crate::change::{Change, Resolution, Server};
use crate::kinds::*;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use switchboard_core::{Actor, LocalId, OutboxState};
use switchboard_fhir::FhirError;
use switchboard_store::{Store, StoreError, Writer};

/// The identifier system of ids minted on this device for created resources.
pub const ACTION_SYSTEM: &str = "urn:ietf:rfc:3986";
pub use switchboard_core::RULE_SYSTEM;
/// The identifier system of logged phone calls: the value is the phone system's call id.
pub const CALL_SYSTEM: &str = "urn:switchboard:call";

/// Every kind of action the outbox delivers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    TaskCreate(TaskCreate),
    TaskClaim(TaskClaim),
    TaskComplete(TaskComplete),
    Note(Note),
    Remind(Remind),
    Arrived(Arrived),
    NoShow(NoShow),
    Book(Book),
    Reschedule(Reschedule),
    Cancel(Cancel),
    RuleTask(RuleTask),
    RuleReminder(RuleReminder),
    Withdraw(Withdraw),
    Escalate(Escalate),
    Intake(Intake),
    CallLog(CallLog),
    LinkDecision(LinkDecision),
    Hl7Feed(Hl7Feed),
}

/// The actions a person may ask for, from the window or a verb. What the rules, the call desk and the
/// intake make is queued by the core only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StaffAction {
    TaskCreate(TaskCreate),
    TaskClaim(TaskClaim),
    TaskComplete(TaskComplete),
    Note(Note),
    Remind(Remind),
    Arrived(Arrived),
    NoShow(NoShow),
    Book(Book),
    Reschedule(Reschedule),
    Cancel(Cancel),
    LinkDecision(LinkDecision),
}

impl From<StaffAction> for Action {
    fn from(action: StaffAction) -> Action {
        match action {
            StaffAction::TaskCreate(a) => Action::TaskCreate(a),
            StaffAction::TaskClaim(a) => Action::TaskClaim(a),
            StaffAction::TaskComplete(a) => Action::TaskComplete(a),
            StaffAction::Note(a) => Action::Note(a),
            StaffAction::Remind(a) => Action::Remind(a),
            StaffAction::Arrived(a) => Action::Arrived(a),
            StaffAction::NoShow(a) => Action::NoShow(a),
            StaffAction::Book(a) => Action::Book(a),
            StaffAction::Reschedule(a) => Action::Reschedule(a),
            StaffAction::Cancel(a) => Action::Cancel(a),
            StaffAction::LinkDecision(a) => Action::LinkDecision(a),
        }
    }
}

/// What one kind of action knows: how it is checked and applied locally, what delivery expects of its
/// local copies, and what a version conflict on the server means for it.
pub(crate) trait Kind {
    /// Checks the action against the cache and returns its local effect.
    fn local_effect(&self, local: &Local<'_>) -> Result<Effect, ActionError>;

    /// How many changed resources delivery expects to find in the cache.
    fn expected_changes(&self) -> usize {
        1
    }

    /// Reads what the server holds now and decides what the intent means against it. `first` is what
    /// was sent at first (its creates are conditional, so re-sending them is safe).
    fn reconcile(&self, server: &impl Server, first: &[Change], now: DateTime<Utc>) -> impl std::future::Future<Output = Result<Resolution, FhirError>>;
}

/// Calls `$body` with `$kind` bound to the action's kind.
macro_rules! with_kind {
    ($action:expr, $kind:ident => $body:expr) => {
        match $action {
            Action::TaskCreate($kind) => $body,
            Action::TaskClaim($kind) => $body,
            Action::TaskComplete($kind) => $body,
            Action::Note($kind) => $body,
            Action::Remind($kind) => $body,
            Action::Arrived($kind) => $body,
            Action::NoShow($kind) => $body,
            Action::Book($kind) => $body,
            Action::Reschedule($kind) => $body,
            Action::Cancel($kind) => $body,
            Action::RuleTask($kind) => $body,
            Action::RuleReminder($kind) => $body,
            Action::Withdraw($kind) => $body,
            Action::Escalate($kind) => $body,
            Action::Intake($kind) => $body,
            Action::CallLog($kind) => $body,
            Action::LinkDecision($kind) => $body,
            Action::Hl7Feed($kind) => $body,
        }
    };
}

impl Action {
    /// The kind's name, as the outbox and the window show it (the serde tag).
    pub fn kind_name(&self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v["kind"].as_str().map(str::to_string)).unwrap_or_default()
    }

    pub(crate) fn expected_changes(&self) -> usize {
        with_kind!(self, kind => kind.expected_changes())
    }

    pub(crate) async fn reconcile(&self, server: &impl Server, first: &[Change], now: DateTime<Utc>) -> Result<Resolution, FhirError> {
        with_kind!(self, kind => kind.reconcile(server, first, now).await)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub(crate) fn invalid(message: impl Into<String>) -> ActionError {
    ActionError::Invalid(message.into())
}

/// A queued action: its local id, the resource it changes, and its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS), serde(rename_all = "camelCase"))]
pub struct Queued {
    pub id: String,
    pub target: String,
    pub state: OutboxState,
}

/// What an action is checked and applied against: the cache, the source, its own id and the time.
pub(crate) struct Local<'a> {
    pub store: &'a Store,
    pub source: &'a str,
    /// The action's id, minted on this device; what it creates is identified by it.
    pub id: &'a str,
    pub now: DateTime<Utc>,
}

/// An action's local effect: the "Type/id" it is about (actions about one resource are delivered in
/// order) and the resources as they will look once it is applied.
pub(crate) struct Effect {
    pub target: String,
    pub changed: Vec<Value>,
}

impl Effect {
    /// The effect of an action that changes or creates one resource.
    pub fn one(resource: Value) -> Effect {
        Effect { target: reference_of(&resource), changed: vec![resource] }
    }
}

/// "Type/id" of a resource.
pub(crate) fn reference_of(resource: &Value) -> String {
    format!("{}/{}", resource["resourceType"].as_str().unwrap_or_default(), resource["id"].as_str().unwrap_or_default())
}

/// Checks the action against the cache, applies it locally and queues it, in one transaction.
/// `actor` is who asked for it: what it creates names them, and its delivery carries a Provenance.
pub fn queue(store: &mut Store, source: &str, action: &Action, actor: &Actor, now: DateTime<Utc>) -> Result<Queued, ActionError> {
    let prepared = prepare(store, source, action, actor, now)?;
    let mut writer = store.writer(&now.to_rfc3339_opts(SecondsFormat::Millis, true))?;
    let queued = prepared.write(&mut writer, source)?;
    writer.commit()?;
    Ok(queued)
}

/// An action checked against the cache, with its local effect, ready to be written.
pub struct Prepared {
    id: String,
    effect: Effect,
    intent: String,
    kind: String,
    actor: String,
}

/// Checks an action and works out its local effect, reading the cache only; `Prepared::write` then
/// queues it in a transaction of the caller's (the rules queue a whole batch in one).
pub fn prepare(store: &Store, source: &str, action: &Action, actor: &Actor, now: DateTime<Utc>) -> Result<Prepared, ActionError> {
    let id = switchboard_store::new_uuid();
    let local = Local { store, source, id: &id, now };
    let mut effect = with_kind!(action, kind => kind.local_effect(&local))?;
    crate::identity::stamp_created(&mut effect.changed, actor);
    let intent = serde_json::to_string(action).map_err(|e| invalid(e.to_string()))?;
    let actor = serde_json::to_string(actor).map_err(|e| invalid(e.to_string()))?;
    Ok(Prepared { id, effect, intent, kind: action.kind_name(), actor })
}

impl Prepared {
    /// The local effect and the outbox row, in the writer's transaction.
    pub fn write(&self, writer: &mut Writer<'_>, source: &str) -> Result<Queued, StoreError> {
        for resource in &self.effect.changed {
            writer.upsert_forced(source, &resource.to_string(), Some(&self.id))?;
        }
        writer.enqueue(&self.id, source, &self.kind, &self.effect.target, &self.intent, &self.actor)?;
        Ok(Queued { id: self.id.clone(), target: self.effect.target.clone(), state: OutboxState::Pending })
    }
}

/// The cache id of a resource created by action `id`, until the server assigns one.
pub(crate) fn local_id(action_id: &str) -> String {
    LocalId::for_action(action_id).to_string()
}
