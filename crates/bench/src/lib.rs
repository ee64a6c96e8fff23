//! Benchmarks live in `benches/`; run them with `cargo bench -p switchboard-bench`. What more than one
//! of them uses is here.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// The `p` quantile of the samples, in milliseconds.
pub fn percentile(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort();
    let index = ((samples.len() as f64 * p).ceil() as usize).clamp(1, samples.len()) - 1;
    samples[index].as_secs_f64() * 1000.0
}

/// The demo clinic's "today" in the cache benchmarks: fixed, so runs compare.
pub fn bench_today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 26).expect("a date")
}

/// The release app binary the benches drive: SWITCHBOARD_APP, else `switchboard` beside the bench in
/// the target directory (scripts/bench.sh builds it first).
pub fn app_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("SWITCHBOARD_APP") {
        return path.into();
    }
    // target/release/deps/<bench>-<hash> -> target/release/switchboard
    let exe = std::env::current_exe().expect("the bench's own path");
    let path = exe.parent().and_then(Path::parent).expect("a target directory").join("switchboard");
    assert!(path.exists(), "{} is missing: run `cargo build --release --bin switchboard` (scripts/bench.sh does)", path.display());
    path
}
