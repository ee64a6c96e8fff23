//! The background worker: one long-lived thread that delivers queued actions (every 30 seconds, and
//! at once when an action is queued), pulls every source (every 5 minutes, and on demand) and refreshes
//! the patient whose workspace was just opened. It works on its own cache connection, so the window's
//! reads never wait on the network. Dropping the handle stops it. It reports sync progress while a
//! sync runs and `data-changed` after each job that may have changed the cache.

use serde::Serialize;
use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use switchboard_cli::{drain_sources, runtime, sync_sources, CliError, Context};
use switchboard_sync::{refresh_patient, Progress, TypeReport};
use ts_rs::TS;

const ROUND: Duration = Duration::from_secs(30);
/// A pull sync every this many rounds.
const SYNC_EVERY: u32 = 10;
/// Progress events are sent at most this often per type, so a fast sync does not flood the window.
const PROGRESS_EVERY: Duration = Duration::from_millis(150);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    Deliver,
    Sync,
    /// Fetch everything about one patient again (source, patient id).
    RefreshPatient(String, String),
}

pub struct Background {
    jobs: Sender<Job>,
}

/// What the worker tells the window after each job, so it reads the cache again.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DataChanged {
    /// "sync", "outbox" or "patient".
    pub reason: String,
}

/// How far a running sync has come, for the status bar.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
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

/// The events' names on the IPC bus.
pub const DATA_CHANGED: &str = "data-changed";
pub const SYNC_PROGRESS: &str = "sync-progress";

impl Background {
    pub fn start(notify: Notify) -> Background {
        let (jobs, incoming) = channel();
        std::thread::spawn(move || {
            let mut round = 0u32;
            loop {
                let job = match incoming.recv_timeout(ROUND) {
                    Ok(job) => job,
                    Err(RecvTimeoutError::Timeout) => {
                        round += 1;
                        if round.is_multiple_of(SYNC_EVERY) { Job::Sync } else { Job::Deliver }
                    }
                    Err(RecvTimeoutError::Disconnected) => return,
                };
                let reason = match &job {
                    Job::Deliver => "outbox",
                    Job::Sync => "sync",
                    Job::RefreshPatient(..) => "patient",
                };
                let outcome = run(&job, &notify);
                if let Err(error) = &outcome {
                    tracing::warn!(job = reason, exit_code = error.exit_code(), "background job failed");
                }
                // A failed sync changed the source's status too, so the window reads it again.
                if matches!(outcome, Ok(true)) || (job == Job::Sync && outcome.is_err()) {
                    notify(AppEvent::DataChanged(DataChanged { reason: reason.to_string() }));
                }
            }
        });
        // Deliver anything left from an earlier run, then pull.
        let _ = jobs.send(Job::Sync);
        Background { jobs }
    }

    pub fn request(&self, job: Job) {
        let _ = self.jobs.send(job);
    }
}

/// One job over the configured sources; a sync is followed by a delivery round. Returns whether
/// anything may have changed in the cache.
fn run(job: &Job, notify: &Notify) -> Result<bool, CliError> {
    let ctx = Context::from_env()?;
    if ctx.config.sources.is_empty() {
        return Ok(false);
    }
    let mut store = ctx.open_store()?;
    let runtime = runtime()?;
    match job {
        Job::RefreshPatient(source, patient) => {
            let Some(entry) = ctx.config.sources.iter().find(|s| &s.name == source) else { return Ok(false) };
            let client = ctx.client_for(entry, false)?;
            let changed = runtime
                .block_on(refresh_patient(&mut store, &client, source, patient, ctx.clock.as_ref()))
                .map_err(CliError::from)?;
            return Ok(changed > 0);
        }
        Job::Sync => {
            for source in &ctx.config.sources {
                let progress = EventProgress { source: source.name.clone(), notify: notify.clone(), last: Mutex::new((0, None, None)) };
                for report in sync_sources(&ctx, &mut store, &runtime, Some(&source.name), false, &progress)? {
                    tracing::info!(types = report.types.len(), elapsed_ms = report.elapsed_ms as u64, "background sync");
                }
            }
        }
        Job::Deliver => {}
    }
    let made = run_rules(&ctx, &mut store, *job == Job::Sync);
    let mut settled = made;
    for (source, report) in drain_sources(&ctx, &mut store, &runtime)? {
        tracing::info!(%source, sent = report.sent, failed = report.failed, conflicts = report.conflicts, waiting = report.waiting, "outbox round");
        settled |= report.sent + report.failed + report.conflicts > 0;
    }
    Ok(*job == Job::Sync || settled)
}

/// The change rules over what the sync or the last delivery brought; with `timed`, the time-based ones
/// too (they scan every booked appointment and open task, so they run with the 5-minute sync). A rules
/// file that does not load is logged and skipped, so delivery still runs. Returns whether anything was made.
fn run_rules(ctx: &Context, store: &mut switchboard_store::Store, timed: bool) -> bool {
    let rules = match ctx.rules() {
        Ok(rules) => rules,
        Err(error) => {
            tracing::warn!(exit_code = error.exit_code(), "rules file not loaded; rules skipped");
            return false;
        }
    };
    let now = ctx.clock.now();
    let pass = switchboard_rules::on_changes(store, &rules, now).and_then(|mut report| {
        if timed {
            report.absorb(switchboard_rules::tick(store, &rules, now)?);
        }
        Ok(report)
    });
    match pass {
        Ok(report) => report.made_anything(),
        Err(error) => {
            tracing::warn!(code = error.code(), "rules pass failed");
            false
        }
    }
}

/// Turns the sync's progress calls into throttled `sync-progress` events.
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
