//! Counts of the costly things a long-running process should do once: OS keyring reads and cache
//! opens. The app's worker is measured by them (`switchboard_app::Usage`).

use std::sync::atomic::{AtomicU64, Ordering};

static KEYRING_READS: AtomicU64 = AtomicU64::new(0);
static CACHE_OPENS: AtomicU64 = AtomicU64::new(0);

/// Records one read of a secret from the OS keyring (the cache key here, tokens in the app).
pub fn count_keyring_read() {
    KEYRING_READS.fetch_add(1, Ordering::Relaxed);
}

pub(crate) fn count_cache_open() {
    CACHE_OPENS.fetch_add(1, Ordering::Relaxed);
}

/// Keyring reads and cache opens since the process started.
pub fn counts() -> (u64, u64) {
    (KEYRING_READS.load(Ordering::Relaxed), CACHE_OPENS.load(Ordering::Relaxed))
}
