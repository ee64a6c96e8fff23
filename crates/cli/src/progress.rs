//! Progress bars on a terminal (indicatif draws nothing when stderr is not a terminal).

use indicatif::{ProgressBar, ProgressStyle};
use std::sync::Mutex;
use switchboard_sync::{Progress, TypeReport};

pub fn counter_bar(total: Option<u64>, what: &str) -> ProgressBar {
    let bar = match total {
        Some(total) => ProgressBar::new(total)
            .with_style(ProgressStyle::with_template("{prefix:>22} [{bar:30}] {pos}/{len} {per_sec}").expect("valid template").progress_chars("=> ")),
        None => ProgressBar::new_spinner().with_style(ProgressStyle::with_template("{prefix:>22} {spinner} {pos} {per_sec}").expect("valid template")),
    };
    bar.with_prefix(what.to_string())
}

/// One bar per resource type while a sync runs.
#[derive(Default)]
pub struct SyncBars {
    current: Mutex<Option<ProgressBar>>,
}

impl Progress for SyncBars {
    fn type_started(&self, resource_type: &str, total: Option<u64>) {
        *self.current.lock().expect("progress lock") = Some(counter_bar(total, resource_type));
    }

    fn advanced(&self, _resource_type: &str, count: u64) {
        if let Some(bar) = self.current.lock().expect("progress lock").as_ref() {
            bar.inc(count);
        }
    }

    fn type_done(&self, _report: &TypeReport) {
        if let Some(bar) = self.current.lock().expect("progress lock").take() {
            bar.finish_and_clear();
        }
    }

    fn exporting(&self, words: &str) {
        let mut current = self.current.lock().expect("progress lock");
        let bar = current.get_or_insert_with(|| {
            ProgressBar::new_spinner().with_style(ProgressStyle::with_template("{prefix:>22} {spinner} {msg}").expect("valid template")).with_prefix("export")
        });
        bar.set_message(words.to_string());
        bar.tick();
    }
}
