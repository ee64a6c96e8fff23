//! `switchboard source add|list|remove`.

use crate::args::SourceCommand;
use crate::context::{store_source_token, Context};
use crate::error::CliError;
use std::io::Read;
use switchboard_core::config::{parse_fhir_url, valid_source_name, DEFAULT_PAGE_SIZE};
use switchboard_core::SourceConfig;

pub fn run(ctx: &Context, command: SourceCommand) -> Result<(), CliError> {
    match command {
        SourceCommand::Add { name, fhir, token_stdin, page_size } => add(ctx, name, &fhir, token_stdin, page_size),
        SourceCommand::List { json } => list(ctx, json),
        SourceCommand::Remove { name } => remove(ctx, &name),
    }
}

fn add(ctx: &Context, name: String, fhir: &str, token_stdin: bool, page_size: Option<u32>) -> Result<(), CliError> {
    if !valid_source_name(&name) {
        return Err(CliError::Usage("a source name must be 1-40 letters, digits, '-' or '_'".to_string()));
    }
    let fhir = parse_fhir_url(fhir).map_err(|problem| CliError::Usage(format!("--fhir: {problem}")))?;
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
    let mut config = ctx.config.clone();
    let replaced = config.sources.iter().any(|s| s.name == name);
    config.sources.retain(|s| s.name != name);
    config.sources.push(SourceConfig { name: name.clone(), fhir: fhir.clone(), page_size });
    store_source_token(&ctx.home, &name, token.as_deref())?;
    config.save(&ctx.home.config_file()).map_err(|e| CliError::Other(format!("cannot write {}: {e}", ctx.home.config_file().display())))?;
    let verb = if replaced { "updated" } else { "added" };
    println!("{verb} source {name} ({fhir}){}", if token.is_some() { ", token kept in the OS keyring" } else { "" });
    Ok(())
}

fn list(ctx: &Context, json: bool) -> Result<(), CliError> {
    let statuses = ctx.open_store()?.source_statuses()?;
    let rows: Vec<serde_json::Value> = ctx
        .config
        .sources
        .iter()
        .map(|s| {
            let status = statuses.iter().find(|st| st.name == s.name);
            serde_json::json!({"name": s.name, "fhir": s.fhir.as_str(), "pageSize": s.page_size,
                "lastSynced": status.and_then(|st| st.last_synced.clone()), "lastError": status.and_then(|st| st.last_error.clone())})
        })
        .collect();
    if json {
        return super::print_json(&rows);
    }
    if rows.is_empty() {
        println!("no sources configured; add one with `switchboard source add NAME --fhir URL`");
    }
    for row in rows {
        let synced = row["lastSynced"].as_str().unwrap_or("never synced");
        println!("{:<16} {:<48} {synced}", row["name"].as_str().unwrap_or_default(), row["fhir"].as_str().unwrap_or_default());
        if let Some(error) = row["lastError"].as_str() {
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
