//! Sync against a server restricted the way production EHR APIs are (the testkit's vendor limits in
//! front of a real Helios): clinical searches only per patient, Appointment only with a date window,
//! Slot only per schedule, Group export only, one export at a time, export files that expire. What
//! the strategy claims to cover is compared with what Helios holds; a partial cache asks the server
//! for patients it lacks and forgets the ones not seen.

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use switchboard_app::App;
use switchboard_core::{Clock, Config, SourceConfig, SystemClock};
use switchboard_demo::seed_server;
use switchboard_fhir::FhirClient;
use switchboard_store::{patient_of, view_window, Store};
use switchboard_sync::{Method, NoProgress};
use switchboard_testkit::fault_proxy::FaultProxy;
use switchboard_testkit::{client, demo_today, runtime, server_behind_proxy, server_resources, FhirServer, TestHome};

const SOURCE: &str = "ehr";
const FOCUS_DAYS: u32 = 7;

/// A clock `days` after the real one.
struct Later(i64);

impl Clock for Later {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::days(self.0)
    }
}

fn app_for(home: &TestHome, base: &str, change: impl FnOnce(&mut SourceConfig), clock: Arc<dyn Clock>) -> App {
    let mut source = SourceConfig { export_poll_seconds: 1, ..SourceConfig::new(SOURCE, switchboard_core::config::parse_fhir_url(base).unwrap()) };
    change(&mut source);
    App::new(home.home.clone(), Config { sources: vec![source], ..Config::default() }, clock)
}

/// What Helios holds, read through the proxy with the vendor's limits lifted (its links name the proxy).
struct Truth<'a> {
    rt: &'a tokio::runtime::Runtime,
    proxy: &'a FaultProxy,
    client: FhirClient,
}

impl Truth<'_> {
    fn all(&self, kind: &str) -> BTreeMap<String, Value> {
        self.proxy.unrestricted(|| self.rt.block_on(server_resources(&self.client, kind)))
    }

    /// The ids of `kind` about any of `patients`.
    fn about(&self, kind: &str, patients: &BTreeSet<String>) -> BTreeSet<String> {
        self.all(kind).iter().filter(|(id, r)| patient_of(kind, id, r).is_some_and(|p| patients.contains(&p))).map(|(id, _)| id.clone()).collect()
    }

    /// The patients staff will meet: an appointment in the window or an open task.
    fn in_view(&self, now: DateTime<Utc>) -> BTreeSet<String> {
        let (from, until) = view_window(now, FOCUS_DAYS);
        let appointments = self.all("Appointment");
        let tasks = self.all("Task");
        let booked = appointments.iter().filter(|(_, a)| starts_within(a, from, until)).filter_map(|(id, a)| patient_of("Appointment", id, a));
        let open = tasks
            .iter()
            .filter(|(_, t)| !matches!(t["status"].as_str(), Some("completed" | "cancelled" | "rejected" | "failed")))
            .filter_map(|(id, t)| patient_of("Task", id, t));
        booked.chain(open).collect()
    }
}

/// A seeded Helios behind the vendor's limits, and a client that writes to Helios directly.
fn vendor_server(rt: &tokio::runtime::Runtime, patients: u32, seed: u64) -> (FhirServer, FaultProxy, FhirClient) {
    let (server, proxy) = server_behind_proxy(rt);
    let direct = client(&format!("http://127.0.0.1:{}", server.port));
    rt.block_on(seed_server(&direct, &demo_today(patients, seed), &mut |_| {})).unwrap();
    proxy.act_as_vendor(None);
    (server, proxy, direct)
}

fn ids(store: &Store, kind: &str) -> BTreeSet<String> {
    store.ids_of(SOURCE, kind).unwrap().into_iter().collect()
}

fn starts_within(resource: &Value, from: DateTime<Utc>, until: DateTime<Utc>) -> bool {
    resource["start"].as_str().and_then(|s| DateTime::parse_from_rfc3339(s).ok()).is_some_and(|t| t >= from && t < until)
}

#[test]
fn a_server_that_searches_only_per_patient_is_read_per_patient_in_view_with_nothing_in_scope_missing() {
    let rt = runtime();
    let (server, proxy, direct) = vendor_server(&rt, 30, 11);
    let truth = Truth { rt: &rt, proxy: &proxy, client: client(&server.public_base) };
    let home = TestHome::new();
    let app = app_for(&home, &server.base(), |_| {}, Arc::new(SystemClock));
    let strategy = app.strategy(SOURCE, &rt).unwrap();
    assert_eq!(strategy.method, Method::Search, "{}", strategy.describe());
    for kind in ["Patient", "Observation", "Condition", "Appointment", "Slot"] {
        assert!(strategy.focus_types.iter().any(|t| t == kind), "{kind} is not read per patient: {}", strategy.describe());
    }
    let mut store = home.store();
    app.sync(&mut store, &rt, None, false, &NoProgress).unwrap();
    assert_eq!(proxy.vendor_refused(), Vec::<String>::new(), "the sync asked what the vendor refuses");

    let now = Utc::now();
    let expected = truth.in_view(now);
    let in_view: BTreeSet<String> = store.patients_in_view(SOURCE, now, FOCUS_DAYS).unwrap().into_iter().collect();
    assert!(expected.len() >= 3 && expected.is_subset(&in_view), "expected in view {expected:?}, the cache has {in_view:?}");
    let everyone = truth.all("Patient").len();
    assert!(in_view.len() < everyone, "a per-patient read brought everyone ({everyone})");
    assert_eq!(ids(&store, "Patient"), in_view, "the cached patients are the ones in view");
    for kind in ["Encounter", "Condition", "AllergyIntolerance", "MedicationRequest", "Observation", "DiagnosticReport"] {
        assert_eq!(ids(&store, kind), truth.about(kind, &in_view), "{kind} of the patients in view");
    }
    let (from, until) = view_window(now, FOCUS_DAYS);
    let slots = truth.all("Slot");
    let window_slots: BTreeSet<String> = slots.iter().filter(|(_, s)| starts_within(s, from, until)).map(|(id, _)| id.clone()).collect();
    assert!(!window_slots.is_empty());
    assert_eq!(ids(&store, "Slot"), window_slots, "the slots of the window, per schedule");
    let appointments = truth.all("Appointment");
    let window_appointments: BTreeSet<String> = appointments.iter().filter(|(_, a)| starts_within(a, from, until)).map(|(id, _)| id.clone()).collect();
    assert!(window_appointments.is_subset(&ids(&store, "Appointment")), "an appointment of the window is missing");
    for kind in ["Practitioner", "Schedule", "Task"] {
        let theirs: BTreeSet<String> = truth.all(kind).into_keys().collect();
        assert_eq!(ids(&store, kind), theirs, "{kind} is searched across the server");
    }

    // One result deleted and one added for a patient in view: the next sync sees both.
    let patient = in_view.iter().find(|p| !truth.about("Observation", &BTreeSet::from([(*p).clone()])).is_empty()).unwrap().clone();
    let theirs = truth.about("Observation", &BTreeSet::from([patient.clone()]));
    let gone = theirs.iter().next().unwrap().clone();
    rt.block_on(direct.delete("Observation", &gone)).unwrap();
    let added = serde_json::json!({"resourceType": "Observation", "id": "obs-restricted-new", "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "2823-3"}]}, "subject": {"reference": format!("Patient/{patient}")},
        "effectiveDateTime": now.to_rfc3339(), "valueQuantity": {"value": 4.1, "unit": "mmol/L"}});
    rt.block_on(direct.update(&added, None)).unwrap();
    app.sync(&mut store, &rt, None, false, &NoProgress).unwrap();
    let cached = ids(&store, "Observation");
    assert!(cached.contains("obs-restricted-new") && !cached.contains(&gone), "the change for {patient} was not seen");
    assert_eq!(proxy.vendor_refused(), Vec::<String>::new());
}

#[test]
fn a_group_export_behind_the_vendor_is_complete_waits_its_turn_and_starts_over_when_its_files_expire() {
    let rt = runtime();
    let (server, proxy, direct) = vendor_server(&rt, 12, 5);
    let truth = Truth { rt: &rt, proxy: &proxy, client: client(&server.public_base) };
    let members: Vec<String> = truth.all("Patient").into_keys().take(6).collect();
    let group = serde_json::json!({"resourceType": "Group", "id": "switchboard", "type": "person", "actual": true,
        "member": members.iter().map(|id| serde_json::json!({"entity": {"reference": format!("Patient/{id}")}})).collect::<Vec<_>>()});
    rt.block_on(direct.update(&group, None)).unwrap();
    let home = TestHome::new();
    let app = app_for(&home, &server.base(), |s| s.export_group = Some("switchboard".into()), Arc::new(SystemClock));
    assert_eq!(app.strategy(SOURCE, &rt).unwrap().method, Method::Export(switchboard_sync::ExportLevel::Group("switchboard".into())));
    let mut store = home.store();

    // Another client's export is running: the vendor allows one at a time.
    let through_proxy = client(&server.public_base);
    let kickoff = through_proxy.base().join("Group/switchboard/$export?_type=Patient").unwrap();
    let other = rt.block_on(through_proxy.export_kickoff(&kickoff)).unwrap();
    let busy = app.sync(&mut store, &rt, None, false, &NoProgress).unwrap_err().to_string();
    assert!(busy.contains("only one may run at a time"), "{busy}");
    assert!(store.export_job(SOURCE).unwrap().is_none(), "a refused kick-off left a job behind");
    rt.block_on(through_proxy.export_delete(&other)).unwrap();

    // The files expire before they are fetched: the job is dropped and the next sync starts anew.
    proxy.act_as_vendor(Some(std::time::Duration::ZERO));
    let expired = app.sync(&mut store, &rt, None, false, &NoProgress).unwrap_err().to_string();
    assert!(expired.contains("expired"), "{expired}");
    assert!(store.export_job(SOURCE).unwrap().is_none(), "an expired job is kept");
    assert!(store.cursor(SOURCE, switchboard_store::EXPORT_CURSOR).unwrap().is_none());
    proxy.act_as_vendor(None);
    app.sync(&mut store, &rt, None, false, &NoProgress).unwrap();
    assert!(proxy.vendor_refused().is_empty(), "{:?}", proxy.vendor_refused());

    let members: BTreeSet<String> = members.into_iter().collect();
    assert_eq!(ids(&store, "Patient"), members);
    for kind in ["Encounter", "Condition", "Observation", "Appointment", "MedicationRequest"] {
        assert_eq!(ids(&store, kind), truth.about(kind, &members), "{kind} of the Group's members");
    }
}

#[test]
fn a_partial_cache_asks_the_server_for_others_keeps_who_is_opened_and_forgets_who_is_not_seen() {
    let rt = runtime();
    let (server, proxy, _) = vendor_server(&rt, 30, 23);
    let truth = Truth { rt: &rt, proxy: &proxy, client: client(&server.public_base) };
    let home = TestHome::new();
    let partial = |s: &mut SourceConfig| {
        s.partial = true;
        s.retention_days = 30;
    };
    let app = app_for(&home, &server.base(), partial, Arc::new(SystemClock));
    let mut store = home.store();
    app.sync(&mut store, &rt, None, false, &NoProgress).unwrap();
    let in_view: BTreeSet<String> = store.patients_in_view(SOURCE, Utc::now(), FOCUS_DAYS).unwrap().into_iter().collect();
    assert_eq!(ids(&store, "Patient"), in_view);

    // Someone not in the cache, found by name on the server, then opened: their data comes and stays.
    let everyone = truth.all("Patient");
    let (outside, patient) = everyone.iter().find(|(id, _)| !in_view.contains(*id)).expect("a patient out of view");
    let family = patient["name"][0]["family"].as_str().unwrap().to_string();
    assert!(store.search_text(&family, true, Utc::now().date_naive()).unwrap().iter().all(|h| h.banner.id != *outside));
    let hits = app.search_servers(&mut store, &rt, &family).unwrap();
    assert!(hits.iter().any(|h| h.banner.id == *outside), "the server's match is not among the results");
    assert!(app.open_patient(&mut store, SOURCE, outside).unwrap().is_some());
    app.refresh_patient(&mut store, &rt, SOURCE, outside).unwrap();
    let own = BTreeSet::from([outside.clone()]);
    assert_eq!(store.patient_resources(SOURCE, outside, "Condition").unwrap().len(), truth.about("Condition", &own).len());
    app.sync(&mut store, &rt, None, false, &NoProgress).unwrap();
    assert!(ids(&store, "Patient").contains(outside), "an opened patient left at the next sync");
    assert!(store.rows_about(SOURCE, outside).unwrap() > 1);

    // Forty days on, with nothing opened since: whoever has no open task or coming visit then leaves,
    // with every row about them.
    let later = app_for(&home, &server.base(), partial, Arc::new(Later(40)));
    let report = later.sync(&mut store, &rt, None, false, &NoProgress).unwrap();
    let kept: BTreeSet<String> = ids(&store, "Patient");
    let still_in_view: BTreeSet<String> = store.patients_in_view(SOURCE, Utc::now() + Duration::days(40), FOCUS_DAYS).unwrap().into_iter().collect();
    assert_eq!(kept, still_in_view, "the cache after retention is who is in view");
    assert!(report[0].evicted > 0, "nobody left");
    let open_tasks = truth.in_view(Utc::now() + Duration::days(40));
    assert!(open_tasks.is_subset(&kept), "a patient with an open task or a coming visit left");
    for gone in everyone.keys().filter(|p| !kept.contains(*p)) {
        assert_eq!(store.rows_about(SOURCE, gone).unwrap(), 0, "{gone} left rows behind");
    }
    assert!(!kept.contains(outside) || still_in_view.contains(outside));
    assert!(proxy.vendor_refused().is_empty(), "{:?}", proxy.vendor_refused());
}
