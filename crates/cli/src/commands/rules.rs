//! `switchboard rules`, `worklist`, `alerts` and `tick`: the orchestration rules and what they made.

use crate::args::{Role, RulesCommand};
use crate::context::Context;
use crate::error::CliError;
use chrono::{DateTime, Utc};
use switchboard_rules::{load_rules, parse_rules, Origin, RunReport};
use switchboard_store::{Store, WorklistFilter};

pub fn rules(ctx: &Context, command: RulesCommand) -> Result<(), CliError> {
    match command {
        RulesCommand::List { json } => {
            let views: Vec<_> = ctx.rules()?.rules.iter().map(|r| r.view()).collect();
            if json {
                return super::print_json(&views);
            }
            for view in views {
                let origin = match &view.origin {
                    Origin::Builtin => "built-in".to_string(),
                    Origin::File(file) => file.clone(),
                };
                println!("{:<28} {:<15} {:<60} {origin}", view.id, serde_json::to_value(view.on).unwrap_or_default().as_str().unwrap_or(""), view.makes);
            }
            Ok(())
        }
        RulesCommand::Check { file } => {
            let text = std::fs::read_to_string(&file).map_err(|e| CliError::Usage(format!("cannot read {}: {e}", file.display())))?;
            let set = parse_rules(&file.display().to_string(), &text, Origin::File(file.display().to_string()))?;
            // Loading it over the built-ins checks the merge too.
            load_rules(&file)?;
            println!("{}: {} rules, clinic time zone {}", file.display(), set.rules.len(), set.clinic.timezone_name);
            Ok(())
        }
    }
}

/// Runs the change rules over everything synced since the last pass.
pub fn on_changes(ctx: &Context, store: &mut Store) -> Result<RunReport, CliError> {
    Ok(switchboard_rules::on_changes(store, &ctx.rules()?, ctx.clock.now())?)
}

pub fn tick(ctx: &Context, now: Option<&str>, json: bool) -> Result<(), CliError> {
    let now = match now {
        Some(text) => DateTime::parse_from_rfc3339(text).map_err(|_| CliError::Usage(format!("--now: `{text}` is not a time like 2026-12-01T09:00:00Z")))?.with_timezone(&Utc),
        None => ctx.clock.now(),
    };
    let mut store = ctx.open_store()?;
    let set = ctx.rules()?;
    let mut report = switchboard_rules::on_changes(&mut store, &set, now)?;
    report.absorb(switchboard_rules::tick(&mut store, &set, now)?);
    if json {
        return super::print_json(&report);
    }
    println!(
        "{} tasks, {} reminders, {} alerts, {} escalations, {} reminders withdrawn",
        report.tasks, report.reminders, report.alerts, report.escalations, report.withdrawn
    );
    Ok(())
}

pub fn worklist(ctx: &Context, role: Option<Role>, json: bool) -> Result<(), CliError> {
    let store = ctx.open_store()?;
    let filter = WorklistFilter { owner: role.map(|r| r.pool().to_string()), ..WorklistFilter::default() };
    let items = store.worklist(&filter, ctx.clock.now())?;
    if json {
        return super::print_json(&items);
    }
    if items.is_empty() {
        println!("no open tasks");
    }
    for item in items {
        let t = &item.task;
        println!(
            "{:<40} {:<8} {:<12} due {:<21} {:<14} {}",
            t.id,
            t.priority.as_deref().unwrap_or("-"),
            t.status.as_deref().unwrap_or("-"),
            t.due.as_deref().unwrap_or("-"),
            t.owner.as_deref().unwrap_or("-"),
            t.description.as_deref().unwrap_or("-")
        );
        if let Some(why) = &t.why {
            println!("    why: {why}");
        }
    }
    Ok(())
}

pub fn alerts(ctx: &Context, json: bool) -> Result<(), CliError> {
    let alerts = ctx.open_store()?.alerts()?;
    if json {
        return super::print_json(&alerts);
    }
    if alerts.is_empty() {
        println!("no alerts");
    }
    for alert in alerts {
        println!("{} {:<16} {:<28} {} ({})", alert.raised_at, alert.role, alert.rule, alert.message, alert.subject);
    }
    Ok(())
}
