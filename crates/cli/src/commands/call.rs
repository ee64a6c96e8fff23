//! `switchboard call --from NUMBER`: who is calling, for a softphone's "run on incoming call" hook.

use crate::context::Context;
use crate::error::CliError;
use serde::Serialize;
use switchboard_store::{CallerMatch, CallerVia};

#[derive(Serialize)]
struct Call {
    /// The caller in E.164.
    from: String,
    to: Option<String>,
    matches: Vec<CallerMatch>,
}

pub fn run(ctx: &Context, from: &str, to: Option<&str>, json: bool) -> Result<(), CliError> {
    let store = ctx.open_store()?;
    let not_a_number = |n: &str| CliError::Usage(format!("`{n}` is not a phone number"));
    let matches = store.callers(from, ctx.clock.now().date_naive())?.ok_or_else(|| not_a_number(from))?;
    let from = store.e164(from).ok_or_else(|| not_a_number(from))?;
    let to = match to {
        Some(n) => Some(store.e164(n).ok_or_else(|| not_a_number(n))?),
        None => None,
    };
    if json {
        return super::print_json(&Call { from, to, matches });
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
