//! The outbox worker: a long-lived thread that delivers queued actions every 30 seconds, and at once
//! when woken after an action is queued. Dropping the handle stops it.

use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::time::Duration;
use switchboard_cli::{drain_sources, runtime, CliError, Context};

const ROUND: Duration = Duration::from_secs(30);

pub struct DeliveryWorker {
    wake: Sender<()>,
}

impl DeliveryWorker {
    pub fn start() -> DeliveryWorker {
        let (wake, woken) = channel();
        std::thread::spawn(move || loop {
            if let Err(error) = deliver_all() {
                tracing::warn!(exit_code = error.exit_code(), "outbox delivery round failed");
            }
            match woken.recv_timeout(ROUND) {
                Ok(()) | Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        });
        DeliveryWorker { wake }
    }

    /// Deliver now rather than at the next round.
    pub fn wake(&self) {
        let _ = self.wake.send(());
    }
}

/// One round over every configured source, on the worker's own cache connection.
fn deliver_all() -> Result<(), CliError> {
    let ctx = Context::from_env()?;
    if ctx.config.sources.is_empty() {
        return Ok(());
    }
    let mut store = ctx.open_store()?;
    for (source, report) in drain_sources(&ctx, &mut store, &runtime()?)? {
        tracing::info!(%source, sent = report.sent, failed = report.failed, conflicts = report.conflicts, waiting = report.waiting, "outbox round");
    }
    Ok(())
}
