//! Prints Switchboard's performance figures (no pass/fail; the targets are in the README).
//!
//! BENCH_PATIENTS (default "10000,100000"): clinic sizes for ingest, view and search.
//! BENCH_SYNC_PATIENTS (default 1000): clinic size for sync against download, on a local Helios server.

use chrono::{SecondsFormat, TimeZone, Utc};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use switchboard_bench::{bench_today, percentile};
use switchboard_core::{Actor, AuditAction, SystemClock, TaskPriority};
use switchboard_demo::{generate, seed_server, DemoOptions};
use switchboard_fhir::FhirClient;
use switchboard_outbox::kinds::TaskCreate;
use switchboard_outbox::{drain, queue, Action};
use switchboard_store::{AuditEntry, Store};
use switchboard_sync::{sync_source, NoProgress, SyncOptions};
use switchboard_testkit::{client, runtime, FhirServer};

const SAMPLES: usize = 2_000;

fn main() {
    let sizes = std::env::var("BENCH_PATIENTS").unwrap_or_else(|_| "10000,100000".into());
    for size in sizes.split(',').filter_map(|s| s.trim().parse::<u32>().ok()).filter(|&n| n > 0) {
        cache_figures(size);
    }
    let changes = std::env::var("BENCH_RULE_CHANGES").ok().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    if changes > 0 {
        rules_figures(changes);
    }
    let sync_patients = std::env::var("BENCH_SYNC_PATIENTS").ok().and_then(|s| s.parse().ok()).unwrap_or(1000);
    if sync_patients > 0 {
        sync_figures(sync_patients);
    }
}

fn cache_figures(patients: u32) {
    let dir = tempfile::tempdir().unwrap();
    let key: [u8; 32] = std::array::from_fn(|i| i as u8 ^ 0x5a);
    let mut store = Store::open_with_key(&dir.path().join("cache.db"), &key, "US").unwrap();
    let now = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
    let mut resources = Vec::new();
    let mut people = Vec::new();
    generate(&DemoOptions { patients, seed: 1, today: bench_today() }, &mut |mut r: Value| {
        r["meta"] = json!({"versionId": "1", "lastUpdated": now});
        if r["resourceType"] == "Patient" {
            people.push(r.clone());
        }
        resources.push(r.to_string());
    });

    let started = Instant::now();
    for batch in resources.chunks(5_000) {
        let mut writer = store.writer(&now).unwrap();
        for raw in batch {
            writer.upsert("demo", raw).unwrap();
        }
        writer.commit().unwrap();
    }
    let ingest = started.elapsed();

    let mut rng = fastrand::Rng::with_seed(9);
    let view_now = Utc.from_utc_datetime(&bench_today().and_hms_opt(12, 0, 0).unwrap());
    let mut views = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let id = people[rng.usize(..people.len())]["id"].as_str().unwrap().to_string();
        let started = Instant::now();
        let view = store.patient_view("demo", &id, view_now).unwrap().unwrap();
        views.push(started.elapsed());
        assert_eq!(view.patient.banner.id, id);
    }

    let screens = schedule_and_worklist(&store, view_now);
    let audit = audit_figures(&mut store, &people, view_now, &mut rng);

    let mut searches = Vec::with_capacity(SAMPLES);
    let mut by_kind: Vec<Vec<Duration>> = vec![Vec::new(); 5];
    for i in 0..SAMPLES {
        let person = &people[rng.usize(..people.len())];
        let family = person["name"][0]["family"].as_str().unwrap();
        let given = person["name"][0]["given"][0].as_str().unwrap();
        let born = person["birthDate"].as_str().unwrap();
        let query = match i % 5 {
            0 => family.chars().take(3).collect::<String>(),
            1 => format!("{given} {family}"),
            2 => person["telecom"][0]["value"].as_str().unwrap().to_string(),
            3 => format!("{}/{}/{}", &born[5..7], &born[8..10], &born[..4]),
            _ => person["identifier"][0]["value"].as_str().unwrap().to_string(),
        };
        let started = Instant::now();
        let hits = store.search_text(&query, true, bench_today()).unwrap();
        searches.push(started.elapsed());
        by_kind[i % 5].push(started.elapsed());
        assert!(!hits.is_empty(), "no hit for a query of kind {}", i % 5);
    }

    println!("== cache with {patients} demo patients ({} resources)", resources.len());
    println!("ingest            {:>10.0} resources/s ({:.1} s)", resources.len() as f64 / ingest.as_secs_f64(), ingest.as_secs_f64());
    println!("workspace view    p50 {:>7.3} ms   p99 {:>7.3} ms   ({SAMPLES} patients)", percentile(&mut views, 0.5), percentile(&mut views, 0.99));
    println!(
        "patient search    p50 {:>7.3} ms   p99 {:>7.3} ms   ({SAMPLES} queries: name prefix, full name, phone, DOB, MRN)",
        percentile(&mut searches, 0.5),
        percentile(&mut searches, 0.99)
    );
    println!("{screens}");
    println!("{audit}");
    let kinds = ["name prefix", "full name", "phone", "DOB", "MRN"];
    let per_kind: Vec<String> = kinds.iter().zip(by_kind.iter_mut()).map(|(k, d)| format!("{k} {:.3}", percentile(d, 0.99))).collect();
    println!("  search p99 by kind (ms): {}", per_kind.join(", "));
}

/// The front desk's schedule of a day (tomorrow: the demo's slots start then) and the nurses' worklist,
/// each read 20 times, the first with the cache just written.
fn schedule_and_worklist(store: &Store, now: chrono::DateTime<Utc>) -> String {
    const READS: usize = 20;
    store.record_sync_start("demo", "demo", &now.to_rfc3339()).unwrap();
    let day = (now.date_naive() + chrono::Duration::days(1)).and_hms_opt(0, 0, 0).unwrap().and_utc();
    let (mut days, mut worklists) = (Vec::with_capacity(READS), Vec::with_capacity(READS));
    for _ in 0..READS {
        let started = Instant::now();
        let columns = store.schedule("demo", day, day + chrono::Duration::days(1)).unwrap();
        days.push(started.elapsed());
        assert!(!columns.is_empty());
        let started = Instant::now();
        let worklist = store.worklist(&Default::default(), now, 200).unwrap();
        worklists.push(started.elapsed());
        assert!(worklist.total > 0);
    }
    format!(
        "a day's schedule  p50 {:>7.3} ms   max {:>7.3} ms   ({READS} reads)\nworklist          p50 {:>7.3} ms   max {:>7.3} ms   ({READS} reads, the 200 most pressing open tasks)",
        percentile(&mut days, 0.5),
        percentile(&mut days, 1.0),
        percentile(&mut worklists, 0.5),
        percentile(&mut worklists, 1.0)
    )
}

/// What auditing adds to a patient open: audited opens (the view, then the `patient_opened` row and
/// the audit row in one transaction) against plain views of other random patients, on a log that
/// already holds a busy year's worth of events for the repeat check's index to search.
fn audit_figures(store: &mut Store, people: &[Value], now: chrono::DateTime<Utc>, rng: &mut fastrand::Rng) -> String {
    const EARLIER_EVENTS: usize = 200_000;
    let staff: Vec<Actor> =
        (0..50).map(|n| Actor { practitioner: Some(format!("Practitioner/staff-{n}")), name: format!("Staff {n}"), workstation: "bench".into() }).collect();
    let mut writer = store.writer(&now.to_rfc3339()).unwrap();
    for n in 0..EARLIER_EVENTS {
        let patient = people[n % people.len()]["id"].as_str().unwrap().to_string();
        let entry = AuditEntry { action: AuditAction::View, source: "demo".into(), patient: Some(patient), detail: "workspace".into() };
        writer.audit(&staff[n % staff.len()], &entry, now - chrono::Duration::minutes((EARLIER_EVENTS - n) as i64)).unwrap();
    }
    writer.commit().unwrap();
    store.leave_checkpoints_to_others().unwrap();
    // Per patient: the view warm, then the audited open of the same patient; the difference is what
    // the audit's transaction adds (the view's own cost is the same in both).
    let (mut opens, mut added) = (Vec::with_capacity(SAMPLES), Vec::with_capacity(SAMPLES));
    for _ in 0..SAMPLES {
        let id = people[rng.usize(..people.len())]["id"].as_str().unwrap();
        store.patient_view("demo", id, now).unwrap().unwrap();
        let started = Instant::now();
        store.patient_view("demo", id, now).unwrap().unwrap();
        let view = started.elapsed();
        let started = Instant::now();
        store.open_patient(&staff[rng.usize(..staff.len())], "demo", id, now).unwrap().unwrap();
        let open = started.elapsed();
        opens.push(open);
        added.push(open.saturating_sub(view));
    }
    format!(
        "audited open      p50 {:>7.3} ms   p99 {:>7.3} ms   (the audit adds p50 {:.3} ms, p99 {:.3} ms; {EARLIER_EVENTS} earlier events in the log)",
        percentile(&mut opens, 0.5),
        percentile(&mut opens, 0.99),
        percentile(&mut added, 0.5),
        percentile(&mut added, 0.99)
    )
}

/// A burst of `changes` resources arriving after the first sync (so every one is evaluated), then one
/// rules pass over the change feed: events per second, with what the rules queued.
fn rules_figures(changes: usize) {
    let dir = tempfile::tempdir().unwrap();
    let key = [3u8; 32];
    let mut store = Store::open_with_key(&dir.path().join("cache.db"), &key, "US").unwrap();
    let now = Utc::now();
    let stamp = now.to_rfc3339_opts(SecondsFormat::Millis, true);
    let mut resources = Vec::with_capacity(changes);
    let patients = (changes / 20).max(1) as u32;
    generate(&DemoOptions { patients, seed: 2, today: bench_today() }, &mut |mut r: Value| {
        if resources.len() < changes {
            r["meta"] = json!({"versionId": "1", "lastUpdated": stamp});
            resources.push(r.to_string());
        }
    });
    for batch in resources.chunks(5_000) {
        let mut writer = store.writer(&stamp).unwrap();
        for raw in batch {
            writer.upsert("bench", raw).unwrap();
        }
        writer.commit().unwrap();
    }
    let rules = switchboard_rules::parse_rules("built-in", switchboard_rules::BUILTIN, switchboard_rules::Origin::Builtin).unwrap();
    let started = Instant::now();
    let report = switchboard_rules::on_changes(&mut store, &rules, now).unwrap();
    let elapsed = started.elapsed();
    println!("== rules over a burst of {} changes ({patients} demo patients' resources)", report.changes);
    println!(
        "rules             {:>10.0} events/s ({:.2} s; queued {} tasks, {} reminders)",
        report.changes as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64(),
        report.tasks,
        report.reminders
    );
}

/// Walks every page of every synced type, parsing only the Bundle: the floor a sync can reach.
async fn download_only(client: &FhirClient, page_size: u32) -> (Duration, u64) {
    let started = Instant::now();
    let mut resources = 0;
    let count = page_size.to_string();
    for resource_type in switchboard_core::resource_types::SYNCED {
        let mut params: Vec<(&str, &str)> = switchboard_core::resource_types::sync_filter(resource_type).to_vec();
        params.push(("_count", &count));
        let mut next = Some(client.search_url(resource_type, &params).unwrap());
        while let Some(url) = next.take() {
            let page = client.get_page(&url).await.unwrap();
            resources += page.resources.len() as u64;
            next = page.next;
        }
    }
    (started.elapsed(), resources)
}

/// The window reads the cache on its own connection while the background worker syncs: opens random
/// patients' workspaces on a second connection for the whole of a fresh full sync.
async fn responsiveness_during_sync(client: &FhirClient, patients: u32, page_size: u32) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.db");
    let key = [9u8; 32];
    let mut store = Store::open_with_key(&path, &key, "US").unwrap();
    let syncing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let reader = {
        let (path, syncing) = (path.clone(), syncing.clone());
        std::thread::spawn(move || {
            let window = Store::open_with_key(&path, &key, "US").unwrap();
            let mut rng = fastrand::Rng::with_seed(3);
            let (mut samples, mut found) = (Vec::new(), 0);
            while syncing.load(std::sync::atomic::Ordering::Relaxed) {
                let id = format!("pat-{:06}", rng.u32(1..=patients));
                let started = Instant::now();
                found += usize::from(window.patient_view("bench", &id, Utc::now()).unwrap().is_some());
                samples.push(started.elapsed());
                std::thread::sleep(Duration::from_millis(2));
            }
            (samples, found)
        })
    };
    let options = SyncOptions { page_size, ..SyncOptions::default() };
    sync_source(&mut store, client, "bench", &options, &SystemClock, &NoProgress).await.unwrap();
    syncing.store(false, std::sync::atomic::Ordering::Relaxed);
    let (mut samples, found) = reader.join().unwrap();
    let n = samples.len();
    println!(
        "view during sync  p50 {:>7.3} ms   p99 {:>7.3} ms   max {:>7.3} ms   ({n} workspace reads on the window's connection, {found} found)",
        percentile(&mut samples, 0.5),
        percentile(&mut samples, 0.99),
        percentile(&mut samples, 1.0)
    );
}

fn sync_figures(patients: u32) {
    let server = FhirServer::start();
    let client = client(&server.base());
    let rt = runtime();
    rt.block_on(async {
        seed_server(&client, &DemoOptions { patients, seed: 1, today: bench_today() }, &mut |_| {}).await.unwrap();
        let page_size = 200;
        let (first_download, resources) = download_only(&client, page_size).await;
        let dir = tempfile::tempdir().unwrap();
        let key = [7u8; 32];
        let mut store = Store::open_with_key(&dir.path().join("cache.db"), &key, "US").unwrap();
        let options = SyncOptions { page_size, ..SyncOptions::default() };
        let started = Instant::now();
        sync_source(&mut store, &client, "bench", &options, &SystemClock, &NoProgress).await.unwrap();
        let sync = started.elapsed();
        let (second_download, _) = download_only(&client, page_size).await;
        let download = (first_download + second_download) / 2;
        println!("== full sync of {patients} demo patients ({resources} resources) from a local Helios server");
        println!(
            "download only     {:>7.2} s (mean of {:.2} s and {:.2} s)",
            download.as_secs_f64(),
            first_download.as_secs_f64(),
            second_download.as_secs_f64()
        );
        println!("full sync         {:>7.2} s   = {:.2} x download", sync.as_secs_f64(), sync.as_secs_f64() / download.as_secs_f64());
        responsiveness_during_sync(&client, patients, page_size).await;

        // Outbox delivery: conditional creates of callback tasks, one after another.
        let actions = 300;
        let nurse = Actor::at_workstation("Bench Nurse");
        for n in 0..actions {
            let patient = format!("pat-{:06}", n % patients + 1);
            let action = Action::TaskCreate(TaskCreate { patient, reason: format!("bench {n}"), priority: TaskPriority::Routine, due: None, owner: None });
            queue(&mut store, "bench", &action, &nurse, Utc::now()).unwrap();
        }
        let started = Instant::now();
        let report = drain(&mut store, &client, "bench", &SystemClock).await.unwrap();
        let elapsed = started.elapsed();
        assert_eq!(report.sent, actions);
        println!("== outbox: {actions} task creates delivered to the local Helios server, each with its Provenance");
        println!("delivery          {:>7.1} actions/s ({:.2} s)", f64::from(actions) / elapsed.as_secs_f64(), elapsed.as_secs_f64());
    });
}
