//! Reading what staff will need soon from a server that searches some types only per patient (or
//! for a partial cache): Slots per schedule and Appointments per practitioner over the view window,
//! then every patient in view with `patient=` searches. A patient's set of a type is read whole, so
//! what the cache holds beyond it was deleted on the server.

use crate::progress::Progress;
use crate::pull::{write_page, Ctx, SyncError, TypeReport};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use switchboard_core::resource_types;
use switchboard_fhir::PageTrail;
use switchboard_store::{view_window, Store};

/// Refreshes the patients in view for `types`; returns a report per type read.
pub(crate) async fn refresh_in_view(store: &mut Store, ctx: &Ctx<'_>, types: &[String], progress: &dyn Progress) -> Result<Vec<TypeReport>, SyncError> {
    if types.is_empty() {
        return Ok(Vec::new());
    }
    let now = ctx.clock.now();
    let window = Window::around(now, ctx.options.focus_days);
    let mut reports: BTreeMap<String, TypeReport> = BTreeMap::new();
    let wants = |kind: &str| types.iter().any(|t| t == kind);
    for (schedule, actors) in schedules(store, ctx.source)? {
        if wants("Slot") {
            let params = [("schedule", format!("Schedule/{schedule}")), ("start", format!("ge{}", window.from)), ("start", format!("lt{}", window.until))];
            read_all(store, ctx, "Slot", &params, entry(&mut reports, "Slot")).await?;
        }
        for actor in actors.iter().filter(|_| wants("Appointment")) {
            let param = match actor.split('/').next() {
                Some("Practitioner") => "practitioner",
                Some("Location") => "location",
                _ => continue,
            };
            let params = [(param, actor.clone()), ("date", format!("ge{}", window.from)), ("date", format!("lt{}", window.until))];
            read_all(store, ctx, "Appointment", &params, entry(&mut reports, "Appointment")).await?;
        }
    }
    let patients = store.patients_in_view(ctx.source, now, ctx.options.focus_days)?;
    progress.type_started("patients in view", Some(patients.len() as u64));
    for patient in &patients {
        for kind in types.iter().filter(|t| t.as_str() != "Slot") {
            read_patient(store, ctx, patient, kind, &window, entry(&mut reports, kind)).await?;
        }
        progress.advanced("patients in view", 1);
    }
    let mut writer = store.writer(&ctx.now())?;
    writer.mark_seen(ctx.source, &patients, now)?;
    writer.commit()?;
    let reports: Vec<TypeReport> = reports.into_values().collect();
    for report in &reports {
        progress.type_done(report);
    }
    Ok(reports)
}

fn entry<'a>(reports: &'a mut BTreeMap<String, TypeReport>, kind: &str) -> &'a mut TypeReport {
    reports.entry(kind.to_string()).or_insert_with(|| TypeReport { resource_type: kind.to_string(), ..Default::default() })
}

/// Reads everything of `kind` about one patient; a cached row of that patient the server no longer
/// lists is deleted. Appointments are read from the window's start on, and past ones left as they are.
pub(crate) async fn read_patient(
    store: &mut Store,
    ctx: &Ctx<'_>,
    patient: &str,
    kind: &str,
    window: &Window,
    report: &mut TypeReport,
) -> Result<(), SyncError> {
    let Some(param) = resource_types::patient_param(kind) else { return Ok(()) };
    let value = if param == "_id" { patient.to_string() } else { format!("Patient/{patient}") };
    let mut params: Vec<(&str, String)> = resource_types::sync_filter(kind).iter().map(|(k, v)| (*k, v.to_string())).collect();
    params.push((param, value));
    if kind == "Appointment" {
        params.push(("date", format!("ge{}", window.from)));
    }
    let fetched = read_all(store, ctx, kind, &params, report).await?;
    if kind == "Appointment" {
        return Ok(());
    }
    let cached: Vec<String> = if kind == "Patient" {
        store.resource(ctx.source, kind, patient)?.map(|_| patient.to_string()).into_iter().collect()
    } else {
        store.patient_resources(ctx.source, patient, kind)?.into_iter().map(|(id, _)| id).collect()
    };
    let gone: Vec<&String> = cached.iter().filter(|id| !fetched.contains(*id)).collect();
    if !gone.is_empty() {
        let mut writer = store.writer(&ctx.now())?;
        for id in gone {
            report.deleted += u64::from(writer.delete(ctx.source, kind, id)?);
        }
        writer.commit()?;
    }
    Ok(())
}

/// The view window as search values.
pub(crate) struct Window {
    pub from: String,
    pub until: String,
}

impl Window {
    pub fn around(now: DateTime<Utc>, days: u32) -> Window {
        let (from, until) = view_window(now, days);
        Window { from: stamp(from), until: stamp(until) }
    }
}

/// Follows a search to its end, writing each page; returns the ids it listed.
async fn read_all(store: &mut Store, ctx: &Ctx<'_>, kind: &str, params: &[(&str, String)], report: &mut TypeReport) -> Result<BTreeSet<String>, SyncError> {
    let count = ctx.options.page_size.to_string();
    let mut query: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    query.push(("_count", &count));
    let mut next = Some(ctx.client.search_url(kind, &query).map_err(|e| ctx.fhir_error(kind, e))?);
    let mut trail = PageTrail::new(ctx.options.max_pages);
    let mut ids = BTreeSet::new();
    while let Some(url) = next.take() {
        trail.follow(&url).map_err(|e| ctx.fhir_error(kind, e))?;
        let mut page = ctx.client.get_page(&url).await.map_err(|e| ctx.fhir_error(kind, e))?;
        page.keep_only(kind);
        write_page(store, ctx, &page, false, &mut None, report)?;
        ids.extend(page.resources.iter().filter_map(|raw| serde_json::from_str::<Value>(raw.get()).ok()?["id"].as_str().map(str::to_string)));
        next = page.next;
    }
    Ok(ids)
}

/// Each cached Schedule's id and its actors' references.
fn schedules(store: &Store, source: &str) -> Result<Vec<(String, Vec<String>)>, SyncError> {
    Ok(store
        .resources_of(source, "Schedule")?
        .into_iter()
        .map(|(id, json)| {
            let schedule: Value = serde_json::from_str(&json).unwrap_or(Value::Null);
            let actors = schedule["actor"].as_array().into_iter().flatten().filter_map(|a| a["reference"].as_str().map(str::to_string)).collect();
            (id, actors)
        })
        .collect())
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}
