//! The shared-work source under many workstations' concurrent delivery, against a FHIR server started
//! outside the bench: `scripts/bench-scale-out.sh` runs Helios on PostgreSQL and points the bench at
//! it. Not part of CI. Each workstation has its own encrypted cache and outbox and, in rounds, queues
//! what a busy desk does (a note, a new task, a claim on one of the same few ready tasks, so that
//! workstations race for the same task), delivers, and now and then syncs. Prints the actions delivered per second
//! and the conflicts per second the server sustains, with the delivery round's latency.
//!
//! SCALE_OUT_FHIR: the server's base URL (without it the bench says how to start one and stops).
//! SCALE_OUT_WORKSTATIONS (default 10), SCALE_OUT_SECONDS (default 60), SCALE_OUT_PATIENTS (default 200).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};
use switchboard_app::App;
use switchboard_bench::percentile;
use switchboard_core::config::{parse_fhir_url, SourceRole};
use switchboard_core::{Config, Home, SourceConfig, SystemClock, TaskPriority};
use switchboard_outbox::kinds::{Note, TaskClaim, TaskCreate};
use switchboard_outbox::StaffAction;
use switchboard_store::Store;
use switchboard_sync::NoProgress;

const SOURCE: &str = "work";
/// Claims go to one of this many ready tasks (the first by id): few enough that workstations collide.
const HOT_TASKS: usize = 5;
/// A workstation syncs after this many delivery rounds (a full sync of every type takes seconds).
const SYNC_EVERY: usize = 10;

#[derive(Default)]
struct Totals {
    sent: AtomicU64,
    conflicts: AtomicU64,
    failed: AtomicU64,
    refused: AtomicU64,
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let Ok(base) = std::env::var("SCALE_OUT_FHIR") else {
        println!("scale-out: SCALE_OUT_FHIR is not set; scripts/bench-scale-out.sh starts Helios on PostgreSQL and runs this bench");
        return;
    };
    let workstations = env_or("SCALE_OUT_WORKSTATIONS", 10) as usize;
    let seconds = env_or("SCALE_OUT_SECONDS", 60);
    let patients = env_or("SCALE_OUT_PATIENTS", 200) as u32;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let options = switchboard_testkit::demo_today(patients, 1);
    let seeded = runtime.block_on(switchboard_demo::seed_server(&switchboard_testkit::client(&base), &options, &mut |_| {})).unwrap();
    println!("== scale-out: {workstations} workstations delivering to {base} for {seconds} s ({seeded} demo resources seeded)");

    let totals = Arc::new(Totals::default());
    let start = Arc::new(Barrier::new(workstations));
    let rounds: Vec<_> = (0..workstations)
        .map(|n| {
            let (base, totals, start) = (base.clone(), totals.clone(), start.clone());
            std::thread::spawn(move || workstation(n, &base, seconds, &totals, &start))
        })
        .collect();
    let mut latencies: Vec<Duration> = rounds.into_iter().flat_map(|r| r.join().unwrap()).collect();
    let per_second = |n: &AtomicU64| n.load(Ordering::Relaxed) as f64 / seconds as f64;
    println!(
        "delivered         {:>8.1} actions/s   ({} sent, {} failed, {} refused before sending as already claimed)",
        per_second(&totals.sent),
        totals.sent.load(Ordering::Relaxed),
        totals.failed.load(Ordering::Relaxed),
        totals.refused.load(Ordering::Relaxed)
    );
    println!(
        "conflicts         {:>8.1} /s          ({} claims lost to another workstation)",
        per_second(&totals.conflicts),
        totals.conflicts.load(Ordering::Relaxed)
    );
    println!(
        "delivery round    p50 {:>7.1} ms   p99 {:>7.1} ms   ({} rounds)",
        percentile(&mut latencies, 0.5),
        percentile(&mut latencies, 0.99),
        latencies.len()
    );
}

/// One workstation's session: rounds of queue, deliver, sync until the time is up. Returns each
/// delivery round's duration.
fn workstation(n: usize, base: &str, seconds: u64, totals: &Totals, start: &Barrier) -> Vec<Duration> {
    let dir = tempfile::tempdir().unwrap();
    let source = SourceConfig { roles: vec![SourceRole::Patients, SourceRole::Work], ..SourceConfig::new(SOURCE, parse_fhir_url(base).unwrap()) };
    let app = App::new(Home::under(dir.path()), Config { sources: vec![source], ..Config::default() }, Arc::new(SystemClock));
    let key: [u8; 32] = std::array::from_fn(|i| (i + n) as u8);
    let mut store = Store::open_with_key(&dir.path().join("cache.db"), &key, "US").unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    app.sync(&mut store, &runtime, None, false, &NoProgress).unwrap();
    let patients = store.ids_of(SOURCE, "Patient").unwrap();
    let mut rng = fastrand::Rng::with_seed(n as u64);
    let mut latencies = Vec::new();
    start.wait();
    let until = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < until {
        let patient = patients[rng.usize(..patients.len())].clone();
        let note = StaffAction::Note(Note { patient: patient.clone(), text: format!("called back, round {}", latencies.len()) });
        let reason = "Call back about results".to_string();
        let task = StaffAction::TaskCreate(TaskCreate { patient, reason, priority: TaskPriority::Routine, due: None, owner: None });
        app.queue_staff(&mut store, SOURCE, note).unwrap();
        app.queue_staff(&mut store, SOURCE, task).unwrap();
        let ready = hot_tasks(&store);
        if !ready.is_empty() {
            let claim = TaskClaim { task: ready[rng.usize(..ready.len())].clone(), owner: format!("Practitioner/nurse-{n}") };
            if app.queue_staff(&mut store, SOURCE, StaffAction::TaskClaim(claim)).is_err() {
                totals.refused.fetch_add(1, Ordering::Relaxed);
            }
        }
        let started = Instant::now();
        for round in app.deliver(&mut store, &runtime).unwrap() {
            totals.sent.fetch_add(round.actions.sent.into(), Ordering::Relaxed);
            totals.conflicts.fetch_add(round.actions.conflicts.into(), Ordering::Relaxed);
            totals.failed.fetch_add(round.actions.failed.into(), Ordering::Relaxed);
        }
        latencies.push(started.elapsed());
        // Other workstations' tasks and claims arrive by sync; a stale cache is where conflicts come from.
        if latencies.len() % SYNC_EVERY == 0 {
            app.sync(&mut store, &runtime, None, false, &NoProgress).unwrap();
        }
    }
    latencies
}

/// The first few tasks by id that nobody owns yet: every workstation picks among the same few.
fn hot_tasks(store: &Store) -> Vec<String> {
    let mut ready: Vec<String> = store
        .resources_of(SOURCE, "Task")
        .unwrap()
        .into_iter()
        .filter(|(_, json)| {
            let task: serde_json::Value = serde_json::from_str(json).unwrap();
            task["owner"].is_null() && (task["status"] == "requested" || task["status"] == "ready")
        })
        .map(|(id, _)| id)
        .collect();
    ready.sort();
    ready.truncate(HOT_TASKS);
    ready
}
