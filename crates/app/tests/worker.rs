//! The worker keeps one cache connection, one runtime and its clients for its life: once it has
//! started, rounds of sync and delivery read nothing from the OS keyring and open no cache. Against a
//! real Helios server and the real keyring. The counters are process-wide, so this binary holds this
//! test alone.

use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use switchboard_app::{App, AppEvent, ChangeReason, Job, Notify, Rounds, Usage, Worker};
use switchboard_core::{Config, OutboxState, SourceConfig, SystemClock};
use switchboard_outbox::kinds::Note;
use switchboard_outbox::StaffAction;
use switchboard_testkit::{demo_today, runtime, FhirServer, TestHome};

fn wait_for(reasons: &Receiver<ChangeReason>, wanted: ChangeReason, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen = 0;
    while seen < count {
        let left = deadline.saturating_duration_since(Instant::now());
        match reasons.recv_timeout(left) {
            Ok(reason) if reason == wanted => seen += 1,
            Ok(_) => {}
            Err(_) => panic!("the worker did not report {count} {wanted:?} rounds"),
        }
    }
}

#[test]
fn rounds_after_start_read_no_keyring_and_open_no_cache() {
    let server = FhirServer::start();
    let client = switchboard_testkit::client(&server.base());
    runtime().block_on(switchboard_demo::seed_server(&client, &demo_today(3, 5), &mut |_| {})).unwrap();
    let home = TestHome::new();
    let mut config = Config::default();
    config.sources.push(SourceConfig { page_size: 100, ..SourceConfig::new("ehr", server.base().parse().unwrap()) });
    let at = home.home.clone();
    let app = move || Ok(App::new(at.clone(), config.clone(), Arc::new(SystemClock)));

    let (sender, reasons) = channel();
    let sender = Mutex::new(sender);
    let notify: Notify = Arc::new(move |event| {
        if let AppEvent::DataChanged(change) = event {
            let _ = sender.lock().unwrap().send(change.reason);
        }
    });
    let worker = Worker::start_with(app.clone(), notify, |_: &App| Rounds { every: Duration::from_millis(50), sync_every: 4 });
    wait_for(&reasons, ChangeReason::Sync, 1);
    let started = Usage::now();
    assert!(started.cache_opens >= 1 && started.keyring_reads >= 2, "start-up opened the cache and read its key and the token: {started:?}");

    // A note queued from another connection (the window's) is delivered by a later round.
    let owner = app().unwrap();
    let mut window = owner.open_store().unwrap();
    let patient = window.resources_of("ehr", "Patient").unwrap().into_iter().next().unwrap().0;
    let queued = owner.queue_staff(&mut window, "ehr", StaffAction::Note(Note { patient, text: "prefers mornings".into() })).unwrap();
    worker.request(Job::Deliver);
    wait_for(&reasons, ChangeReason::Sync, 5);
    assert_eq!(window.outbox_row(&queued.id).unwrap().unwrap().state, OutboxState::Sent);

    let window_opened = Usage { keyring_reads: started.keyring_reads + 1, cache_opens: started.cache_opens + 1 };
    assert_eq!(Usage::now(), window_opened, "five syncs and their delivery rounds reopened nothing beyond the test's own connection");

    // A reload reads the config and the token again, and still keeps the cache open.
    worker.request(Job::Reload);
    wait_for(&reasons, ChangeReason::Sync, 1);
    let reloaded = Usage::now();
    assert_eq!((reloaded.keyring_reads, reloaded.cache_opens), (window_opened.keyring_reads + 1, window_opened.cache_opens));
}
