//! `switchboard call --from NUMBER`: who is calling, for a softphone's "run on incoming call" hook.

use serde::Serialize;
use switchboard_app::call_token;
use switchboard_app::App;
use switchboard_app::AppError;
use switchboard_calls::{CallEvent, HandOverError};
use switchboard_store::{CallerMatch, CallerVia};

#[derive(Serialize)]
struct Call {
    /// The caller in E.164.
    from: String,
    to: Option<String>,
    matches: Vec<CallerMatch>,
    /// The running desktop app took the call and pops it.
    handed_over: bool,
}

pub fn run(ctx: &App, from: &str, to: Option<&str>, id: Option<String>, state: &str, json: bool) -> Result<(), AppError> {
    let store = ctx.open_store()?;
    let not_a_number = |n: &str| AppError::Invalid(format!("`{n}` is not a phone number"));
    let matches = store.callers(from, ctx.clock.now().date_naive())?.ok_or_else(|| not_a_number(from))?;
    let from = store.e164(from).ok_or_else(|| not_a_number(from))?;
    let to = match to {
        Some(n) => Some(store.e164(n).ok_or_else(|| not_a_number(n))?),
        None => None,
    };
    let handed_over = hand_over(ctx, &from, to.as_deref(), id, state)?;
    if json {
        return super::print_json(&Call { from, to, matches, handed_over });
    }
    if handed_over {
        println!("{from}: handed to the running Switchboard app");
    }
    if matches.is_empty() {
        println!("{from}: no patient or contact has this number (a new caller)");
    }
    for m in &matches {
        let b = &m.hit.banner;
        let via = match &m.via {
            CallerVia::Patient => "own phone".to_string(),
            CallerVia::Contact { name, relationship } => {
                format!("contact {} ({})", name.as_deref().unwrap_or("unnamed"), relationship.as_deref().unwrap_or("related person"))
            }
        };
        println!(
            "{from}  {:<32} {:<10} {:<11} {:<28} {}",
            b.name.as_deref().unwrap_or("(no name)"),
            b.birth_date.as_deref().unwrap_or("-"),
            b.mrn.as_deref().unwrap_or("-"),
            via,
            b.id
        );
    }
    Ok(())
}

/// Gives the call to the running app, if one listens; false when none does.
fn hand_over(ctx: &App, from: &str, to: Option<&str>, id: Option<String>, state: &str) -> Result<bool, AppError> {
    if !ctx.config.phone.listen {
        return Ok(false);
    }
    let state = serde_json::from_value(serde_json::Value::String(state.into())).map_err(|e| AppError::Invalid(e.to_string()))?;
    let call_id = id.unwrap_or_else(|| format!("cli-{}", ctx.clock.now().timestamp_millis()));
    let event = CallEvent { call_id, from: from.into(), to: to.map(str::to_string), state };
    let token = call_token(&ctx.home, false)?;
    match switchboard_app::runtime()?.block_on(switchboard_calls::hand_over(ctx.config.phone.port, &token, Some(&event))) {
        Ok(()) => Ok(true),
        Err(HandOverError::NotRunning(_)) => Ok(false),
        Err(refused) => Err(AppError::Internal(refused.to_string())),
    }
}
