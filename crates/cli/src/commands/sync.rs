//! `switchboard sync`: pull every configured source into the cache, with progress and a summary.

use crate::context::Context;
use crate::error::CliError;
use crate::progress::SyncBars;
use switchboard_sync::{sync_source, SyncOptions, SyncReport};

pub fn run(ctx: &Context, only: Option<&str>, strict: bool, json: bool) -> Result<(), CliError> {
    let sources: Vec<_> = ctx.config.sources.iter().filter(|s| only.is_none_or(|name| s.name == name)).collect();
    if sources.is_empty() {
        return Err(match only {
            Some(name) => CliError::NotFound(format!("no source named `{name}` is configured")),
            None => CliError::Usage("no FHIR source is configured; add one with `switchboard source add NAME --fhir URL`".to_string()),
        });
    }
    let mut store = ctx.open_store()?;
    let runtime = super::runtime()?;
    let mut reports = Vec::new();
    for source in sources {
        let client = ctx.client_for(source, strict)?;
        let options = SyncOptions { page_size: source.page_size, ..SyncOptions::default() };
        let report = runtime.block_on(sync_source(&mut store, &client, &source.name, &options, ctx.clock.as_ref(), &SyncBars::default()))?;
        if !json {
            print_summary(&report);
        }
        reports.push(report);
    }
    if json {
        super::print_json(&reports)?;
    }
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
