//! The background worker: one long-lived thread that delivers queued actions (every 30 seconds, and
//! at once when an action is queued) and pulls every source (every 5 minutes, and on demand). It works
//! on its own cache connection, so the window's reads never wait on the network. Dropping the handle
//! stops it.

use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::time::Duration;
use switchboard_cli::{drain_sources, runtime, sync_sources, CliError, Context};
use switchboard_sync::NoProgress;

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

impl Background {
    pub fn start() -> Background {
        let (jobs, incoming) = channel();
        std::thread::spawn(move || {
            let mut round = 0u32;
            loop {
                let job = match incoming.recv_timeout(ROUND) {
                    Ok(job) => job,
                    Err(RecvTimeoutError::Timeout) => {
                        round += 1;
                        if round % SYNC_EVERY == 0 { Job::Sync } else { Job::Deliver }
                    }
                    Err(RecvTimeoutError::Disconnected) => return,
                };
                if let Err(error) = run(job) {
                    tracing::warn!(?job, exit_code = error.exit_code(), "background job failed");
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

/// One job over every configured source. A sync is followed by a delivery round.
fn run(job: Job) -> Result<(), CliError> {
    let ctx = Context::from_env()?;
    if ctx.config.sources.is_empty() {
        return Ok(());
    }
    let mut store = ctx.open_store()?;
    let runtime = runtime()?;
    if job == Job::Sync {
        for report in sync_sources(&ctx, &mut store, &runtime, None, false, &NoProgress)? {
            tracing::info!(types = report.types.len(), elapsed_ms = report.elapsed_ms as u64, "background sync");
        }
    }
    for (source, report) in drain_sources(&ctx, &mut store, &runtime)? {
        tracing::info!(%source, sent = report.sent, failed = report.failed, conflicts = report.conflicts, waiting = report.waiting, "outbox round");
    }
    Ok(())
}
