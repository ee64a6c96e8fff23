//! Benchmarks live in `benches/`; run them with `cargo bench -p switchboard-bench`. What more than one
//! of them uses is here.

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
