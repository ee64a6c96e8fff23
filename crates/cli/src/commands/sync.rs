//! `switchboard sync`: pull every configured source into the cache, with progress and a summary.

use crate::context::Context;
use crate::error::CliError;
use crate::progress::SyncBars;
use switchboard_store::Store;
use switchboard_sync::{sync_source, Progress, SyncOptions, SyncReport};

pub fn run(ctx: &Context, only: Option<&str>, strict: bool, json: bool) -> Result<(), CliError> {
    let sources: Vec<_> = ctx.config.sources.iter().filter(|s| only.is_none_or(|name| s.name == name)).collect();
    if sources.is_empty() {
        return Err(match only {
            Some(name) => CliError::NotFound(format!("no source named `{name}` is configured")),
            None => CliError::Usage("no FHIR source is configured; add one with `switchboard source add NAME --fhir URL`".to_string()),
        });
    }
    let mut store = ctx.open_store()?;
    let reports = sync_sources(ctx, &mut store, &super::runtime()?, only, strict, &SyncBars::default())?;
    let made = super::rules::on_changes(ctx, &mut store)?;
    if made.tasks + made.reminders + made.alerts > 0 && !json {
        println!("rules: {} tasks, {} reminders, {} alerts queued", made.tasks, made.reminders, made.alerts);
    }
    if json {
        return super::print_json(&reports);
    }
    reports.iter().for_each(print_summary);
    Ok(())
}

/// Syncs every configured source (or only one); the desktop app's background worker calls it too.
pub fn sync_sources(
    ctx: &Context,
    store: &mut Store,
    runtime: &tokio::runtime::Runtime,
    only: Option<&str>,
    strict: bool,
    progress: &dyn Progress,
) -> Result<Vec<SyncReport>, CliError> {
    let mut reports = Vec::new();
    for source in ctx.config.sources.iter().filter(|s| only.is_none_or(|name| s.name == name)) {
        let client = ctx.client_for(source, strict)?;
        let options = SyncOptions { page_size: source.page_size, ..SyncOptions::default() };
        reports.push(runtime.block_on(sync_source(store, &client, &source.name, &options, ctx.clock.as_ref(), progress))?);
    }
    Ok(reports)
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
