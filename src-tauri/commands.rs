//! IPC commands: each takes ids or text, calls one core function and maps the error. Each runs on
//! Tauri's async runtime (`async`), not the main thread, so a slow read never freezes the window.

use crate::error::BoundaryError;
use crate::phone::PhoneStatus;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use switchboard_app::{source_entry, ClinicInfo, Hl7Problems, Job, SourceView};
use switchboard_calls::{CallPop, PatientRef};
use switchboard_core::config::SourceRole;
use switchboard_core::{AuditAction, OutboxState};
use switchboard_intake::llm::{enrich, SecondOpinion};
use switchboard_intake::{Answer, Intake, Language, Urgency};
use switchboard_outbox::{Queued, StaffAction};
use switchboard_rules::RuleView;
use switchboard_store::{
    AlertRow, AuditFilter, AuditRow, CallRow, FreeSlot, Hl7Logged, OutboxRow, Overview, PatientHit, PatientRecord, PatientView, ReviewPair, ScheduleColumn,
    Worklist, WorklistFilter,
};
use tauri::State;

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn overview(state: State<'_, AppState>) -> Result<Overview, BoundaryError> {
    state.with_store(|store| Ok(store.overview()?))
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn search_patients(state: State<'_, AppState>, text: String) -> Result<Vec<PatientHit>, BoundaryError> {
    let today = state.clock().now().date_naive();
    let app = state.app();
    state.with_phi(|store| {
        if !text.trim().is_empty() {
            app.audit(store, AuditAction::Search, None, text.trim())?;
        }
        Ok(store.search_text(&text, app.month_first(), today)?)
    })
}

/// The search box's second step on a partial cache: the server is asked with no cache held (typing
/// and local search go on), then what it found is kept and the cache's results returned.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub async fn search_server(state: State<'_, AppState>, text: String) -> Result<Vec<PatientHit>, BoundaryError> {
    state.unlocked()?;
    let search = state.app().server_search(&text)?;
    let found = search.ask().await?;
    let app = state.app();
    state.with_phi(|store| Ok(app.keep_found(store, &text, &found)?))
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn patient_view(state: State<'_, AppState>, source: String, id: String) -> Result<Option<PatientView>, BoundaryError> {
    let app = state.app();
    state.with_phi(|store| Ok(app.open_patient(store, &source, &id)?))
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn queue_action(state: State<'_, AppState>, source: String, action: StaffAction) -> Result<Queued, BoundaryError> {
    let queued = {
        let app = state.app();
        state.with_phi(|store| Ok(app.queue_staff(store, &source, action)?))?
    };
    state.worker.request(Job::Deliver);
    Ok(queued)
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn outbox(state: State<'_, AppState>) -> Result<Vec<OutboxRow>, BoundaryError> {
    state.with_phi(|store| Ok(store.outbox()?))
}

/// `pending` puts a failed or conflicting action back in the queue; `discarded` gives it up.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn set_action_state(state: State<'_, AppState>, id: String, to: OutboxState) -> Result<bool, BoundaryError> {
    let now = state.clock().now().to_rfc3339();
    let changed = state.with_phi(|store| Ok(store.set_outbox_state(&id, to, &now)?))?;
    state.worker.request(Job::Deliver);
    Ok(changed)
}

/// Free slots the booking form offers: about two weeks of a small clinic's.
const FREE_SLOTS_SHOWN: usize = 400;

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn free_slots(state: State<'_, AppState>, source: String, patient: Option<String>) -> Result<Vec<FreeSlot>, BoundaryError> {
    let now = state.clock().now();
    let app = state.app();
    state.with_phi(|store| {
        // The slots are the scheduler's, and the person's own practitioner is read from their record there.
        let (slots_from, patient) = match &patient {
            Some(id) => app.record_for(store, SourceRole::Scheduling, &source, id)?,
            None => (source.clone(), None),
        };
        Ok(store.free_slots(&slots_from, now, FREE_SLOTS_SHOWN, patient.as_deref())?)
    })
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn review_queue(state: State<'_, AppState>) -> Result<Vec<ReviewPair>, BoundaryError> {
    let today = state.clock().now().date_naive();
    state.with_phi(|store| Ok(store.review_queue(today)?))
}

/// Staff say two records are one person (`same`) or two.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn decide_link(state: State<'_, AppState>, record: PatientRecord, other: PatientRecord, same: bool) -> Result<Queued, BoundaryError> {
    let queued = {
        let app = state.app();
        state.with_phi(|store| Ok(app.decide_link(store, (&record.source, &record.id), (&other.source, &other.id), same)?))?
    };
    state.worker.request(Job::Deliver);
    Ok(queued)
}

/// Staff say a record is not the person it was linked to.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn unlink_record(state: State<'_, AppState>, record: PatientRecord) -> Result<Vec<Queued>, BoundaryError> {
    let queued = {
        let app = state.app();
        state.with_phi(|store| Ok(app.unlink(store, (&record.source, &record.id))?))?
    };
    state.worker.request(Job::Deliver);
    Ok(queued)
}

/// Open tasks the worklist shows: more than a shift works, few enough to draw at once.
const WORKLIST_SHOWN: usize = 200;

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn worklist(state: State<'_, AppState>, filter: WorklistFilter) -> Result<Worklist, BoundaryError> {
    let app = state.app();
    state.with_phi(|store| {
        app.audit(store, AuditAction::List, None, "worklist")?;
        Ok(store.worklist(&filter, app.clock.now(), WORKLIST_SHOWN)?)
    })
}

/// Signs a person in to `source` in the system browser, then loads the app again as them.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub async fn sign_in(state: State<'_, AppState>, source: String) -> Result<String, BoundaryError> {
    // A fresh App: the window's is behind a lock that must not be held while the person signs in.
    let app = switchboard_app::App::from_env()?;
    let identity = app.sign_in(&source, switchboard_app::open_in_browser).await?;
    state.reload()?;
    Ok(identity.fhir_user.unwrap_or(identity.subject))
}

/// Forgets the sign-in of `source` here; the window clears what it showed.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn sign_out(state: State<'_, AppState>, source: String) -> Result<(), BoundaryError> {
    state.app().sign_out(&source)?;
    state.reload()
}

/// Hides every screen's patient data until `unlock_screen`: the window asks after its idle time or on
/// Ctrl+L, and from then on every command that reads patient data refuses.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn lock_screen(state: State<'_, AppState>) {
    state.set_locked(true);
}

/// Shows patient data again. When someone signed in at this workstation, only after they sign in
/// again (in the system browser), or enter the unlock PIN they set where the clinic allows one;
/// otherwise at once (the lock then hides, but does not prove who).
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub async fn unlock_screen(state: State<'_, AppState>, pin: Option<String>) -> Result<(), BoundaryError> {
    let signed_in = state.app().signed_in_source()?;
    match (signed_in, pin) {
        (Some(_), Some(pin)) => {
            let app = state.app();
            state.with_store(|store| Ok(app.unlock_with_pin(store, &pin)?))?;
        }
        (Some(source), None) => {
            let app = switchboard_app::App::from_env()?;
            app.sign_in(&source, switchboard_app::open_in_browser).await?;
            state.reload()?;
        }
        (None, _) => {}
    }
    state.set_locked(false);
    Ok(())
}

/// Sets the signed-in person's unlock PIN (only while unlocked, and where the clinic allows one).
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn set_unlock_pin(state: State<'_, AppState>, pin: String) -> Result<(), BoundaryError> {
    state.unlocked()?;
    Ok(state.app().set_unlock_pin(&pin)?)
}

/// The audit log for the supervisor screen, newest first.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn audit_log(state: State<'_, AppState>, filter: AuditFilter) -> Result<Vec<AuditRow>, BoundaryError> {
    let app = state.app();
    state.with_phi(|store| Ok(app.audit_log(store, &filter)?))
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn sources(state: State<'_, AppState>) -> Result<Vec<SourceView>, BoundaryError> {
    let app = state.app();
    state.with_store(|store| Ok(app.source_views(store)?))
}

/// The HL7 feed's refused and held messages, when this machine runs the receiver.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn hl7_problems(state: State<'_, AppState>) -> Result<Hl7Problems, BoundaryError> {
    let app = state.app();
    state.with_phi(|store| Ok(app.hl7_problems(store)?))
}

/// Reads a refused or held HL7 message again (after its patient was linked, or the config fixed).
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn hl7_replay(state: State<'_, AppState>, seq: i64) -> Result<Hl7Logged, BoundaryError> {
    let app = state.app();
    state.with_phi(|store| Ok(app.hl7_replay(store, seq)?))
}

/// Adds or edits a FHIR endpoint, then pulls from it.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn save_source(state: State<'_, AppState>, name: String, fhir: String) -> Result<bool, BoundaryError> {
    let replaced = state.app().save_source(source_entry(&name, &fhir)?)?;
    state.reload()?;
    Ok(replaced)
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn sync_now(state: State<'_, AppState>) {
    state.worker.request(Job::Sync);
}

/// The workspace opened on a patient: fetch them again in the background; `data-changed` follows.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn refresh_patient(state: State<'_, AppState>, source: String, id: String) {
    state.worker.request(Job::RefreshPatient { source, patient: id });
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn schedule(state: State<'_, AppState>, source: String, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<ScheduleColumn>, BoundaryError> {
    let app = state.app();
    state.with_phi(|store| {
        app.audit(store, AuditAction::List, None, &format!("schedule of {source}"))?;
        Ok(store.schedule(&source, from, to)?)
    })
}

/// The active rules and where each comes from; a rules file that does not load is the error.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn rules(state: State<'_, AppState>) -> Result<Vec<RuleView>, BoundaryError> {
    Ok(state.app().rules()?.rules.iter().map(|r| r.view()).collect())
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn alerts(state: State<'_, AppState>) -> Result<Vec<AlertRow>, BoundaryError> {
    state.with_phi(|store| Ok(store.alerts()?))
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn dismiss_alert(state: State<'_, AppState>, key: String) -> Result<bool, BoundaryError> {
    let now = state.clock().now().to_rfc3339();
    state.with_phi(|store| Ok(store.dismiss_alert(&key, &now)?))
}

/// The latest call pop, for a window that opened after it arrived.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn current_call(state: State<'_, AppState>) -> Option<CallPop> {
    let last = state.phone.last.lock().unwrap_or_else(|p| p.into_inner()).clone();
    last.map(|pop| if state.is_locked() { pop.redacted() } else { pop })
}

/// The agent says which patient a household's or new caller's call is about.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn choose_caller(state: State<'_, AppState>, call_id: String, patient: PatientRef) -> Result<CallPop, BoundaryError> {
    let now = state.clock().now();
    let pop = {
        let app = state.app();
        state.with_phi(|store| Ok(switchboard_calls::choose_caller(store, &call_id, &patient, now, app.work_source())?))?
    };
    *state.phone.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(pop.clone());
    state.worker.request(Job::Deliver);
    Ok(pop)
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn patient_calls(state: State<'_, AppState>, source: String, id: String) -> Result<Vec<CallRow>, BoundaryError> {
    let app = state.app();
    state.with_phi(|store| {
        app.audit(store, AuditAction::View, Some((&source, &id)), "calls")?;
        Ok(store.calls_for(&source, &id, 20)?)
    })
}

/// The note read with the red-flag questions answered so far (by question id), its draft summary in
/// the window's language.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn analyze_intake(
    state: State<'_, AppState>,
    note: String,
    answers: BTreeMap<String, Answer>,
    language: Language,
    patient: Option<PatientRef>,
) -> Result<Intake, BoundaryError> {
    // The caller's words are patient data: the analysis is audited (a call's keystrokes fold into one).
    let app = state.app();
    let patient = patient.as_ref().map(|p| (p.source.as_str(), p.id.as_str()));
    state.with_phi(|store| Ok(app.audit(store, AuditAction::Intake, patient, "intake analysis")?))?;
    Ok(switchboard_intake::analyze_for_staff(&note, &answers, language))
}

/// Writes the intake back: the caller's words with the summary as staff edited it (a Communication),
/// and a Task for the team it is routed to, with the priority its urgency gives.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
#[allow(clippy::too_many_arguments)]
pub fn confirm_intake(
    state: State<'_, AppState>,
    source: String,
    patient: String,
    note: String,
    summary: String,
    urgency: Urgency,
    answers: BTreeMap<String, Answer>,
) -> Result<Queued, BoundaryError> {
    // The window's urgency counts only when it is higher (a language model's second opinion).
    let reading = switchboard_intake::analyze_answered(&note, &answers).raised_to(urgency);
    let queued = {
        let app = state.app();
        state.with_phi(|store| Ok(app.queue_intake(store, &source, patient, &note, &summary, &reading)?))?
    };
    state.worker.request(Job::Deliver);
    Ok(queued)
}

/// Whether `[intake] llm_url` names a language model for second opinions.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn intake_model(state: State<'_, AppState>) -> bool {
    state.app().llm_config().is_some()
}

/// Asks the configured language model, which may only add findings or raise urgency.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub async fn intake_second_opinion(state: State<'_, AppState>, note: String) -> Result<SecondOpinion, BoundaryError> {
    state.unlocked()?;
    let config = state
        .app()
        .llm_config()
        .ok_or_else(|| BoundaryError { code: "intake.no_model".into(), message: "no language model is configured ([intake] llm_url)".into() })?;
    let deterministic = switchboard_intake::analyze(&note);
    let (intake, report) = enrich(&deterministic, &note, &config).await.map_err(|e| BoundaryError { code: "intake.model".into(), message: e.to_string() })?;
    Ok(SecondOpinion { intake, report })
}

/// The clinic's time zone and phone region, for showing times and numbers.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn clinic(state: State<'_, AppState>) -> ClinicInfo {
    state.app().clinic_info(state.demo())
}

/// Whether the call listener is listening, for the Sources page.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn phone_status(state: State<'_, AppState>) -> PhoneStatus {
    state.phone.status.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use switchboard_outbox::{Action, StaffAction};

    /// `queue_action` takes a `StaffAction`, deserialised from the window's arguments: what only the
    /// rules, the call desk and the intake make is refused there, while staff kinds pass.
    #[test]
    fn the_window_cannot_queue_what_only_the_core_makes() {
        let core_made = [
            json!({"kind": "rule_task", "patient": "p1", "rule": "r", "key": "k", "description": "d", "priority": "stat", "due": "2030-01-01T00:00:00Z", "owner": "o", "focus": "Observation/o1", "why": "w"}),
            json!({"kind": "rule_reminder", "patient": "p1", "rule": "r", "key": "k", "about": "a", "when": null}),
            json!({"kind": "withdraw", "request": "r1"}),
            json!({"kind": "escalate", "task": "t1", "priority": "stat"}),
            json!({"kind": "intake", "patient": "p1", "note": "n", "summary": "s", "owner": "o", "priority": "stat", "due": "2030-01-01T00:00:00Z"}),
            json!({"kind": "call_log", "patient": "p1", "call": "c", "number": "+1", "started": "2030-01-01T00:00:00Z", "seconds": 1, "agent": "a", "disposition": "completed"}),
        ];
        for value in core_made {
            assert!(serde_json::from_value::<Action>(value.clone()).is_ok(), "the outbox knows {value}");
            assert!(serde_json::from_value::<StaffAction>(value.clone()).is_err(), "IPC accepted {value}");
        }
        let note = json!({"kind": "note", "patient": "p1", "text": "prefers mornings"});
        assert!(serde_json::from_value::<StaffAction>(note).is_ok());
        let no_show = json!({"kind": "no_show", "appointment": "a1"});
        assert_eq!(Action::from(serde_json::from_value::<StaffAction>(no_show).unwrap()).kind_name(), "no_show");
    }
}
