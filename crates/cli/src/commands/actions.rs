//! `switchboard task|note|outbox`: staff actions, queued locally and delivered through the outbox.

use crate::args::{OutboxCommand, SourceArg, TaskCommand};
use crate::context::Context;
use crate::error::CliError;
use switchboard_outbox::{drain, queue, Action, ActionError, DrainReport, Queued};
use switchboard_store::{OutboxRow, Store};

pub fn task(ctx: &Context, command: TaskCommand) -> Result<(), CliError> {
    let (action, target) = match command {
        TaskCommand::Create { patient, reason, priority, due, owner, target } => {
            (Action::TaskCreate { patient, reason, priority, due, owner }, target)
        }
        TaskCommand::Claim { task, owner, target } => {
            let owner = owner.or_else(|| std::env::var("SWITCHBOARD_USER").ok()).ok_or_else(|| {
                CliError::Usage("say who claims the task: --as Practitioner/ID (or set SWITCHBOARD_USER)".to_string())
            })?;
            (Action::TaskClaim { task, owner }, target)
        }
        TaskCommand::Complete { task, note, target } => (Action::TaskComplete { task, note }, target),
    };
    queue_and_print(ctx, &action, &target)
}

fn source_name(ctx: &Context, target: &SourceArg) -> Result<String, CliError> {
    match (&target.source, ctx.config.sources.as_slice()) {
        (Some(name), _) if ctx.config.source(name).is_some() => Ok(name.clone()),
        (Some(name), _) => Err(CliError::NotFound(format!("no source named `{name}` is configured"))),
        (None, [only]) => Ok(only.name.clone()),
        (None, []) => Err(CliError::Usage("no FHIR source is configured to send actions to".to_string())),
        (None, _) => Err(CliError::Usage("several sources are configured: choose one with --source".to_string())),
    }
}

pub fn queue_and_print(ctx: &Context, action: &Action, target: &SourceArg) -> Result<(), CliError> {
    let Queued { id, target, state } = queue_to(ctx, &source_name(ctx, target)?, action)?;
    println!("{id} {state} {target}");
    Ok(())
}

fn queue_to(ctx: &Context, source: &str, action: &Action) -> Result<Queued, CliError> {
    let mut store = ctx.open_store()?;
    queue(&mut store, source, action, ctx.clock.now()).map_err(|e| match e {
        ActionError::Invalid(words) => CliError::Usage(words),
        ActionError::Store(e) => CliError::Store(e),
    })
}

/// Queues a confirmed intake: the note and summary as a Communication, and the routed Task.
pub fn confirm_intake(ctx: &Context, patient: &str, note: &str, intake: &switchboard_intake::Intake, target: &SourceArg) -> Result<Queued, CliError> {
    let not_found = || CliError::NotFound("no patient with that id or MRN is in the cache".to_string());
    let (source, patient) = ctx.open_store()?.find_patient(patient)?.ok_or_else(not_found)?;
    if target.source.as_ref().is_some_and(|s| *s != source) {
        return Err(CliError::Usage(format!("that patient comes from source `{source}`, not the one given with --source")));
    }
    queue_to(ctx, &source, &crate::context::intake_action(patient, note, &intake.summary, intake, ctx.clock.now()))
}

pub fn outbox(ctx: &Context, command: Option<OutboxCommand>, json: bool) -> Result<(), CliError> {
    let mut store = ctx.open_store()?;
    match command {
        None => {
            let rows = store.outbox()?;
            if json {
                return super::print_json(&rows);
            }
            print_rows(&rows);
            Ok(())
        }
        Some(OutboxCommand::Drain) => {
            let mut unsettled = Vec::new();
            for (source, report) in drain_sources(ctx, &mut store, &super::runtime()?)? {
                println!(
                    "{}: {} sent, {} failed, {} in conflict, {} waiting to retry",
                    source, report.sent, report.failed, report.conflicts, report.waiting
                );
                if report.failed + report.conflicts + report.waiting > 0 {
                    unsettled.push(source);
                }
            }
            match unsettled.is_empty() {
                true => Ok(()),
                false => Err(CliError::Unsettled(format!(
                    "actions for {} are not all delivered; see `switchboard outbox`",
                    unsettled.join(", ")
                ))),
            }
        }
        Some(OutboxCommand::Retry { id }) => set_state(&mut store, ctx, &id, "pending"),
        Some(OutboxCommand::Discard { id }) => set_state(&mut store, ctx, &id, "discarded"),
    }
}

/// Delivers every configured source's due actions; the desktop app's delivery worker calls it too.
pub fn drain_sources(
    ctx: &Context,
    store: &mut Store,
    runtime: &tokio::runtime::Runtime,
) -> Result<Vec<(String, DrainReport)>, CliError> {
    let mut reports = Vec::new();
    for source in &ctx.config.sources {
        let client = ctx.client_for(source, false)?;
        reports.push((source.name.clone(), runtime.block_on(drain(store, &client, &source.name, ctx.clock.as_ref()))?));
    }
    Ok(reports)
}

fn set_state(store: &mut Store, ctx: &Context, id: &str, state: &str) -> Result<(), CliError> {
    match store.set_outbox_state(id, state, &ctx.clock.now().to_rfc3339())? {
        true => {
            println!("{id} {state}");
            Ok(())
        }
        false => Err(CliError::NotFound("no pending, failed or conflicting action with that id".to_string())),
    }
}

fn print_rows(rows: &[OutboxRow]) {
    if rows.is_empty() {
        println!("the outbox is empty");
    }
    for row in rows {
        println!("{} {:<10} {:<14} {:<40} {}", row.id, row.state, row.kind, row.target, row.error.as_deref().unwrap_or(""));
    }
}
