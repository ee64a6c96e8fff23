//! The live demo clinic against the real Helios it starts: seeded once, shared by a second
//! workstation, and the simulator's opening making the loop visible (a critical result becomes one
//! stat callback task on both workstations, a normal result's reminder is delivered, calls ring the
//! real call listener, a no-show gets a recall task, a cancellation frees its slot).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use switchboard_app::live_demo::{simulate, DemoServer};
use switchboard_app::{call_token, App};
use switchboard_calls::{CallState, Inbound, Listener};
use switchboard_core::{Config, OutboxState, SystemClock};
use switchboard_store::{Store, WorklistFilter};
use switchboard_testkit::{free_port, runtime, TestHome};

const PATIENTS: u32 = 60;

fn app_on(home: &TestHome, server: &DemoServer) -> App {
    App::new(home.home.clone(), Config::default(), Arc::new(SystemClock)).with_live_demo(Some(&server.base))
}

/// What the worker does each round: sync, the rules (timed ones too), delivery.
fn round(app: &App, store: &mut Store) {
    let runtime = runtime();
    app.sync(store, &runtime, None, false, &switchboard_sync::NoProgress).unwrap();
    app.run_rules(store, true, chrono::Utc::now()).unwrap();
    app.deliver(store, &runtime).unwrap();
}

/// The open tasks of a pool, each as its description and why, filtered by priority when given.
fn tasks(store: &Store, pool: &str, priority: Option<&str>) -> Vec<String> {
    let filter = WorklistFilter { owner: Some(pool.into()), ..Default::default() };
    let items = store.worklist(&filter, chrono::Utc::now(), usize::MAX).unwrap().items;
    items
        .iter()
        .filter(|i| priority.is_none_or(|p| i.task.priority.as_deref() == Some(p)))
        .map(|i| format!("{} / {}", i.task.description.as_deref().unwrap_or_default(), i.task.why.as_deref().unwrap_or_default()))
        .collect()
}

#[test]
fn the_live_demo_plays_the_loop_for_two_workstations() {
    let port = free_port();
    let (a, b) = (TestHome::new(), TestHome::new());
    let today = chrono::Utc::now().date_naive();
    let started = std::time::Instant::now();
    let server = DemoServer::start(&a.home, port, PATIENTS, today).unwrap();
    println!("demo server started and seeded ({PATIENTS} patients) in {:.1} s", started.elapsed().as_secs_f64());
    assert!(server.started_here());
    // A second window finds the first one's server instead of starting another.
    let found = DemoServer::start(&b.home, port, PATIENTS, today).unwrap();
    assert!(!found.started_here());
    assert_eq!(found.clinic.today, today);

    let (app_a, app_b) = (app_on(&a, &server), app_on(&b, &found));
    let (mut store_a, mut store_b) = (a.store(), b.store());
    round(&app_a, &mut store_a);
    round(&app_b, &mut store_b);
    let before = tasks(&store_a, "Nurse pool", Some("stat"));
    let recalls_before = tasks(&store_a, "Front desk", None).iter().filter(|t| t.contains("Missed appointment")).count();

    // Workstation A's call listener, with A's token, hears the simulator's calls.
    let (calls, heard) = mpsc::channel();
    let listener = Listener::start(0, call_token(&a.home, false).unwrap(), move |inbound| {
        if let Inbound::Call { event, .. } = inbound {
            let _ = calls.send(event);
        }
    })
    .unwrap();
    let played = AtomicUsize::new(0);
    simulate(&app_a, &server, 1000.0, listener.port, &|| played.fetch_add(1, Ordering::SeqCst) < 6).unwrap();

    let rung: Vec<_> = heard.try_iter().collect();
    assert_eq!(rung.len(), 2, "the opening rings twice: {rung:?}");
    assert!(rung.iter().all(|c| c.state == CallState::Ringing));
    let known = store_a.callers(&rung[0].from, today).unwrap().unwrap();
    assert_eq!(known.len(), 1, "the first call is from one patient's own number");
    assert!(store_a.callers(&rung[1].from, today).unwrap().unwrap().is_empty(), "the second is from an unknown number");

    round(&app_a, &mut store_a);
    round(&app_b, &mut store_b);
    let stat_a = tasks(&store_a, "Nurse pool", Some("stat"));
    let simulated: Vec<_> = stat_a.iter().filter(|t| !before.contains(t) && t.contains("Observation/sim-")).collect();
    assert_eq!(simulated.len(), 1, "one stat task for the simulated critical result: {stat_a:?}");
    assert!(simulated[0].contains("critical Potassium"), "{simulated:?}");
    assert_eq!(tasks(&store_b, "Nurse pool", Some("stat")), stat_a, "the second workstation sees the same worklist");

    let outbox = store_a.outbox().unwrap();
    assert!(outbox.iter().any(|r| r.kind == "rule_reminder" && r.state == OutboxState::Sent), "a reminder went out");
    let recalls = tasks(&store_a, "Front desk", None).iter().filter(|t| t.contains("Missed appointment")).count();
    assert_eq!(recalls, recalls_before + 1, "the no-show got a recall task");

    let runtime = runtime();
    let client = server.client().unwrap();
    let cancelled =
        runtime.block_on(client.get_json(&client.search_url("Appointment", &[("status", "cancelled"), ("date", &format!("gt{today}"))]).unwrap())).unwrap();
    let slot = cancelled.pointer("/entry/0/resource/slot/0/reference").and_then(|r| r.as_str()).expect("an upcoming visit was cancelled");
    let slot = runtime.block_on(client.read("Slot", slot.trim_start_matches("Slot/"))).unwrap();
    assert_eq!(slot["status"], "free", "the cancelled visit's slot is free again");
}
