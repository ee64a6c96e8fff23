//! `switchboard source add|list|remove`.

use crate::args::SourceCommand;
use std::io::Read;
use switchboard_app::source_entry;
use switchboard_app::AppError;
use switchboard_app::{store_source_token, App};
use switchboard_core::config::DEFAULT_PAGE_SIZE;
use switchboard_core::SourceConfig;

pub fn run(ctx: &App, command: SourceCommand) -> Result<(), AppError> {
    match command {
        SourceCommand::Add { name, fhir, token_stdin, page_size } => add(ctx, name, &fhir, token_stdin, page_size),
        SourceCommand::List { json } => list(ctx, json),
        SourceCommand::Remove { name } => remove(ctx, &name),
        SourceCommand::Show { name } => show(ctx, &name),
        SourceCommand::Key { name } => {
            let jwks = ctx.backend_jwks(&name)?;
            super::print_json(&jwks)
        }
    }
}

fn show(ctx: &App, name: &str) -> Result<(), AppError> {
    let source = ctx.source(name)?;
    let strategy = ctx.strategy(name, &switchboard_app::runtime()?)?;
    println!("source: {name} ({})", source.fhir);
    println!(
        "configured: sync = \"{}\"{}",
        source.sync.word(),
        source.export_group.as_deref().map(|g| format!(", export_group = \"{g}\"")).unwrap_or_default()
    );
    println!("{}", strategy.describe());
    let store = ctx.open_store()?;
    if let Some(since) = store.cursor(name, switchboard_store::EXPORT_CURSOR)? {
        println!("next export from: {since}");
    }
    if let Some(job) = store.export_job(name)? {
        let stage = if job.manifest.is_some() { format!("downloading, {} file(s) written", job.files_done) } else { "running on the server".into() };
        println!("export in flight: {stage}");
    }
    Ok(())
}

fn add(ctx: &App, name: String, fhir: &str, token_stdin: bool, page_size: Option<u32>) -> Result<(), AppError> {
    let entry = source_entry(&name, fhir)?;
    let page_size = page_size.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=1000).contains(&page_size) {
        return Err(AppError::Invalid("--page-size must be between 1 and 1000".to_string()));
    }
    let token = if token_stdin {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(|e| AppError::Internal(format!("cannot read the token: {e}")))?;
        let token = text.trim().to_string();
        if token.is_empty() {
            return Err(AppError::Invalid("--token-stdin was given but standard input was empty".to_string()));
        }
        Some(token)
    } else {
        None
    };
    store_source_token(&ctx.home, &name, token.as_deref())?;
    let fhir = entry.fhir.clone();
    let replaced = ctx.save_source(SourceConfig { page_size, ..entry })?;
    let verb = if replaced { "updated" } else { "added" };
    println!("{verb} source {name} ({fhir}){}", if token.is_some() { ", token kept in the OS keyring" } else { "" });
    Ok(())
}

fn list(ctx: &App, json: bool) -> Result<(), AppError> {
    let rows = ctx.source_views(&ctx.open_store()?)?;
    if json {
        return super::print_json(&rows);
    }
    if rows.is_empty() {
        println!("no sources configured; add one with `switchboard source add NAME --fhir URL`");
    }
    for row in rows {
        println!("{:<16} {:<48} {}", row.name, row.fhir, row.last_synced.as_deref().unwrap_or("never synced"));
        if let Some(error) = row.last_error {
            println!("{:<16} last error: {error}", "");
        }
    }
    Ok(())
}

fn remove(ctx: &App, name: &str) -> Result<(), AppError> {
    ctx.remove_source(name)?;
    println!("removed source {name}");
    Ok(())
}
