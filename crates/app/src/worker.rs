//! The background worker: an actor on one long-lived thread that owns one cache connection, one async
//! runtime and the sources' clients for the app's whole life. It delivers queued actions (every round,
//! and at once when asked), pulls every source (every few rounds, and on demand), refreshes the
//! patient whose workspace just opened, and reloads the config when a source changes. It reports sync
//! progress while a sync runs and `DataChanged` after each job that may have changed the cache.
//! Dropping the handle stops it.

use crate::context::{runtime, App};
use crate::error::AppError;
use serde::Serialize;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use switchboard_store::Store;
use switchboard_sync::{Progress, TypeReport};

/// What the worker is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    Deliver,
    Sync,
    /// Fetch everything about one patient again.
    RefreshPatient {
        source: String,
        patient: String,
    },
    /// The config changed (a source added or edited): read it again, then sync.
    Reload,
}

enum Message {
    Job(Job),
    Stop,
}

/// Why the window should read the cache again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum ChangeReason {
    Sync,
    Outbox,
    Patient,
}

/// What the worker tells the window after each job.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
pub struct DataChanged {
    pub reason: ChangeReason,
}

/// How far a running sync has come, for the status bar.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS), serde(rename_all = "camelCase"))]
pub struct SyncProgress {
    pub source: String,
    pub resource_type: String,
    /// Resources of this type written so far.
    pub done: u64,
    /// How many the server reported for this type, when it did.
    pub total: Option<u64>,
}

pub enum AppEvent {
    DataChanged(DataChanged),
    SyncProgress(SyncProgress),
}

pub type Notify = Arc<dyn Fn(AppEvent) + Send + Sync>;

/// How often the worker wakes on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rounds {
    /// A delivery round this often.
    pub every: Duration,
    /// A pull sync every this many rounds.
    pub sync_every: u32,
}

impl Rounds {
    /// On the live demo: delivery every 10 s and a sync every 20 s, so the simulator's day shows at once.
    pub fn live_demo() -> Rounds {
        Rounds { every: Duration::from_secs(10), sync_every: 2 }
    }

    /// The live demo's rounds while no clinic is configured, the default's once one is.
    pub fn for_app(app: &App) -> Rounds {
        if app.demo_clinic {
            Rounds::live_demo()
        } else {
            Rounds::default()
        }
    }
}

impl Default for Rounds {
    /// Delivery every 30 s, a sync every 5 minutes.
    fn default() -> Rounds {
        Rounds { every: Duration::from_secs(30), sync_every: 10 }
    }
}

/// Progress events are sent at most this often per type, so a fast sync does not flood the window.
const PROGRESS_EVERY: Duration = Duration::from_millis(150);

/// The handle: send it jobs; dropping it stops the worker.
pub struct Worker {
    jobs: Jobs,
}

impl Worker {
    /// Starts the worker on the app `load` gives (read again on `Reload`), waking as `rounds` says for
    /// the app loaded (`Rounds::for_app`). It syncs at once, which also delivers anything left from an
    /// earlier run.
    pub fn start_with(load: impl Fn() -> Result<App, AppError> + Send + 'static, notify: Notify, rounds: impl Fn(&App) -> Rounds + Send + 'static) -> Worker {
        let (messages, incoming) = channel();
        std::thread::Builder::new()
            .name("switchboard-worker".into())
            .spawn(move || Actor::new(load, notify).run(&incoming, rounds))
            .expect("the OS can start a thread");
        let jobs = Jobs { messages };
        jobs.request(Job::Sync);
        Worker { jobs }
    }

    pub fn request(&self, job: Job) {
        self.jobs.request(job);
    }

    /// Another way to send jobs, for another thread; dropping it does not stop the worker.
    pub fn jobs(&self) -> Jobs {
        self.jobs.clone()
    }
}

/// Sends jobs to the worker.
#[derive(Clone)]
pub struct Jobs {
    messages: Sender<Message>,
}

impl Jobs {
    pub fn request(&self, job: Job) {
        let _ = self.messages.send(Message::Job(job));
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.jobs.messages.send(Message::Stop);
    }
}

/// What the worker thread owns for its life.
struct Actor<L> {
    load: L,
    notify: Notify,
    app: Option<App>,
    /// Opened on the first job that needs it, then kept.
    store: Option<Store>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl<L: Fn() -> Result<App, AppError>> Actor<L> {
    fn new(load: L, notify: Notify) -> Actor<L> {
        let mut actor = Actor { load, notify, app: None, store: None, runtime: None };
        actor.reload();
        actor
    }

    fn reload(&mut self) {
        match (self.load)() {
            Ok(app) => self.app = Some(app),
            Err(error) => tracing::warn!(kind = error.kind().code(), "the worker could not load the config"),
        }
    }

    fn run(mut self, incoming: &Receiver<Message>, rounds_of: impl Fn(&App) -> Rounds) {
        let mut round = 0u32;
        loop {
            // Read each time: a clinic added to the live demo's window moves it to the clinic's pace.
            let rounds = self.app.as_ref().map(&rounds_of).unwrap_or_default();
            let job = match incoming.recv_timeout(rounds.every) {
                Ok(Message::Job(job)) => job,
                Ok(Message::Stop) | Err(RecvTimeoutError::Disconnected) => return,
                Err(RecvTimeoutError::Timeout) => {
                    round += 1;
                    if round.is_multiple_of(rounds.sync_every) {
                        Job::Sync
                    } else {
                        Job::Deliver
                    }
                }
            };
            let job = if job == Job::Reload {
                self.reload();
                Job::Sync
            } else {
                job
            };
            let reason = match &job {
                Job::Deliver => ChangeReason::Outbox,
                Job::Sync | Job::Reload => ChangeReason::Sync,
                Job::RefreshPatient { .. } => ChangeReason::Patient,
            };
            let outcome = self.work(&job);
            if let Err(error) = &outcome {
                tracing::warn!(job = ?reason, kind = error.kind().code(), "background job failed");
            }
            // A failed sync changed the source's status too, so the window reads it again.
            if matches!(outcome, Ok(true)) || (job == Job::Sync && outcome.is_err()) {
                (self.notify)(AppEvent::DataChanged(DataChanged { reason }));
            }
        }
    }

    /// One job over the configured sources; a sync is followed by the rules and a delivery round.
    /// Returns whether anything may have changed in the cache.
    fn work(&mut self, job: &Job) -> Result<bool, AppError> {
        let Some(app) = self.app.as_ref().filter(|app| !app.config.sources.is_empty()) else { return Ok(false) };
        if self.store.is_none() {
            self.store = Some(app.open_store()?);
        }
        if self.runtime.is_none() {
            self.runtime = Some(runtime()?);
        }
        let (Some(store), Some(runtime)) = (self.store.as_mut(), self.runtime.as_ref()) else { return Ok(false) };
        match job {
            Job::RefreshPatient { source, patient } => return Ok(app.refresh_patient(store, runtime, source, patient)? > 0),
            Job::Sync | Job::Reload => {
                for source in &app.config.sources {
                    let progress = EventProgress { source: source.name.clone(), notify: self.notify.clone(), last: Mutex::new((0, None, None)) };
                    for report in app.sync(store, runtime, Some(&source.name), false, &progress)? {
                        tracing::info!(types = report.types.len(), elapsed_ms = report.elapsed_ms as u64, "background sync");
                    }
                }
            }
            Job::Deliver => {}
        }
        let mut settled = run_rules(app, store, *job == Job::Sync);
        for round in app.deliver(store, runtime)? {
            let report = round.actions;
            tracing::info!(source = %round.source, sent = report.sent, failed = report.failed, conflicts = report.conflicts, waiting = report.waiting, audits = round.audits.sent, "outbox round");
            settled |= report.sent + report.failed + report.conflicts > 0;
        }
        Ok(*job == Job::Sync || settled)
    }
}

/// The change rules, and with `timed` the time-based ones (they run with the sync). A rules file that
/// does not load is logged and skipped, so delivery still runs. Returns whether anything was made.
fn run_rules(app: &App, store: &mut Store, timed: bool) -> bool {
    match app.run_rules(store, timed, app.clock.now()) {
        Ok(report) => report.made_anything(),
        Err(error) => {
            tracing::warn!(kind = error.kind().code(), "rules pass skipped");
            false
        }
    }
}

/// Turns the sync's progress calls into throttled `SyncProgress` events.
struct EventProgress {
    source: String,
    notify: Notify,
    /// The current type's count so far, its total, and when the last event went out.
    last: Mutex<(u64, Option<u64>, Option<Instant>)>,
}

impl EventProgress {
    fn send(&self, resource_type: &str, done: u64, total: Option<u64>) {
        let progress = SyncProgress { source: self.source.clone(), resource_type: resource_type.to_string(), done, total };
        (self.notify)(AppEvent::SyncProgress(progress));
    }
}

impl Progress for EventProgress {
    fn type_started(&self, resource_type: &str, total: Option<u64>) {
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = (0, total, Some(Instant::now()));
        self.send(resource_type, 0, total);
    }

    fn advanced(&self, resource_type: &str, count: u64) {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        last.0 += count;
        if last.2.is_none_or(|at| at.elapsed() >= PROGRESS_EVERY) {
            last.2 = Some(Instant::now());
            self.send(resource_type, last.0, last.1);
        }
    }

    fn type_done(&self, report: &TypeReport) {
        self.send(&report.resource_type, report.fetched, Some(report.fetched));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_core::{Config, Home, SourceConfig, SystemClock};

    #[test]
    fn a_configured_clinic_leaves_the_live_demos_pace() {
        let dir = tempfile::tempdir().unwrap();
        let app = |config: Config| App::new(Home::under(dir.path()), config, Arc::new(SystemClock));
        assert_eq!(Rounds::for_app(&app(Config::default())), Rounds::live_demo());
        let mut clinic = Config::default();
        clinic.sources.push(SourceConfig::new("ehr", "https://ehr.example/fhir".parse().unwrap()));
        assert_eq!(Rounds::for_app(&app(clinic)), Rounds::default());
    }
}
