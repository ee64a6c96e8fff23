//! `switchboard task|note|outbox`: staff actions, queued locally and delivered through the outbox.

use crate::args::{OutboxCommand, SourceArg, TaskCommand};
use switchboard_app::{App, AppError};
use switchboard_core::OutboxState;
use switchboard_outbox::kinds::{TaskClaim, TaskComplete, TaskCreate};
use switchboard_outbox::{Queued, StaffAction};
use switchboard_store::OutboxRow;

pub fn task(ctx: &App, command: TaskCommand) -> Result<(), AppError> {
    let (action, target) = match command {
        TaskCommand::Create { patient, reason, priority, due, owner, target } => {
            (StaffAction::TaskCreate(TaskCreate { patient, reason, priority, due, owner }), target)
        }
        TaskCommand::Claim { task, owner, target } => {
            let owner = owner
                .or_else(|| ctx.actor().practitioner)
                .or_else(|| std::env::var("SWITCHBOARD_USER").ok())
                .ok_or_else(|| AppError::Invalid("say who claims the task: --as Practitioner/ID (or set SWITCHBOARD_USER, or sign in)".to_string()))?;
            (StaffAction::TaskClaim(TaskClaim { task, owner }), target)
        }
        TaskCommand::Complete { task, note, target } => (StaffAction::TaskComplete(TaskComplete { task, note }), target),
    };
    queue_and_print(ctx, action, &target)
}

fn source_name(ctx: &App, target: &SourceArg) -> Result<String, AppError> {
    match (&target.source, ctx.config.sources.as_slice()) {
        (Some(name), _) => Ok(ctx.source(name)?.name.clone()),
        (None, [only]) => Ok(only.name.clone()),
        (None, []) => Err(AppError::Invalid("no FHIR source is configured to send actions to".to_string())),
        (None, _) => Err(AppError::Invalid("several sources are configured: choose one with --source".to_string())),
    }
}

pub fn queue_and_print(ctx: &App, action: StaffAction, target: &SourceArg) -> Result<(), AppError> {
    let source = source_name(ctx, target)?;
    print_queued(ctx.queue_staff(&mut ctx.open_store()?, &source, action)?);
    Ok(())
}

pub fn print_queued(Queued { id, target, state }: Queued) {
    println!("{id} {state} {target}");
}

/// Queues a confirmed intake: the note and summary as a Communication, and the routed Task.
pub fn confirm_intake(ctx: &App, patient: &str, note: &str, intake: &switchboard_intake::Intake, target: &SourceArg) -> Result<Queued, AppError> {
    let not_found = || AppError::NotFound("no patient with that id or MRN is in the cache".to_string());
    let mut store = ctx.open_store()?;
    let (source, patient) = store.find_patient(patient)?.ok_or_else(not_found)?;
    if target.source.as_ref().is_some_and(|s| *s != source) {
        return Err(AppError::Invalid(format!("that patient comes from source `{source}`, not the one given with --source")));
    }
    ctx.queue_intake(&mut store, &source, patient, note, &intake.summary, intake)
}

pub fn outbox(ctx: &App, command: Option<OutboxCommand>, json: bool) -> Result<(), AppError> {
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
            for round in ctx.deliver(&mut store, &switchboard_app::runtime()?)? {
                let report = &round.actions;
                println!(
                    "{}: {} sent, {} failed, {} in conflict, {} waiting to retry; {} audit events sent",
                    round.source, report.sent, report.failed, report.conflicts, report.waiting, round.audits.sent
                );
                if let Some(error) = &round.audits.error {
                    println!("  {error}");
                }
                if round.audits.kept_here {
                    println!("  {} takes no AuditEvent writes: the audit log stays here until [audit] repository names where to send it", round.source);
                }
                if report.failed + report.conflicts + report.waiting > 0 || round.audits.error.is_some() {
                    unsettled.push(round.source);
                }
            }
            match unsettled.is_empty() {
                true => Ok(()),
                false => Err(AppError::Unsettled(format!("actions for {} are not all delivered; see `switchboard outbox`", unsettled.join(", ")))),
            }
        }
        Some(OutboxCommand::Retry { id }) => set_state(&mut store, ctx, &id, OutboxState::Pending),
        Some(OutboxCommand::Discard { id }) => set_state(&mut store, ctx, &id, OutboxState::Discarded),
    }
}

fn set_state(store: &mut switchboard_store::Store, ctx: &App, id: &str, state: OutboxState) -> Result<(), AppError> {
    match store.set_outbox_state(id, state, &ctx.clock.now().to_rfc3339())? {
        true => {
            println!("{id} {state}");
            Ok(())
        }
        false => Err(AppError::NotFound("no pending, failed or conflicting action with that id".to_string())),
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
