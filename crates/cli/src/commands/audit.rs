//! `switchboard audit`: the audit log, filtered by user, patient and time.

use chrono::{DateTime, NaiveDate, Utc};
use switchboard_app::{App, AppError};
use switchboard_store::AuditFilter;

pub fn run(ctx: &App, user: Option<String>, patient: Option<String>, since: Option<&str>, until: Option<&str>, limit: u32, json: bool) -> Result<(), AppError> {
    let filter = AuditFilter {
        user,
        patient,
        since: since.map(|t| moment(t, "--since")).transpose()?,
        until: until.map(|t| moment(t, "--until")).transpose()?,
        limit: Some(limit),
    };
    let rows = ctx.audit_log(&ctx.open_store()?, &filter)?;
    if json {
        return super::print_json(&rows);
    }
    if rows.is_empty() {
        println!("no audit events match");
    }
    for row in rows {
        let patient = row.patient.as_deref().map(|p| format!("Patient/{p}")).unwrap_or_else(|| "-".into());
        let sent = if row.sent.is_some() { "sent" } else { "waiting" };
        println!("{}  {:<14} {:<24} {:<16} {:<28} {:<8} {}", row.recorded, row.action, row.user_name, row.workstation, patient, sent, row.detail);
    }
    Ok(())
}

/// A date (midnight UTC) or an RFC 3339 time.
fn moment(text: &str, flag: &str) -> Result<DateTime<Utc>, AppError> {
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(date.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| AppError::Invalid(format!("{flag} takes a date such as 2026-03-01 or a time such as 2026-03-01T09:00:00Z")))
}
