//! `switchboard search TEXT`: the cache, and the server of a partial source when the cache has few matches.

use switchboard_app::App;
use switchboard_app::AppError;
use switchboard_core::AuditAction;
use switchboard_store::normalize_query;

/// Fewer local results than this, with a partial source, and its server is asked too.
const ENOUGH_LOCAL_HITS: usize = 10;

pub fn run(ctx: &App, text: &str, json: bool) -> Result<(), AppError> {
    let today = ctx.clock.now().date_naive();
    let query = normalize_query(text, ctx.month_first(), today);
    if query.is_empty() {
        return Err(AppError::Invalid("type a name, a date of birth, a phone number or an MRN".to_string()));
    }
    let mut store = ctx.open_store()?;
    ctx.audit(&mut store, AuditAction::Search, None, text.trim())?;
    let mut hits = store.search(&query, today)?;
    // A partial cache may lack the patient: the server is asked too, as the search box does.
    if hits.len() < ENOUGH_LOCAL_HITS && ctx.has_partial_source() {
        eprintln!("asking the server for more…");
        hits = ctx.search_servers(&mut store, &switchboard_app::runtime()?, text)?;
    }
    if json {
        return super::print_json(&hits);
    }
    if hits.is_empty() {
        println!("no matching patients");
    }
    for hit in hits {
        let b = &hit.banner;
        println!(
            "{:<32} {:<7} {:<10} {:>3}y  {:<16} {:<11} {} ({})",
            b.name.as_deref().unwrap_or("(no name)"),
            b.gender.as_deref().unwrap_or("-"),
            b.birth_date.as_deref().unwrap_or("-"),
            b.age.map(|a| a.to_string()).unwrap_or_default(),
            b.phones.first().map(String::as_str).unwrap_or("-"),
            b.mrn.as_deref().unwrap_or("-"),
            b.id,
            hit.source
        );
    }
    Ok(())
}
