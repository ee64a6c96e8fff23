//! Sync under failure: hostile responses, a server killed mid-sync, and the sync process killed mid-sync.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use switchboard_core::config::parse_fhir_url;
use switchboard_core::SystemClock;
use switchboard_demo::{seed_server, DemoOptions};
use switchboard_fhir::{ClientOptions, FhirClient, RetryPolicy};
use switchboard_sync::{sync_source, NoProgress, Progress, SyncOptions};
use switchboard_testkit::fault_proxy::{Fault, FaultProxy};
use switchboard_testkit::{assert_cache_equals_server, cached_resources, client, demo_today, free_port, runtime, FhirServer, TestHome};

const SOURCE: &str = "clinic";

fn demo(patients: u32) -> DemoOptions {
    demo_today(patients, 11)
}

/// A real server whose links point at a fault-injecting proxy in front of it.
fn behind_proxy(rt: &tokio::runtime::Runtime) -> (FhirServer, FaultProxy) {
    let proxy_port = free_port();
    let server = FhirServer::start_with_public_base(free_port(), format!("http://127.0.0.1:{proxy_port}"));
    let proxy = rt.block_on(FaultProxy::start(proxy_port, server.port));
    (server, proxy)
}

#[test]
fn hostile_responses_give_clear_errors_and_leave_cursor_and_cache_intact() {
    let rt = runtime();
    let (server, proxy) = behind_proxy(&rt);
    let home = TestHome::new();
    let client = client(&server.base());
    let options = SyncOptions { page_size: 10, ..SyncOptions::default() };
    rt.block_on(async {
        seed_server(&client, &demo(8), &mut |_| {}).await.unwrap();
        let mut store = home.store();
        sync_source(&mut store, &client, SOURCE, &options, &SystemClock, &NoProgress).await.unwrap();
        let cases = [
            (Fault::HtmlPage, "HTML page \"502 Bad Gateway\""),
            (Fault::InvalidJson, "invalid JSON"),
            (Fault::Truncated, "truncated body"),
            (Fault::OperationOutcome, "Search is temporarily restricted for this client"),
            (Fault::RateLimited, "rate-limiting"),
        ];
        for (round, (fault, words)) in cases.into_iter().enumerate() {
            // Another client changes a lab result, then the second page of Observations turns hostile.
            let before: BTreeMap<String, Value> = cached_resources(&store, SOURCE, "Observation");
            let (id, mut changed) = before.iter().nth(round).map(|(k, v)| (k.clone(), v.clone())).unwrap();
            changed["valueQuantity"]["value"] = json!(1000 + round);
            client.update(&changed, None).await.unwrap();
            let cursor = store.cursor(SOURCE, "Observation").unwrap();
            proxy.inject(&["Observation?", "_cursor="], fault, None);

            let error = sync_source(&mut store, &client, SOURCE, &options, &SystemClock, &NoProgress).await.unwrap_err();
            let message = error.to_string();
            assert!(message.contains(words), "{fault:?}: {message}");
            assert!(message.contains("Observation"), "{fault:?}: {message}");
            assert_eq!(store.cursor(SOURCE, "Observation").unwrap(), cursor, "{fault:?} moved the cursor");
            let after = cached_resources(&store, SOURCE, "Observation");
            assert_eq!(after.len(), before.len(), "{fault:?} lost or added resources");
            for (key, value) in &after {
                // A page written before the fault may already hold the new version; nothing else changes.
                assert!(value == &before[key] || (key == &id && value["valueQuantity"]["value"] == json!(1000 + round)), "{fault:?}: {key}");
            }
            assert_eq!(store.source_statuses().unwrap()[0].last_error.as_deref(), Some(message.as_str()));

            proxy.clear();
            sync_source(&mut store, &client, SOURCE, &options, &SystemClock, &NoProgress).await.unwrap();
            assert_eq!(cached_resources(&store, SOURCE, "Observation")[&id]["valueQuantity"]["value"], json!(1000 + round));
        }
        assert!(proxy.injected() >= 5);
        assert_cache_equals_server(&client, &store, SOURCE).await;
    });
}

#[test]
fn a_rate_limit_with_retry_after_is_waited_out() {
    let rt = runtime();
    let (server, proxy) = behind_proxy(&rt);
    let home = TestHome::new();
    let client = client(&server.base());
    rt.block_on(async {
        seed_server(&client, &demo(3), &mut |_| {}).await.unwrap();
        proxy.inject(&["Patient?"], Fault::RateLimited, Some(1));
        let mut store = home.store();
        let started = std::time::Instant::now();
        sync_source(&mut store, &client, SOURCE, &SyncOptions::default(), &SystemClock, &NoProgress).await.unwrap();
        assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After: 1 was not honoured");
        assert_eq!(proxy.injected(), 1);
        // Every request offers gzip (the server behind the proxy answers compressed when asked directly).
        assert!(proxy.accept_encodings().iter().all(|e| e.contains("gzip")), "{:?}", proxy.accept_encodings());
        assert_cache_equals_server(&client, &store, SOURCE).await;
    });
}

#[test]
fn a_server_that_stops_answering_times_out_in_words() {
    let rt = runtime();
    let (server, proxy) = behind_proxy(&rt);
    let home = TestHome::new();
    let options = ClientOptions {
        timeout: Duration::from_secs(1),
        retry: RetryPolicy { max_attempts: 2, base_delay: Duration::from_millis(10), ..RetryPolicy::default() },
        ..ClientOptions::default()
    };
    let client = FhirClient::new(parse_fhir_url(&server.base()).unwrap(), options).unwrap();
    proxy.inject(&["Patient?"], Fault::Stall, None);
    rt.block_on(async {
        let mut store = home.store();
        let started = std::time::Instant::now();
        let error = sync_source(&mut store, &client, SOURCE, &SyncOptions::default(), &SystemClock, &NoProgress).await.unwrap_err();
        assert!(error.to_string().contains("did not answer within 1 s"), "{error}");
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(store.cursor(SOURCE, "Patient").unwrap(), None);
    });
}

/// Counts written resources, so a test can strike mid-sync.
#[derive(Default)]
struct Counter(AtomicU64);

impl Progress for Counter {
    fn advanced(&self, _resource_type: &str, count: u64) {
        self.0.fetch_add(count, Ordering::SeqCst);
    }
}

#[test]
fn a_server_killed_mid_sync_leaves_nothing_missing_or_duplicated_after_resuming() {
    let rt = runtime();
    let mut server = FhirServer::start();
    let home = TestHome::new();
    let client = client(&server.base());
    let options = SyncOptions { page_size: 10, ..SyncOptions::default() };
    rt.block_on(async {
        seed_server(&client, &demo(40), &mut |_| {}).await.unwrap();
        let mut store = home.store();
        let counter = Counter::default();
        let syncing = sync_source(&mut store, &client, SOURCE, &options, &SystemClock, &counter);
        let killer = async {
            while counter.0.load(Ordering::SeqCst) < 300 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            server.kill();
        };
        let (result, ()) = tokio::join!(syncing, killer);
        let error = result.unwrap_err();
        assert!(error.to_string().contains("cannot reach the FHIR server"), "{error}");
        let partial = store.counts().unwrap().iter().map(|(_, n)| n).sum::<i64>();
        assert!(partial >= 300, "pages written before the kill stay: {partial}");

        server.restart();
        sync_source(&mut store, &client, SOURCE, &options, &SystemClock, &NoProgress).await.unwrap();
        assert_cache_equals_server(&client, &store, SOURCE).await;
    });
}

#[test]
fn a_sync_process_killed_mid_sync_resumes_without_loss() {
    let rt = runtime();
    let server = FhirServer::start();
    let home = TestHome::new();
    let client = client(&server.base());
    rt.block_on(seed_server(&client, &demo(60), &mut |_| {})).unwrap();
    let switchboard = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
        command.args(args).env("SWITCHBOARD_HOME", home.path());
        command
    };
    let added = switchboard(&["source", "add", SOURCE, "--fhir", &server.base(), "--page-size", "10"]).output().unwrap();
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));

    let mut child = switchboard(&["sync"]).spawn().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        assert!(child.try_wait().unwrap().is_none(), "the sync finished before it could be killed");
        let written: i64 = home.store().counts().unwrap().iter().map(|(_, n)| n).sum();
        if written > 400 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the sync made no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let resumed = switchboard(&["sync"]).output().unwrap();
    assert!(resumed.status.success(), "{}", String::from_utf8_lossy(&resumed.stderr));
    rt.block_on(assert_cache_equals_server(&client, &home.store(), SOURCE));
}
