//! What the window and the verbs do, over the cache and the configured sources: sync, deliver, refresh
//! one patient, run the rules, queue an action, and the intake's write-back.

use crate::context::App;
use crate::error::AppError;
use chrono::{DateTime, Utc};
use switchboard_core::AuditAction;
use switchboard_intake::Intake;
use switchboard_outbox::{queue, Action, ActionError, Queued, StaffAction};
use switchboard_rules::RunReport;
use switchboard_store::Store;
use switchboard_sync::{refresh_patient, sync_source, Progress, SyncOptions, SyncReport};
use tokio::runtime::Runtime;

impl App {
    /// Pulls every configured source (or only `only`) into the cache.
    pub fn sync(&self, store: &mut Store, runtime: &Runtime, only: Option<&str>, strict: bool, progress: &dyn Progress) -> Result<Vec<SyncReport>, AppError> {
        let mut reports = Vec::new();
        for source in self.config.sources.iter().filter(|s| only.is_none_or(|name| s.name == name)) {
            let client = if strict { self.strict_client(&source.name)? } else { self.client(&source.name)? };
            if source.allow_insecure_http && source.is_insecure_remote() {
                tracing::warn!(source = %source.name, "syncing over plain http:// to another host (allow_insecure_http = true)");
            }
            let options = SyncOptions {
                page_size: source.page_size,
                max_pages: source.max_pages,
                method: source.sync,
                export_group: source.export_group.clone(),
                export_poll_max: std::time::Duration::from_secs(source.export_poll_seconds),
                partial: source.partial,
                focus_days: source.focus_days,
                retention_days: source.retention_days,
                actor: Some(self.actor()),
                ..SyncOptions::default()
            };
            reports.push(runtime.block_on(sync_source(store, &client, &source.name, &options, self.clock.as_ref(), progress))?);
        }
        // Who is who across sources, again around the patients and staff decisions the sync changed
        // (it also moves the identity layer's cursor on the change feed past this sync).
        if self.config.sources.len() > 1 {
            self.relink_changed(store)?;
        }
        Ok(reports)
    }

    /// Fetches one patient's records again; returns how many changed.
    pub fn refresh_patient(&self, store: &mut Store, runtime: &Runtime, source: &str, patient: &str) -> Result<u64, AppError> {
        let client = self.client(source)?;
        Ok(runtime.block_on(refresh_patient(store, &client, source, patient, self.clock.as_ref()))?)
    }

    /// The change rules over what was synced since the last pass, as of `now`; with `timed`, the
    /// time-based ones too (they scan every booked appointment and open task).
    pub fn run_rules(&self, store: &mut Store, timed: bool, now: DateTime<Utc>) -> Result<RunReport, AppError> {
        let rules = self.rules()?;
        let mut report = switchboard_rules::on_changes(store, &rules, now)?;
        if timed {
            report.absorb(switchboard_rules::tick(store, &rules, now)?);
        }
        Ok(report)
    }

    /// Queues what a person asked for. Only staff actions come this way; rule outputs, call logs and
    /// intakes are made by the core. `source` is where the cached records came from (the demo clinic's
    /// is in no config; the action then waits in the outbox).
    /// Refused when outside the signed-in person's role. The action is audited, and so is a refusal.
    pub fn queue_staff(&self, store: &mut Store, source: &str, action: StaffAction) -> Result<Queued, AppError> {
        let action = Action::from(self.claimed_by_actor(action));
        let named = serde_json::to_value(&action).ok().and_then(|v| v["patient"].as_str().map(str::to_string));
        // To the system of record for what it changes, about the person's record there.
        let (target, action) = match self.routed(store, source, action.clone()) {
            Ok(routed) => routed,
            Err(AppError::Invalid(why)) => {
                self.audit(store, AuditAction::Refused, named.as_deref().map(|id| (source, id)), &format!("{}: {why}", action.kind_name()))?;
                return Err(AppError::Invalid(why));
            }
            Err(other) => return Err(other),
        };
        let checked = match self.refusal(store, &target, &action) {
            Some(why) => Err(ActionError::Invalid(why)),
            None => queue(store, &target, &action, &self.actor(), self.clock.now()),
        };
        match checked {
            Ok(queued) => {
                let patient = match named {
                    Some(id) => Some((source.to_string(), id)),
                    None => patient_of_target(store, &target, &queued.target).map(|id| (target.clone(), id)),
                };
                let about = patient.as_ref().map(|(s, id)| (s.as_str(), id.as_str()));
                self.audit(store, AuditAction::Action, about, &format!("{} {}", action.kind_name(), queued.target))?;
                Ok(queued)
            }
            Err(ActionError::Invalid(why)) => {
                self.audit(store, AuditAction::Refused, named.as_deref().map(|id| (source, id)), &format!("{}: {why}", action.kind_name()))?;
                Err(AppError::Invalid(why))
            }
            Err(other) => Err(other.into()),
        }
    }

    /// Queues a confirmed intake: the caller's words and the summary as staff left it (a
    /// Communication), and a Task for the team the reading routes to, due by its urgency.
    pub fn queue_intake(&self, store: &mut Store, source: &str, patient: String, note: &str, summary: &str, reading: &Intake) -> Result<Queued, AppError> {
        let action = intake_action(patient.clone(), note, summary, reading, self.clock.now());
        let (target, action) = self.routed(store, source, action)?;
        let queued = queue(store, &target, &action, &self.actor(), self.clock.now())?;
        self.audit(store, AuditAction::Action, Some((source, &patient)), &format!("intake {}", queued.target))?;
        Ok(queued)
    }
}

impl App {
    /// A signed-in person's claim takes the task for them: a claim naming no one names them.
    fn claimed_by_actor(&self, action: StaffAction) -> StaffAction {
        match (action, self.actor().practitioner) {
            (StaffAction::TaskClaim(mut claim), Some(practitioner)) if claim.owner.trim().is_empty() => {
                claim.owner = practitioner;
                StaffAction::TaskClaim(claim)
            }
            (action, _) => action,
        }
    }
}

/// The patient of the resource an action changed ("Type/id"), from the cache.
fn patient_of_target(store: &Store, source: &str, target: &str) -> Option<String> {
    let (kind, id) = target.split_once('/')?;
    let json = store.resource(source, kind, id).ok()??;
    switchboard_store::patient_of(kind, id, &serde_json::from_str(&json).ok()?)
}

fn intake_action(patient: String, note: &str, summary: &str, intake: &Intake, now: DateTime<Utc>) -> Action {
    let (owner, priority, minutes) = intake.task_terms();
    let due = (now + chrono::Duration::minutes(minutes)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Action::Intake(switchboard_outbox::kinds::Intake {
        patient,
        note: note.trim().to_string(),
        summary: summary.trim().to_string(),
        owner: owner.into(),
        priority,
        due,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use switchboard_core::{Config, FixedClock, Home, OutboxState};
    use switchboard_outbox::kinds::Note;

    /// On the demo clinic no source is configured: a staff action on a demo patient is still queued,
    /// and waits in the outbox.
    #[test]
    fn a_staff_action_on_the_demo_clinic_is_queued_without_a_configured_source() {
        let dir = tempfile::tempdir().unwrap();
        let now = chrono::Utc::now();
        let app = App::new(Home::under(dir.path()), Config::default(), Arc::new(FixedClock(now)));
        let mut store = Store::open_with_key(&dir.path().join("cache.db"), &[7; 32], "US").unwrap();
        let options = switchboard_demo::DemoOptions { patients: 3, seed: 1, today: now.date_naive() };
        switchboard_demo::load_into_store(&mut store, &options, &now.to_rfc3339(), &mut |_| {}).unwrap();
        let patient = store.resources_of(switchboard_demo::DEMO_SOURCE, "Patient").unwrap().remove(0).0;
        let note = StaffAction::Note(Note { patient, text: "prefers mornings".into() });
        let queued = app.queue_staff(&mut store, switchboard_demo::DEMO_SOURCE, note).unwrap();
        assert_eq!(queued.state, OutboxState::Pending);
    }
}
