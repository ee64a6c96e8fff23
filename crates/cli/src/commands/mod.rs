//! One module per verb.

pub(crate) mod actions;
mod audit;
mod call;
mod demo;
mod hl7;
mod identity;
mod intake;
mod patient;
pub(crate) mod rules;
mod search;
pub(crate) mod source;
pub(crate) mod sync;

use crate::args::Command;
use switchboard_app::App;
use switchboard_app::AppError;
use switchboard_outbox::kinds::{Arrived, Book, Cancel, NoShow, Note, Remind, Reschedule};
use switchboard_outbox::StaffAction;

pub fn dispatch(command: Command) -> Result<(), AppError> {
    let ctx = App::from_env()?;
    match command {
        Command::Source(cmd) => source::run(&ctx, cmd),
        Command::Sync { source, strict, json } => sync::run(&ctx, source.as_deref(), strict, json),
        Command::Search { text, json } => search::run(&ctx, &text, json),
        Command::Patient { id_or_mrn, json } => patient::run(&ctx, &id_or_mrn, json),
        Command::Call { from, to, id, state, json } => call::run(&ctx, &from, to.as_deref(), id, &state, json),
        Command::Phone(crate::args::PhoneCommand::Token { rotate }) => {
            println!("{}", switchboard_app::call_token(&ctx.home, rotate)?);
            Ok(())
        }
        Command::Intake { command, json, patient, confirm, no_llm, answers, summary_language, target } => {
            let answers = intake::parse_answers(&answers)?;
            let staff = if summary_language == "es" { switchboard_intake::Language::Es } else { switchboard_intake::Language::En };
            intake::run(&ctx, command, json, patient, confirm, no_llm, &intake::Reading { answers, staff }, &target)
        }
        Command::Demo(cmd) => demo::run(&ctx, cmd),
        Command::Task(cmd) => actions::task(&ctx, cmd),
        Command::Rules(cmd) => rules::rules(&ctx, cmd),
        Command::Worklist { role, json } => rules::worklist(&ctx, role, json),
        Command::Alerts { json } => rules::alerts(&ctx, json),
        Command::Tick { now, json } => rules::tick(&ctx, now.as_deref(), json),
        Command::Note { patient, text, target } => actions::queue_and_print(&ctx, StaffAction::Note(Note { patient, text }), &target),
        Command::Remind { patient, about, when, target } => actions::queue_and_print(&ctx, StaffAction::Remind(Remind { patient, about, when }), &target),
        Command::Book { patient, slot, reason, target } => actions::queue_and_print(&ctx, StaffAction::Book(Book { patient, slot, reason }), &target),
        Command::Reschedule { appointment, slot, target } => actions::queue_and_print(&ctx, StaffAction::Reschedule(Reschedule { appointment, slot }), &target),
        Command::Cancel { appointment, reason, target } => actions::queue_and_print(&ctx, StaffAction::Cancel(Cancel { appointment, reason }), &target),
        Command::Arrived { appointment, target } => actions::queue_and_print(&ctx, StaffAction::Arrived(Arrived { appointment }), &target),
        Command::Noshow { appointment, target } => actions::queue_and_print(&ctx, StaffAction::NoShow(NoShow { appointment }), &target),
        Command::Outbox { command, json } => actions::outbox(&ctx, command, json),
        Command::Signin { source } => {
            let identity = switchboard_app::runtime()?.block_on(ctx.sign_in(&source, |url| {
                eprintln!("Sign in in the browser; if none opened, open this address:\n{url}");
                switchboard_app::open_in_browser(url);
            }))?;
            println!("signed in to {source} as {}", identity.fhir_user.as_deref().unwrap_or(&identity.subject));
            Ok(())
        }
        Command::Signout { source } => {
            ctx.sign_out(&source)?;
            println!("signed out of {source}");
            Ok(())
        }
        Command::Identity(cmd) => identity::run(&ctx, cmd),
        Command::Hl7(cmd) => hl7::run(&ctx, cmd),
        Command::Audit { user, patient, since, until, limit, json } => audit::run(&ctx, user, patient, since.as_deref(), until.as_deref(), limit, json),
    }
}

pub(crate) fn print_json(value: &impl serde::Serialize) -> Result<(), AppError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| AppError::Internal(e.to_string()))?;
    println!("{text}");
    Ok(())
}
