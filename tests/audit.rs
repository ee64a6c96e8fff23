//! The audit log: every view, search, action and refusal is recorded once, against a real Helios
//! FHIR Server (which keeps AuditEvent to itself, so the log stays here) and an audit record
//! repository (a double: no FHIR server that takes AuditEvent writes installs here), through faults,
//! kills and an offline repository.

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::sync::Arc;
use switchboard_app::App;
use switchboard_core::{AuditAction, Config, SourceConfig, SystemClock};
use switchboard_demo::seed_server;
use switchboard_outbox::kinds::{Note, TaskComplete};
use switchboard_outbox::StaffAction;
use switchboard_store::AuditFilter;
use switchboard_testkit::audit_repository::AuditRepository;
use switchboard_testkit::fault_proxy::{Fault, FaultProxy};
use switchboard_testkit::{client, demo_today, free_port, runtime, FhirServer, TestHome};

const SOURCE: &str = "clinic";

fn app_for(home: &TestHome, base: &str) -> App {
    let config = Config { sources: vec![SourceConfig::new(SOURCE, switchboard_core::config::parse_fhir_url(base).unwrap())], ..Config::default() };
    App::new(home.home.clone(), config, Arc::new(SystemClock))
}

#[test]
fn every_view_search_action_and_refusal_is_one_audit_event_kept_here_or_sent_to_the_repository() {
    let rt = runtime();
    let server = FhirServer::start();
    rt.block_on(seed_server(&client(&server.base()), &demo_today(6, 4), &mut |_| {})).unwrap();
    let home = TestHome::new();
    let app = app_for(&home, &server.base());
    let mut store = home.store();
    app.sync(&mut store, &rt, None, false, &switchboard_sync::NoProgress).unwrap();

    let patients = store.ids_of(SOURCE, "Patient").unwrap();
    for patient in &patients[..3] {
        assert!(app.open_patient(&mut store, SOURCE, patient).unwrap().is_some());
        // The window reads the workspace again on every data change: that is the same look.
        app.open_patient(&mut store, SOURCE, patient).unwrap();
    }
    app.audit(&mut store, AuditAction::Search, None, "garcia").unwrap();
    app.queue_staff(&mut store, SOURCE, StaffAction::Note(Note { patient: patients[0].clone(), text: "called back".into() })).unwrap();
    let refused = app.queue_staff(&mut store, SOURCE, StaffAction::TaskComplete(TaskComplete { task: "no-such-task".into(), note: String::new() }));
    assert!(refused.is_err());

    let log = store.audit_log(&AuditFilter::default()).unwrap();
    let count = |action: AuditAction| log.iter().filter(|r| r.action == action).count();
    assert_eq!((count(AuditAction::View), count(AuditAction::Search), count(AuditAction::Action), count(AuditAction::Refused)), (3, 1, 1, 1));
    let note = log.iter().find(|r| r.action == AuditAction::Action).unwrap();
    assert_eq!(note.patient.as_deref(), Some(patients[0].as_str()), "an action is audited against its patient");

    // Helios offers no AuditEvent writes: the log stays here, and the round says so.
    let rounds = app.deliver(&mut store, &rt).unwrap();
    assert!(rounds[0].audits.kept_here && rounds[0].audits.sent == 0, "{:?}", rounds[0].audits);
    assert_eq!(store.unsent_audits().unwrap(), 6);

    let repository = AuditRepository::start();
    let mut app = app;
    app.config.audit.repository = Some(switchboard_core::config::parse_fhir_url(&format!("http://127.0.0.1:{}/", repository.port)).unwrap());
    let rounds = app.deliver(&mut store, &rt).unwrap();
    assert_eq!(rounds.last().unwrap().audits.sent, 6, "{:?}", rounds.last().unwrap().audits.error);
    let local: BTreeSet<String> = log.iter().map(|r| r.id.clone()).collect();
    let held = repository.events();
    assert_eq!(held.keys().cloned().collect::<BTreeSet<_>>(), local);
    let view = &held[&log.iter().find(|r| r.action == AuditAction::View).unwrap().id];
    assert_eq!(view["action"], "R");
    assert_eq!(view["agent"][0]["who"]["display"], app.actor().name.as_str());
    assert_eq!(view["source"]["site"], app.actor().workstation.as_str());
    assert!(view["entity"][0]["what"]["reference"].as_str().unwrap().starts_with("Patient/"));
    assert!(store.audit_log(&AuditFilter::default()).unwrap().iter().all(|r| r.sent.is_some()));
}

/// Recorded offline, sent through lost answers, resets and 500s, with the sender killed at random
/// points: every event ends on the server exactly once (a PUT of its own id cannot double it).
#[test]
fn audit_events_survive_an_offline_repository_faults_and_kills() {
    let rt = runtime();
    let server = FhirServer::start();
    rt.block_on(seed_server(&client(&server.base()), &demo_today(12, 5), &mut |_| {})).unwrap();
    let repository = AuditRepository::start();
    let proxy_port = free_port();
    let proxy = rt.block_on(FaultProxy::start(proxy_port, repository.port));
    let home = TestHome::new();
    let switchboard = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
        command.args(args).env("SWITCHBOARD_HOME", home.path()).env("SWITCHBOARD_USER", "Ann Lee").stdout(Stdio::null()).stderr(Stdio::null());
        command
    };
    assert!(switchboard(&["source", "add", SOURCE, "--fhir", &server.base()]).status().unwrap().success());
    let config = home.home.config_file();
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{text}\n[audit]\nrepository = \"http://127.0.0.1:{proxy_port}/\"\n")).unwrap();
    assert!(switchboard(&["sync"]).status().unwrap().success());
    let patients = home.store().ids_of(SOURCE, "Patient").unwrap();

    // The repository offline: views are recorded and wait.
    proxy.inject(&[""], Fault::Reset, None);
    for patient in &patients[..4] {
        assert!(switchboard(&["patient", patient]).status().unwrap().success(), "a view works with the repository offline");
    }
    assert!(!switchboard(&["outbox", "drain"]).status().unwrap().success(), "an offline drain says events wait");
    assert_eq!(home.store().unsent_audits().unwrap(), 4);
    proxy.clear();

    // Lost answers (the repository kept the batch), resets and 500s, and the sender killed at random.
    proxy.chaos(11, 0.3, &[Fault::LostResponse, Fault::Reset, Fault::ServerError]);
    let mut rng = fastrand::Rng::with_seed(20261206);
    let mut killed_mid_way = 0;
    for trial in 0..30 {
        assert!(switchboard(&["search", &format!("trial {trial}")]).status().unwrap().success());
        assert!(switchboard(&["patient", &patients[trial % patients.len()]]).status().unwrap().success());
        let mut child = switchboard(&["outbox", "drain"]).spawn().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(rng.u64(0..300)));
        if child.try_wait().unwrap().is_none() {
            killed_mid_way += 1;
        }
        child.kill().ok(); // SIGKILL
        child.wait().unwrap();
    }
    assert!(proxy.injected() >= 5, "only {} faults were injected", proxy.injected());
    assert!(killed_mid_way >= 5, "only {killed_mid_way} kills landed while sending");
    proxy.clear();
    assert!(switchboard(&["outbox", "drain"]).status().unwrap().success(), "the last drain left events unsent");

    let local: BTreeSet<String> =
        home.store().audit_log(&AuditFilter { limit: Some(10_000), ..Default::default() }).unwrap().into_iter().map(|r| r.id).collect();
    assert!(local.len() >= 4 + 30, "{} events recorded", local.len());
    assert_eq!(home.store().unsent_audits().unwrap(), 0);
    assert_eq!(repository.events().into_keys().collect::<BTreeSet<_>>(), local, "the repository holds each recorded event once, and nothing else");
}
