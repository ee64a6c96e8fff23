//! `switchboard sync`: pull every configured source into the cache, with progress and a summary.

use crate::progress::SyncBars;
use switchboard_app::App;
use switchboard_app::AppError;
use switchboard_sync::SyncReport;

pub fn run(ctx: &App, only: Option<&str>, strict: bool, json: bool) -> Result<(), AppError> {
    let sources: Vec<_> = ctx.config.sources.iter().filter(|s| only.is_none_or(|name| s.name == name)).collect();
    if sources.is_empty() {
        return Err(match only {
            Some(name) => AppError::NotFound(format!("no source named `{name}` is configured")),
            None => AppError::Invalid("no FHIR source is configured; add one with `switchboard source add NAME --fhir URL`".to_string()),
        });
    }
    let mut store = ctx.open_store()?;
    let reports = ctx.sync(&mut store, &switchboard_app::runtime()?, only, strict, &SyncBars::default())?;
    let made = ctx.run_rules(&mut store, false, ctx.clock.now())?;
    if made.tasks + made.reminders + made.alerts > 0 && !json {
        println!("rules: {} tasks, {} reminders, {} alerts queued", made.tasks, made.reminders, made.alerts);
    }
    if json {
        return super::print_json(&reports);
    }
    reports.iter().for_each(print_summary);
    Ok(())
}

fn print_summary(report: &SyncReport) {
    println!("synced {} in {:.1} s", report.source, report.elapsed_ms as f64 / 1000.0);
    println!("{:<22} {:>8} {:>8} {:>8} {:>9} {:>8}", "type", "fetched", "new", "updated", "unchanged", "deleted");
    for t in &report.types {
        if t.skipped {
            println!("{:<22} not offered by the server", t.resource_type);
            continue;
        }
        println!("{:<22} {:>8} {:>8} {:>8} {:>9} {:>8}", t.resource_type, t.fetched, t.inserted, t.updated, t.unchanged, t.deleted);
    }
}
