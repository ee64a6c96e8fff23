//! Sync through Bulk Data `$export` against a real Helios (its export on), behind the fault proxy so
//! file downloads can be cut and counted: system and Group level, incremental rounds with `_since`,
//! resume after a cut download and after the syncing process is killed, and the strategy `source show`
//! prints.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use switchboard_app::App;
use switchboard_core::{Config, SourceConfig, SyncMethod, SystemClock};
use switchboard_demo::seed_server;
use switchboard_store::EXPORT_CURSOR;
use switchboard_testkit::fault_proxy::Fault;
use switchboard_testkit::{client, demo_today, runtime, server_behind_proxy, server_resources, FhirServer, TestHome};

const SOURCE: &str = "ehr";

fn exporting_app(home: &TestHome, base: &str, group: Option<&str>) -> App {
    let source = SourceConfig {
        sync: SyncMethod::Export,
        export_group: group.map(str::to_string),
        // Helios asks for 120 s between polls of an export that takes under one.
        export_poll_seconds: 1,
        ..SourceConfig::new(SOURCE, switchboard_core::config::parse_fhir_url(base).unwrap())
    };
    App::new(home.home.clone(), Config { sources: vec![source], ..Config::default() }, Arc::new(SystemClock))
}

/// Every cached resource of the synced types, as type -> ids.
fn cached(store: &switchboard_store::Store) -> BTreeMap<String, BTreeSet<String>> {
    let types = switchboard_sync::SyncOptions::default().types;
    types
        .into_iter()
        .map(|t| (t.clone(), store.ids_of(SOURCE, &t).unwrap().into_iter().collect::<BTreeSet<String>>()))
        .filter(|(_, ids)| !ids.is_empty())
        .collect()
}

#[test]
fn a_system_export_fills_the_cache_and_resumes_a_cut_download_without_fetching_finished_files_again() {
    let rt = runtime();
    let (server, proxy) = server_behind_proxy(&rt);
    let direct = client(&format!("http://127.0.0.1:{}", server.port));
    rt.block_on(seed_server(&direct, &demo_today(15, 7), &mut |_| {})).unwrap();
    let home = TestHome::new();
    let app = exporting_app(&home, &server.base(), None);
    let mut store = home.store();

    proxy.inject(&["export-file", "Observation"], Fault::Truncated, Some(1));
    let cut = app.sync(&mut store, &rt, None, false, &switchboard_sync::NoProgress).unwrap_err().to_string();
    assert!(cut.contains("Observation") && cut.contains("truncated"), "{cut}");
    let job = store.export_job(SOURCE).unwrap().expect("the job is kept for the next sync");
    assert!(job.files_done > 0 && job.manifest.is_some(), "{job:?}");
    assert!(store.cursor(SOURCE, EXPORT_CURSOR).unwrap().is_none(), "the cursor moved before everything was in");
    let kickoffs = proxy.requests("GET", "$export");
    let exports = |store: &switchboard_store::Store| {
        store.audit_log(&switchboard_store::AuditFilter::default()).unwrap().iter().filter(|r| r.action == switchboard_core::AuditAction::Export).count()
    };
    assert_eq!(exports(&store), 0, "an unfinished export was audited");

    app.sync(&mut store, &rt, None, false, &switchboard_sync::NoProgress).unwrap();
    assert_eq!(proxy.requests("GET", "$export"), kickoffs, "the resumed sync started a second export");
    assert_eq!(proxy.requests("GET", "Observation-0"), 2, "the cut file is fetched again");
    for finished in ["Patient-0", "Encounter-0"] {
        assert_eq!(proxy.requests("GET", finished), 1, "{finished} was fetched twice");
    }
    assert_eq!(proxy.requests("DELETE", "export-status"), 1, "the job was not deleted on the server");
    assert!(store.export_job(SOURCE).unwrap().is_none());
    assert!(store.cursor(SOURCE, EXPORT_CURSOR).unwrap().is_some());
    assert_eq!(exports(&store), 1, "the finished export was not audited once");
    let on_server: BTreeMap<String, BTreeSet<String>> = rt.block_on(async {
        let mut all = BTreeMap::new();
        for kind in cached(&store).keys() {
            all.insert(kind.clone(), server_resources(&client(&server.base()), kind).await.into_keys().collect());
        }
        all
    });
    assert_eq!(cached(&store), on_server);
    assert!(on_server["Patient"].len() >= 15);
}

#[test]
fn a_group_export_holds_its_members_only_and_an_incremental_round_brings_only_what_changed() {
    let rt = runtime();
    let (server, proxy) = server_behind_proxy(&rt);
    let direct = client(&format!("http://127.0.0.1:{}", server.port));
    rt.block_on(seed_server(&direct, &demo_today(12, 3), &mut |_| {})).unwrap();
    let members = ["pat-000001", "pat-000002", "pat-000003"];
    let group = serde_json::json!({"resourceType": "Group", "id": "switchboard", "type": "person", "actual": true,
        "member": members.iter().map(|id| serde_json::json!({"entity": {"reference": format!("Patient/{id}")}})).collect::<Vec<_>>()});
    rt.block_on(direct.update(&group, None)).unwrap();
    let home = TestHome::new();
    let app = exporting_app(&home, &server.base(), Some("switchboard"));
    let mut store = home.store();
    app.sync(&mut store, &rt, None, false, &switchboard_sync::NoProgress).unwrap();
    let patients: BTreeSet<String> = store.ids_of(SOURCE, "Patient").unwrap().into_iter().collect();
    assert_eq!(patients, members.iter().map(|m| m.to_string()).collect());
    let observations = rt.block_on(server_resources(&direct, "Observation"));
    let theirs: BTreeSet<String> =
        observations.iter().filter(|(_, o)| members.iter().any(|m| o["subject"]["reference"] == format!("Patient/{m}"))).map(|(id, _)| id.clone()).collect();
    assert_eq!(store.ids_of(SOURCE, "Observation").unwrap().into_iter().collect::<BTreeSet<_>>(), theirs);

    // One result corrected on the server: the next round asks `_since` and brings that one.
    let (id, mut changed) = observations.into_iter().find(|(id, _)| theirs.contains(id)).unwrap();
    changed["status"] = serde_json::json!("amended");
    rt.block_on(direct.update(&changed, None)).unwrap();
    let report = app.sync(&mut store, &rt, None, false, &switchboard_sync::NoProgress).unwrap();
    assert!(proxy.requests("GET", "_since=") >= 1, "the second round was not incremental");
    let fetched: u64 = report.iter().flat_map(|r| r.types.iter()).map(|t| t.fetched).sum();
    assert!(fetched < 5, "an incremental round fetched {fetched}");
    let cached: serde_json::Value = serde_json::from_str(&store.resource(SOURCE, "Observation", &id).unwrap().unwrap()).unwrap();
    assert_eq!(cached["status"], "amended");

    // Each finished round is audited as an export by whoever synced, the second with its `_since`.
    let exports: Vec<_> = store
        .audit_log(&switchboard_store::AuditFilter::default())
        .unwrap()
        .into_iter()
        .filter(|row| row.action == switchboard_core::AuditAction::Export)
        .collect();
    assert_eq!(exports.len(), 2, "{exports:?}");
    assert!(exports.iter().all(|row| row.detail.contains("Group/switchboard/$export") && row.patient.is_none() && row.user == app.actor().user_key()));
    assert_eq!(exports.iter().filter(|row| row.detail.contains(" since ")).count(), 1, "{exports:?}");
}

#[test]
fn source_show_names_the_strategy_and_why() {
    let server = FhirServer::start();
    let home = TestHome::new();
    std::fs::create_dir_all(home.path().join("config")).unwrap();
    let config = format!(
        "[[source]]\nname = \"open\"\nfhir = \"{}\"\n\n[[source]]\nname = \"bulk\"\nfhir = \"{}\"\nsync = \"export\"\nexport_group = \"g1\"\n",
        server.base(),
        server.base()
    );
    std::fs::write(home.path().join("config").join("config.toml"), config).unwrap();
    let show = |name: &str| {
        let output =
            std::process::Command::new(env!("CARGO_BIN_EXE_switchboard")).args(["source", "show", name]).env("SWITCHBOARD_HOME", home.path()).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    let open = show("open");
    assert!(open.contains("method: search") && open.contains("without a patient") && open.contains("export levels offered: system, patient, group"), "{open}");
    let bulk = show("bulk");
    assert!(bulk.contains("method: export (Group/g1/$export)") && bulk.contains("sync = \"export\""), "{bulk}");
}

#[test]
fn a_sync_killed_while_downloading_resumes_the_same_job_without_fetching_finished_files_again() {
    use std::process::{Command, Stdio};
    let rt = runtime();
    let (server, proxy) = server_behind_proxy(&rt);
    let direct = client(&format!("http://127.0.0.1:{}", server.port));
    rt.block_on(seed_server(&direct, &demo_today(10, 9), &mut |_| {})).unwrap();
    let home = TestHome::new();
    std::fs::create_dir_all(home.path().join("config")).unwrap();
    let config = format!("[[source]]\nname = \"{SOURCE}\"\nfhir = \"{}\"\nsync = \"export\"\nexport_poll_seconds = 1\n", server.public_base);
    std::fs::write(home.path().join("config").join("config.toml"), config).unwrap();
    let sync = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
        command.arg("sync").env("SWITCHBOARD_HOME", home.path()).stdout(Stdio::null()).stderr(Stdio::null());
        command
    };

    // The Observation file's answer is held: the process is killed (SIGKILL) while it waits for it.
    proxy.inject(&["export-file", "Observation"], Fault::HeldAnswer, Some(1));
    let mut child = sync().spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while proxy.held() == 0 && child.try_wait().unwrap().is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert_eq!(proxy.held(), 1, "the sync never reached the Observation file");
    child.kill().unwrap();
    child.wait().unwrap();
    {
        let store = home.store();
        let job = store.export_job(SOURCE).unwrap().expect("the killed sync's job is kept");
        assert!(job.files_done > 0 && job.manifest.is_some(), "{job:?}");
        assert!(store.cursor(SOURCE, EXPORT_CURSOR).unwrap().is_none(), "the cursor moved before everything was in");
    }

    assert!(sync().status().unwrap().success(), "the resumed sync failed");
    assert_eq!(proxy.requests("GET", "$export"), 1, "the resumed sync started a second export");
    assert_eq!(proxy.requests("GET", "Patient-0"), 1, "a finished file was fetched again");
    assert_eq!(proxy.requests("GET", "Observation-0"), 2, "the file the process was on is fetched again");
    assert_eq!(proxy.requests("DELETE", "export-status"), 1);
    let store = home.store();
    assert!(store.export_job(SOURCE).unwrap().is_none() && store.cursor(SOURCE, EXPORT_CURSOR).unwrap().is_some());
    for kind in ["Patient", "Observation", "Encounter"] {
        let theirs: BTreeSet<String> = rt.block_on(server_resources(&client(&server.base()), kind)).into_keys().collect();
        assert_eq!(cached(&store)[kind], theirs, "{kind}");
    }
}
