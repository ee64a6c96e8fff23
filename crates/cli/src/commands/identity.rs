//! `switchboard identity`: who is who across sources, the review queue, and staff decisions.

use crate::args::IdentityCommand;
use switchboard_app::{App, AppError};

pub fn run(ctx: &App, command: IdentityCommand) -> Result<(), AppError> {
    let mut store = ctx.open_store()?;
    match command {
        IdentityCommand::Relink => {
            let relinked = ctx.relink(&mut store)?;
            println!("{} records; {} persons linked across sources; {} pairs to review", relinked.records, relinked.linked, relinked.review);
        }
        IdentityCommand::Review { json } => {
            let queue = store.review_queue(ctx.clock.now().date_naive())?;
            if json {
                return super::print_json(&queue);
            }
            if queue.is_empty() {
                println!("nothing to review");
            }
            for pair in queue {
                let shown = |banner: &Option<switchboard_store::view::Banner>| {
                    banner.as_ref().map(|b| format!("{} {}", b.name.as_deref().unwrap_or("?"), b.birth_date.as_deref().unwrap_or("?"))).unwrap_or_default()
                };
                println!(
                    "{}/{} ({})  {}/{} ({})  score {:.1}: {}",
                    pair.a_source,
                    pair.a_patient,
                    shown(&pair.a),
                    pair.b_source,
                    pair.b_patient,
                    shown(&pair.b),
                    pair.score,
                    pair.why
                );
            }
        }
        IdentityCommand::Link { record, other } => decide(ctx, &mut store, &record, &other, true)?,
        IdentityCommand::NotSame { record, other } => decide(ctx, &mut store, &record, &other, false)?,
    }
    Ok(())
}

fn decide(ctx: &App, store: &mut switchboard_store::Store, record: &str, other: &str, same: bool) -> Result<(), AppError> {
    let split = |text: &str| {
        let (source, id) = text.split_once('/').ok_or_else(|| AppError::Invalid(format!("`{text}` is not SOURCE/ID")))?;
        match store.resource(source, "Patient", id)? {
            Some(_) => Ok::<_, AppError>((source.to_string(), id.to_string())),
            None => Err(AppError::NotFound(format!("the cache holds no patient {id} in `{source}`"))),
        }
    };
    let (a, b) = (split(record)?, split(other)?);
    let queued = ctx.decide_link(store, (&a.0, &a.1), (&b.0, &b.1), same)?;
    println!("{} ({}); it reaches the shared-work source with the next delivery", if same { "linked" } else { "kept apart" }, queued.id);
    Ok(())
}
