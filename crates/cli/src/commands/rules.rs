//! `switchboard rules`, `worklist`, `alerts` and `tick`: the orchestration rules and what they made.

use crate::args::{Role, RulesCommand};
use chrono::{DateTime, Utc};
use switchboard_app::App;
use switchboard_app::AppError;
use switchboard_rules::{load_rules, parse_rules, Origin};
use switchboard_store::WorklistFilter;

pub fn rules(ctx: &App, command: RulesCommand) -> Result<(), AppError> {
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
            let text = std::fs::read_to_string(&file).map_err(|e| AppError::Invalid(format!("cannot read {}: {e}", file.display())))?;
            let set = parse_rules(&file.display().to_string(), &text, Origin::File(file.display().to_string()))?;
            // Loading it over the built-ins checks the merge too.
            load_rules(&file)?;
            println!("{}: {} rules, clinic time zone {}", file.display(), set.rules.len(), set.clinic.timezone_name);
            Ok(())
        }
    }
}

pub fn tick(ctx: &App, now: Option<&str>, json: bool) -> Result<(), AppError> {
    let now = match now {
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map_err(|_| AppError::Invalid(format!("--now: `{text}` is not a time like 2026-12-01T09:00:00Z")))?
            .with_timezone(&Utc),
        None => ctx.clock.now(),
    };
    let mut store = ctx.open_store()?;
    let report = ctx.run_rules(&mut store, true, now)?;
    if json {
        return super::print_json(&report);
    }
    println!(
        "{} tasks, {} reminders, {} alerts, {} escalations, {} reminders withdrawn",
        report.tasks, report.reminders, report.alerts, report.escalations, report.withdrawn
    );
    Ok(())
}

pub fn worklist(ctx: &App, role: Option<Role>, json: bool) -> Result<(), AppError> {
    let mut store = ctx.open_store()?;
    ctx.audit(&mut store, switchboard_core::AuditAction::List, None, "worklist")?;
    let filter = WorklistFilter { owner: role.map(|r| r.pool().to_string()), ..WorklistFilter::default() };
    // Every open task: a terminal pages, and scripts want them all.
    let items = store.worklist(&filter, ctx.clock.now(), usize::MAX)?.items;
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

pub fn alerts(ctx: &App, json: bool) -> Result<(), AppError> {
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
