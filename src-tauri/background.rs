//! The background worker: one long-lived thread that delivers queued actions (every 30 seconds, and
//! at once when an action is queued) and pulls every source (every 5 minutes, and on demand). It works
//! on its own cache connection, so the window's reads never wait on the network. Dropping the handle
//! stops it. After each job that may have changed the cache it emits `data-changed` to the window.

use serde::Serialize;
use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::time::Duration;
use switchboard_cli::{drain_sources, runtime, sync_sources, CliError, Context};
use switchboard_sync::NoProgress;
use ts_rs::TS;

const ROUND: Duration = Duration::from_secs(30);
/// A pull sync every this many rounds.
const SYNC_EVERY: u32 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    Deliver,
    Sync,
}

pub struct Background {
    jobs: Sender<Job>,
}

/// What the worker tells the window after each job, so it reads the cache again.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DataChanged {
    /// "sync" or "outbox".
    pub reason: String,
}

pub type Notify = Box<dyn Fn(DataChanged) + Send>;

/// The event's name on the IPC bus.
pub const DATA_CHANGED: &str = "data-changed";

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
                match run(job) {
                    Ok(true) => notify(DataChanged { reason: if job == Job::Sync { "sync" } else { "outbox" }.to_string() }),
                    Ok(false) => {}
                    Err(error) => tracing::warn!(?job, exit_code = error.exit_code(), "background job failed"),
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

/// One job over every configured source; a sync is followed by a delivery round. Returns whether
/// anything may have changed in the cache.
fn run(job: Job) -> Result<bool, CliError> {
    let ctx = Context::from_env()?;
    if ctx.config.sources.is_empty() {
        return Ok(false);
    }
    let mut store = ctx.open_store()?;
    let runtime = runtime()?;
    if job == Job::Sync {
        for report in sync_sources(&ctx, &mut store, &runtime, None, false, &NoProgress)? {
            tracing::info!(types = report.types.len(), elapsed_ms = report.elapsed_ms as u64, "background sync");
        }
    }
    let mut settled = false;
    for (source, report) in drain_sources(&ctx, &mut store, &runtime)? {
        tracing::info!(%source, sent = report.sent, failed = report.failed, conflicts = report.conflicts, waiting = report.waiting, "outbox round");
        settled |= report.sent + report.failed + report.conflicts > 0;
    }
    Ok(job == Job::Sync || settled)
}
