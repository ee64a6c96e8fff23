//! Hostile servers and settings: a paging loop, types the search did not ask for, a redirect to
//! another origin, huge, endless and gzip-bomb bodies, and a token over plain http://. Each sync runs
//! as the real CLI under GNU time, so its peak memory is measured.

use std::process::{Command, Output};
use switchboard_testkit::hostile::{Hostile, HostileServer};
use switchboard_testkit::TestHome;

/// Peak memory of a sync against any hostile server stays under this.
const PEAK_LIMIT_KB: u64 = 300 * 1024;

fn switchboard(home: &TestHome, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard")).args(args).env("SWITCHBOARD_HOME", home.path()).output().unwrap()
}

/// `switchboard sync` against `base`: its output and its peak resident memory in KB.
fn sync_against(home: &TestHome, base: &str) -> (Output, u64) {
    let added = switchboard(home, &["source", "add", "ehr", "--fhir", base]);
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let output = Command::new("/usr/bin/time")
        .args(["-f", "peak-kb %M", env!("CARGO_BIN_EXE_switchboard"), "sync"])
        .env("SWITCHBOARD_HOME", home.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let peak = stderr.lines().rev().find_map(|l| l.strip_prefix("peak-kb ")).and_then(|n| n.trim().parse().ok()).expect("GNU time's figure");
    println!("{base}: peak {} MB", peak / 1024);
    (output, peak)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_paging_loop_stops_with_words_at_once() {
    let home = TestHome::new();
    let server = HostileServer::start(Hostile::PagingLoop);
    let started = std::time::Instant::now();
    let (output, _) = sync_against(&home, &server.base());
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert!(stderr(&output).contains("paging loop"), "{}", stderr(&output));
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    let status = home.store().source_statuses().unwrap();
    assert!(status[0].last_error.as_deref().unwrap().contains("paging loop"));
}

#[test]
fn entries_of_types_the_search_did_not_ask_for_are_ignored_and_named() {
    let home = TestHome::new();
    let server = HostileServer::start(Hostile::WrongTypes);
    let (output, _) = sync_against(&home, &server.base());
    assert!(output.status.success(), "{}", stderr(&output));
    let store = home.store();
    assert_eq!(store.resources_of("ehr", "Patient").unwrap().len(), 1);
    assert!(store.resources_of("ehr", "Observation").unwrap().is_empty(), "a critical lab nobody asked for was stored");
    assert!(store.resources_of("ehr", "AuditEvent").unwrap().is_empty());
    assert!(store.outbox().unwrap().is_empty(), "a rule acted on it");
    let listed = String::from_utf8_lossy(&switchboard(&home, &["source", "list"]).stdout).into_owned();
    assert!(listed.contains("ignored entries of types the search did not ask for: 2 (AuditEvent, Observation) in the Patient search"), "{listed}");
}

#[test]
fn a_redirect_to_another_origin_is_not_followed() {
    let home = TestHome::new();
    let elsewhere = HostileServer::start(Hostile::Plain);
    let server = HostileServer::start(Hostile::RedirectTo(format!("{}Patient", elsewhere.base())));
    let (output, _) = sync_against(&home, &server.base());
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert!(stderr(&output).contains("redirected a read to 127.0.0.1; not followed"), "{}", stderr(&output));
    assert!(home.store().resources_of("ehr", "Patient").unwrap().is_empty(), "another server's patients were taken");
}

#[test]
fn huge_endless_and_bomb_bodies_are_refused_within_the_memory_bound() {
    for behaviour in [Hostile::Huge { mb: 200 }, Hostile::Endless, Hostile::GzipBomb] {
        let home = TestHome::new();
        let server = HostileServer::start(behaviour.clone());
        let (output, peak) = sync_against(&home, &server.base());
        assert_eq!(output.status.code(), Some(5), "{behaviour:?}: {}", stderr(&output));
        assert!(stderr(&output).contains("larger than 64 MB"), "{behaviour:?}: {}", stderr(&output));
        assert!(peak < PEAK_LIMIT_KB, "{behaviour:?}: peak {} MB", peak / 1024);
    }
}

#[test]
fn a_token_is_not_sent_over_plain_http_to_another_host_unless_the_source_allows_it() {
    let home = TestHome::new();
    let mut add = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    add.args(["source", "add", "remote", "--fhir", "http://192.0.2.10/fhir", "--token-stdin"]).env("SWITCHBOARD_HOME", home.path());
    let mut child = add.stdin(std::process::Stdio::piped()).spawn().unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"secret-token\n").unwrap();
    assert!(child.wait().unwrap().success());
    let sync = switchboard(&home, &["sync"]);
    assert_eq!(sync.status.code(), Some(2), "{}", stderr(&sync));
    assert!(stderr(&sync).contains("would send its token over plain http:// to another host"), "{}", stderr(&sync));
    assert!(!stderr(&sync).contains("secret-token"));
    let with_password = switchboard(&home, &["source", "add", "x", "--fhir", "https://clinic:hunter2@fhir.example.org/"]);
    assert_eq!(with_password.status.code(), Some(2));
    assert!(!stderr(&with_password).contains("hunter2"), "{}", stderr(&with_password));
}
