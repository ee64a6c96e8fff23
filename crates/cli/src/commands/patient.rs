//! `switchboard patient ID_OR_MRN`: the workspace view, as text or JSON.

use switchboard_app::App;
use switchboard_app::AppError;
use switchboard_store::view::{Appointment, PatientView};

pub fn run(ctx: &App, id_or_mrn: &str, json: bool) -> Result<(), AppError> {
    let mut store = ctx.open_store()?;
    // The message does not repeat what was typed: an MRN is patient data.
    let not_found = || AppError::NotFound("no patient with that id or MRN is in the cache".to_string());
    let (source, id) = store.find_patient(id_or_mrn)?.ok_or_else(not_found)?;
    let view = ctx.open_patient(&mut store, &source, &id)?.ok_or_else(not_found)?;
    if json {
        return super::print_json(&view);
    }
    print!("{}", render(&view));
    Ok(())
}

fn or_dash(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("-")
}

fn date_part(value: &Option<String>) -> &str {
    value.as_deref().map(|d| d.get(..10).unwrap_or(d)).unwrap_or("-")
}

pub fn render(view: &PatientView) -> String {
    let mut out = String::new();
    let p = &view.patient.banner;
    out += &format!(
        "{}  {}  {} ({}y)  MRN {}  id {}\n",
        or_dash(&p.name),
        or_dash(&p.gender),
        or_dash(&p.birth_date),
        p.age.map(|a| a.to_string()).unwrap_or_else(|| "?".into()),
        or_dash(&p.mrn),
        p.id
    );
    out += &format!("phones: {}\naddress: {}\n", p.phones.join(", "), or_dash(&view.patient.address));
    let allergies: Vec<String> =
        view.allergies.iter().map(|a| format!("{} [{}] {}", or_dash(&a.substance), or_dash(&a.criticality), a.reactions.join("; "))).collect();
    out += &format!("ALLERGIES: {}\n", if allergies.is_empty() { "none recorded".to_string() } else { allergies.join(" | ") });
    let problems: Vec<String> = view.problems.iter().map(|p| format!("{} (since {})", or_dash(&p.condition), date_part(&p.onset))).collect();
    out += &format!("Problems: {}\n", if problems.is_empty() { "none recorded".to_string() } else { problems.join(" | ") });

    out += &format!("\nVisits ({})\n", view.encounters.len());
    for e in &view.encounters {
        out += &format!(
            "  {}  {:<28} {:<22} {:<26} {}\n",
            date_part(&e.date),
            or_dash(&e.kind),
            or_dash(&e.practitioner),
            or_dash(&e.location),
            or_dash(&e.reason)
        );
    }
    out += &format!("\nMedications: {} active, {} past\n", view.medications.active.len(), view.medications.past.len());
    for (label, list) in [("active", &view.medications.active), ("past", &view.medications.past)] {
        for m in list {
            out += &format!("  [{label}] {} - {} ({})\n", or_dash(&m.name), or_dash(&m.dosage), or_dash(&m.status));
        }
    }
    out += &format!("\nLabs ({} tests)\n", view.labs.len());
    for t in &view.labs {
        let flag = match t.latest.flag.as_deref() {
            Some("normal") | None => String::new(),
            Some(f) => format!("  ** {} **", f.to_uppercase()),
        };
        out += &format!(
            "  {:<22} {:>14}  {}  range {}  ({} results){flag}\n",
            or_dash(&t.name),
            or_dash(&t.latest.value),
            date_part(&t.latest.date),
            or_dash(&t.range),
            t.history.len()
        );
    }
    let a = &view.appointments;
    out += &format!("\nAppointments: {} upcoming, {} past, {} cancelled, {} no-shows\n", a.upcoming.len(), a.past.len(), a.cancelled.len(), a.no_shows.len());
    let line = |label: &str, appt: &Appointment| {
        format!("  [{label}] {}  {}  {}  {}\n", or_dash(&appt.start), or_dash(&appt.practitioner), or_dash(&appt.location), or_dash(&appt.reason))
    };
    for appt in &a.upcoming {
        out += &line("upcoming", appt);
    }
    for appt in &a.no_shows {
        out += &line("no-show", appt);
    }
    for appt in &a.cancelled {
        out += &line("cancelled", appt);
    }
    out += &format!("\nOpen tasks ({})\n", view.tasks.len());
    for t in &view.tasks {
        out += &format!("  [{}] {} - due {} ({})\n", or_dash(&t.priority), or_dash(&t.description), or_dash(&t.due), or_dash(&t.owner));
    }
    out += "\nSources\n";
    for s in &view.sources {
        out += &format!("  {} ({}): last synced {}\n", s.name, s.base_url, s.last_synced.as_deref().unwrap_or("never"));
    }
    out
}
