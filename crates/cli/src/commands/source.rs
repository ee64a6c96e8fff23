//! `switchboard source add|list|remove`.

use crate::args::SourceCommand;
use crate::context::{store_source_token, Context};
use crate::error::CliError;
use std::io::Read;
use switchboard_core::config::{parse_fhir_url, valid_source_name, DEFAULT_PAGE_SIZE};
use serde::Serialize;
use switchboard_core::{Config, SourceConfig};
use ts_rs::TS;

pub fn run(ctx: &Context, command: SourceCommand) -> Result<(), CliError> {
    match command {
        SourceCommand::Add { name, fhir, token_stdin, page_size } => add(ctx, name, &fhir, token_stdin, page_size),
        SourceCommand::List { json } => list(ctx, json),
        SourceCommand::Remove { name } => remove(ctx, &name),
    }
}

/// A checked source entry from what a person typed.
pub fn source_entry(name: &str, fhir: &str) -> Result<SourceConfig, CliError> {
    if !valid_source_name(name) {
        return Err(CliError::Usage("a source name must be 1-40 letters, digits, '-' or '_'".to_string()));
    }
    let fhir = parse_fhir_url(fhir).map_err(|problem| CliError::Usage(format!("FHIR URL: {problem}")))?;
    Ok(SourceConfig { name: name.to_string(), fhir, page_size: DEFAULT_PAGE_SIZE })
}

/// Adds or replaces a source in the config file. Returns whether one of that name was replaced.
pub fn save_source(ctx: &Context, source: SourceConfig) -> Result<bool, CliError> {
    let mut config = Config::load(&ctx.home.config_file())?;
    let replaced = config.sources.iter().any(|s| s.name == source.name);
    config.sources.retain(|s| s.name != source.name);
    config.sources.push(source);
    config.save(&ctx.home.config_file()).map_err(|e| CliError::Other(format!("cannot write {}: {e}", ctx.home.config_file().display())))?;
    Ok(replaced)
}

/// Every configured source with how its last sync went.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SourceView {
    pub name: String,
    pub fhir: String,
    pub page_size: u32,
    pub last_synced: Option<String>,
    pub last_error: Option<String>,
}

pub fn source_views(ctx: &Context) -> Result<Vec<SourceView>, CliError> {
    let statuses = ctx.open_store()?.source_statuses()?;
    Ok(ctx
        .config
        .sources
        .iter()
        .map(|s| {
            let status = statuses.iter().find(|st| st.name == s.name);
            SourceView {
                name: s.name.clone(),
                fhir: s.fhir.to_string(),
                page_size: s.page_size,
                last_synced: status.and_then(|st| st.last_synced.clone()),
                last_error: status.and_then(|st| st.last_error.clone()),
            }
        })
        .collect())
}

fn add(ctx: &Context, name: String, fhir: &str, token_stdin: bool, page_size: Option<u32>) -> Result<(), CliError> {
    let SourceConfig { fhir, .. } = source_entry(&name, fhir)?;
    let page_size = page_size.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=1000).contains(&page_size) {
        return Err(CliError::Usage("--page-size must be between 1 and 1000".to_string()));
    }
    let token = if token_stdin {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(|e| CliError::Other(format!("cannot read the token: {e}")))?;
        let token = text.trim().to_string();
        if token.is_empty() {
            return Err(CliError::Usage("--token-stdin was given but standard input was empty".to_string()));
        }
        Some(token)
    } else {
        None
    };
    store_source_token(&ctx.home, &name, token.as_deref())?;
    let replaced = save_source(ctx, SourceConfig { name: name.clone(), fhir: fhir.clone(), page_size })?;
    let verb = if replaced { "updated" } else { "added" };
    println!("{verb} source {name} ({fhir}){}", if token.is_some() { ", token kept in the OS keyring" } else { "" });
    Ok(())
}

fn list(ctx: &Context, json: bool) -> Result<(), CliError> {
    let rows = source_views(ctx)?;
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

fn remove(ctx: &Context, name: &str) -> Result<(), CliError> {
    let mut config = ctx.config.clone();
    let before = config.sources.len();
    config.sources.retain(|s| s.name != name);
    if config.sources.len() == before {
        return Err(CliError::NotFound(format!("no source named `{name}` is configured")));
    }
    store_source_token(&ctx.home, name, None)?;
    config.save(&ctx.home.config_file()).map_err(|e| CliError::Other(format!("cannot write the config: {e}")))?;
    println!("removed source {name}");
    Ok(())
}
