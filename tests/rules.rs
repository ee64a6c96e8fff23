//! Orchestration rules against a real Helios FHIR Server: results become owned tasks, reminders go out
//! and are withdrawn, follow-ups and late tasks are escalated, every workstation shares one worklist.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{json, Value};
use std::process::{Command, Output};
use switchboard_core::{FixedClock, RULE_SYSTEM};
use switchboard_fhir::FhirClient;
use switchboard_outbox::drain;
use switchboard_rules::{on_changes, tick, RuleSet};
use switchboard_store::Store;
use switchboard_sync::{sync_source, NoProgress, SyncOptions};
use switchboard_testkit::{client, runtime, FhirServer, TestHome};

const SOURCE: &str = "clinic";

fn now() -> DateTime<Utc> {
    Utc::now()
}

fn rules() -> RuleSet {
    switchboard_rules::parse_rules("built-in", switchboard_rules::BUILTIN, switchboard_rules::Origin::Builtin).unwrap()
}

async fn sync(store: &mut Store, client: &FhirClient) {
    sync_source(store, client, SOURCE, &SyncOptions::default(), &FixedClock(now()), &NoProgress).await.unwrap();
}

/// Sync, the change rules, then delivery: one workstation's round.
async fn round(store: &mut Store, client: &FhirClient, at: DateTime<Utc>) -> switchboard_rules::RunReport {
    sync(store, client).await;
    let made = on_changes(store, &rules(), at).unwrap();
    drain(store, client, SOURCE, &FixedClock(at)).await.unwrap();
    made
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

async fn put(client: &FhirClient, resource: Value) {
    client.update(&resource, None).await.unwrap();
}

fn patient(id: &str) -> Value {
    json!({"resourceType": "Patient", "id": id, "name": [{"family": "Rivera", "given": ["Ana"]}], "birthDate": "1970-02-03"})
}

/// A final lab result for patient p1, `effective` at that time.
fn result(id: &str, code: &str, name: &str, value: f64, interpretation: Option<&str>, effective: DateTime<Utc>) -> Value {
    let mut obs = json!({"resourceType": "Observation", "id": id, "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": code}], "text": name},
        "subject": {"reference": "Patient/p1"}, "effectiveDateTime": stamp(effective),
        "valueQuantity": {"value": value, "unit": "mmol/L"},
        "referenceRange": [{"low": {"value": 3.5}, "high": {"value": 5.1}}]});
    if let Some(code) = interpretation {
        obs["interpretation"] = json!([{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code": code}]}]);
    }
    obs
}

/// Resources on the server that rule `rule` made for `key`.
async fn made_on_server(client: &FhirClient, kind: &str, rule: &str, key: &str) -> Vec<Value> {
    let identifier = format!("{RULE_SYSTEM}|{}", switchboard_outbox::rule_identifier(rule, key));
    let url = client.search_url(kind, &[("identifier", identifier.as_str())]).unwrap();
    client.get_page(&url).await.unwrap().resources.iter().map(|r| serde_json::from_str(r.get()).unwrap()).collect()
}

#[test]
fn results_become_one_task_each_on_every_workstation_and_a_correction_updates_it() {
    let server = FhirServer::start();
    let other = client(&server.base());
    let (a_home, b_home) = (TestHome::new(), TestHome::new());
    runtime().block_on(async {
        put(&other, patient("p1")).await;
        // An old critical result is there before the first sync: the look-back keeps it off the worklist.
        put(&other, result("old-crit", "2823-3", "Potassium", 7.0, Some("HH"), now() - Duration::days(30))).await;
        let (mut a, mut b) = (a_home.store(), b_home.store());
        let t0 = now();
        assert_eq!(round(&mut a, &other, t0).await.tasks, 0, "a first sync does not flood the worklist");
        round(&mut b, &other, t0).await;

        // Another client posts a critical, an abnormal (by range alone) and a normal result.
        put(&other, result("crit", "2823-3", "Potassium", 6.9, Some("HH"), t0)).await;
        put(&other, result("abn", "2951-2", "Sodium", 5.6, None, t0)).await;
        put(&other, result("norm", "2345-7", "Glucose", 4.4, Some("N"), t0)).await;
        // Both workstations sync and evaluate before either delivers: the conditional creates race.
        sync(&mut a, &other).await;
        sync(&mut b, &other).await;
        let made_a = on_changes(&mut a, &rules(), t0).unwrap();
        let made_b = on_changes(&mut b, &rules(), t0).unwrap();
        assert_eq!((made_a.tasks, made_a.reminders), (2, 1), "{made_a:?}");
        assert_eq!((made_b.tasks, made_b.reminders), (2, 1), "{made_b:?}");
        drain(&mut a, &other, SOURCE, &FixedClock(t0)).await.unwrap();
        drain(&mut b, &other, SOURCE, &FixedClock(t0)).await.unwrap();

        let critical = made_on_server(&other, "Task", "critical-result-callback", "Observation/crit").await;
        assert_eq!(critical.len(), 1, "one task however many workstations sent it");
        let task = &critical[0];
        assert_eq!(task["priority"], "stat");
        assert_eq!(task["owner"]["display"], "Nurse pool");
        assert_eq!(task["focus"]["reference"], "Observation/crit");
        assert_eq!(task["restriction"]["period"]["end"], stamp(t0 + Duration::hours(1)));
        assert!(task["reasonCode"]["text"].as_str().unwrap().contains("critical-result-callback"));
        let abnormal = made_on_server(&other, "Task", "abnormal-result-callback", "Observation/abn").await;
        assert_eq!(abnormal.len(), 1);
        assert_eq!(abnormal[0]["priority"], "urgent");
        assert_eq!(abnormal[0]["restriction"]["period"]["end"], stamp(rules().clinic.business_days_after(t0, 1)));
        assert!(made_on_server(&other, "Task", "critical-result-callback", "Observation/old-crit").await.is_empty());
        assert!(made_on_server(&other, "Task", "normal-result-callback", "Observation/norm").await.is_empty());
        assert_eq!(made_on_server(&other, "CommunicationRequest", "normal-result-notice", "Observation/norm").await.len(), 1);

        // Every workstation's worklist shows it, once, with why.
        round(&mut a, &other, t0).await;
        round(&mut b, &other, t0).await;
        for store in [&a, &b] {
            let items =
                store.worklist(&switchboard_store::WorklistFilter { owner: Some("Nurse pool".into()), ..Default::default() }, t0, usize::MAX).unwrap().items;
            let ours: Vec<_> = items.iter().filter(|i| i.task.rule.is_some()).collect();
            assert_eq!(ours.len(), 2, "{ours:?}");
            assert!(ours.iter().any(|i| i.task.why.as_deref().is_some_and(|w| w.contains("Potassium 6.9 mmol/L (critical-high)"))));
        }

        // The lab corrects the result: the same task is updated, not another made.
        let mut corrected = result("crit", "2823-3", "Potassium", 7.4, Some("HH"), t0);
        corrected["status"] = json!("corrected");
        put(&other, corrected).await;
        let made = round(&mut a, &other, t0).await;
        assert_eq!(made.tasks, 1);
        let critical = made_on_server(&other, "Task", "critical-result-callback", "Observation/crit").await;
        assert_eq!(critical.len(), 1);
        assert!(critical[0]["description"].as_str().unwrap().contains("7.4"), "{}", critical[0]["description"]);
    });
}

#[test]
fn reminders_follow_ups_and_late_tasks_run_on_the_clock() {
    let server = FhirServer::start();
    let other = client(&server.base());
    let home = TestHome::new();
    runtime().block_on(async {
        let t0 = now();
        put(&other, patient("p1")).await;
        let appointment = |id: &str, status: &str, hours: i64| {
            json!({"resourceType": "Appointment", "id": id, "status": status,
            "start": stamp(t0 + Duration::hours(hours)), "end": stamp(t0 + Duration::hours(hours) + Duration::minutes(30)),
            "participant": [{"actor": {"reference": "Patient/p1"}, "status": "accepted"}]})
        };
        put(&other, appointment("in-50h", "booked", 50)).await;
        put(&other, appointment("in-20h", "booked", 20)).await;
        put(&other, appointment("cancelled", "cancelled", 30)).await;
        // A second patient with a follow-up due two days ago and nothing booked (p1's visits would count).
        put(&other, patient("p2")).await;
        put(
            &other,
            json!({"resourceType": "ServiceRequest", "id": "recheck", "status": "active", "intent": "order",
            "code": {"text": "Recheck blood pressure"}, "subject": {"reference": "Patient/p2"},
            "occurrenceDateTime": stamp(t0 - Duration::days(2))}),
        )
        .await;
        put(
            &other,
            json!({"resourceType": "Task", "id": "late", "status": "requested", "intent": "order", "priority": "routine",
            "description": "Fax the referral", "for": {"reference": "Patient/p1"}, "owner": {"display": "Front desk"},
            "restriction": {"period": {"end": stamp(t0 - Duration::hours(1))}}}),
        )
        .await;
        let mut store = home.store();
        round(&mut store, &other, t0).await;

        let made = tick(&mut store, &rules(), t0).unwrap();
        assert_eq!((made.reminders, made.tasks, made.escalations), (2, 1, 1), "{made:?}");
        assert_eq!(made.alerts, 2, "the follow-up and the late task");
        // The same tick again makes nothing new.
        assert_eq!(tick(&mut store, &rules(), t0).unwrap(), switchboard_rules::RunReport::default());
        drain(&mut store, &other, SOURCE, &FixedClock(t0)).await.unwrap();

        let key = |id: &str, hours: i64, before: &str| format!("Appointment/{id}|{}|{before}", stamp(t0 + Duration::hours(hours)));
        assert_eq!(made_on_server(&other, "CommunicationRequest", "appointment-reminder-72h", &key("in-50h", 50, "72h")).await.len(), 1);
        assert_eq!(made_on_server(&other, "CommunicationRequest", "appointment-reminder-24h", &key("in-20h", 20, "24h")).await.len(), 1);
        assert!(
            made_on_server(&other, "CommunicationRequest", "appointment-reminder-72h", &key("in-20h", 20, "72h")).await.is_empty(),
            "the nearest window only"
        );
        let recall = made_on_server(&other, "Task", "follow-up-recall", "ServiceRequest/recheck").await;
        assert_eq!(recall.len(), 1);
        assert_eq!(recall[0]["owner"]["display"], "Front desk");
        assert_eq!(other.read("Task", "late").await.unwrap()["priority"], "urgent", "escalated one step");
        let alerts = store.alerts().unwrap();
        assert!(alerts.iter().any(|a| a.rule == "task-sla-escalation" && a.role == "Front desk lead"), "{alerts:?}");
        assert!(alerts.iter().any(|a| a.rule == "follow-up-recall" && a.message.contains("Recheck blood pressure")));

        // The 50-hour appointment is cancelled and the 20-hour one is marked a no-show: both reminders
        // are withdrawn, no new one comes, and the no-show gets a front-desk recall.
        for (id, status) in [("in-50h", "cancelled"), ("in-20h", "noshow")] {
            let mut changed = other.read("Appointment", id).await.unwrap();
            changed["status"] = json!(status);
            other.update(&changed, None).await.unwrap();
        }
        let later = t0 + Duration::hours(1);
        let made = round(&mut store, &other, later).await;
        assert_eq!((made.withdrawn, made.tasks), (2, 1), "{made:?}");
        let recall = made_on_server(&other, "Task", "no-show-recall", "Appointment/in-20h").await;
        assert_eq!(recall.len(), 1);
        assert_eq!((recall[0]["owner"]["display"].as_str(), recall[0]["priority"].as_str()), (Some("Front desk"), Some("routine")));
        drain(&mut store, &other, SOURCE, &FixedClock(later)).await.unwrap();
        let reminder = &made_on_server(&other, "CommunicationRequest", "appointment-reminder-72h", &key("in-50h", 50, "72h")).await[0];
        assert_eq!(reminder["status"], "revoked");
        assert_eq!(tick(&mut store, &rules(), later).unwrap().reminders, 0);
    });
}

fn switchboard(home: &TestHome, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard")).args(args).env("SWITCHBOARD_HOME", home.path()).output().unwrap()
}

fn ok(output: Output) -> String {
    assert!(output.status.success(), "exit {:?}: {}", output.status.code(), String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

fn json_of(output: Output) -> Value {
    serde_json::from_str(&ok(output)).unwrap()
}

/// The loop, through the CLI as scripts use it: a result on the server becomes a task on every
/// workstation, one nurse claims it, completes it, and the follow-up reminder goes out.
#[test]
fn the_loop_closes_across_two_workstations() {
    let server = FhirServer::start();
    let other = client(&server.base());
    let (a, b) = (TestHome::new(), TestHome::new());
    let base = server.base();
    runtime().block_on(put(&other, patient("p1")));
    for home in [&a, &b] {
        ok(switchboard(home, &["source", "add", SOURCE, "--fhir", &base]));
        ok(switchboard(home, &["sync"]));
    }
    runtime().block_on(put(&other, result("k1", "2823-3", "Potassium", 6.8, Some("HH"), now())));

    let synced = ok(switchboard(&a, &["sync"]));
    assert!(synced.contains("rules: 1 tasks"), "{synced}");
    ok(switchboard(&a, &["outbox", "drain"]));
    ok(switchboard(&b, &["sync"]));
    ok(switchboard(&b, &["outbox", "drain"]));
    let mut task_id = String::new();
    for home in [&a, &b] {
        ok(switchboard(home, &["sync"]));
        let list = json_of(switchboard(home, &["worklist", "--role", "nurse", "--json"]));
        let made: Vec<&Value> = list.as_array().unwrap().iter().filter(|t| t["rule"] == "critical-result-callback").collect();
        assert_eq!(made.len(), 1, "{list}");
        assert_eq!(made[0]["priority"], "stat");
        task_id = made[0]["id"].as_str().unwrap().to_string();
    }
    assert!(!task_id.starts_with("local-"));

    ok(switchboard(&a, &["task", "claim", &task_id, "--as", "Practitioner/nurse-1"]));
    ok(switchboard(&a, &["outbox", "drain"]));
    ok(switchboard(&b, &["sync"]));
    let list = json_of(switchboard(&b, &["worklist", "--json"]));
    let claimed = list.as_array().unwrap().iter().find(|t| t["id"] == task_id.as_str()).unwrap();
    assert_eq!((claimed["status"].as_str(), claimed["owner"].as_str()), (Some("in-progress"), Some("Practitioner/nurse-1")));

    ok(switchboard(&a, &["task", "complete", &task_id, "--note", "Called; repeat test tomorrow"]));
    ok(switchboard(&a, &["outbox", "drain"]));
    ok(switchboard(&a, &["sync"]));
    ok(switchboard(&a, &["outbox", "drain"]));
    let reminders = runtime().block_on(made_on_server(&other, "CommunicationRequest", "callback-done-reminder", &format!("Task/{task_id}")));
    assert_eq!(reminders.len(), 1, "the completed callback sent the reminder");
    ok(switchboard(&b, &["sync"]));
    let list = json_of(switchboard(&b, &["worklist", "--json"]));
    assert!(!list.as_array().unwrap().iter().any(|t| t["id"] == task_id.as_str()), "closed on every workstation");
}

#[test]
fn the_rules_cli_lists_checks_and_refuses_a_bad_file_whole() {
    let home = TestHome::new();
    let list = json_of(switchboard(&home, &["rules", "list", "--json"]));
    assert_eq!(list.as_array().unwrap().len(), 9);
    assert!(list.as_array().unwrap().iter().all(|r| r["origin"]["kind"] == "builtin"));

    let file = home.path().join("candidate.toml");
    std::fs::write(
        &file,
        "[clinic]\ntimezone = \"America/Chicago\"\n[[rule]]\nid = \"x\"\non = \"no-show\"\nalert = { to = \"Front desk\", text = \"Missed {start}\" }\n",
    )
    .unwrap();
    assert!(ok(switchboard(&home, &["rules", "check", file.to_str().unwrap()])).contains("1 rules, clinic time zone America/Chicago"));
    std::fs::write(
        &file,
        "[[rule]]\nid = \"x\"\non = \"result\"\nflag = [\"critical\"]\ntask = { owner = \"N\", priority = \"now\", due = \"1h\", text = \"t\" }\n",
    )
    .unwrap();
    let refused = switchboard(&home, &["rules", "check", file.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2));
    let words = String::from_utf8_lossy(&refused.stderr);
    assert!(words.contains("rule `x`, field `task.priority`: `now` is not one of routine, urgent, asap, stat"), "{words}");

    // The same file as the active rules: every command that needs rules says so, and nothing half-loads.
    std::fs::create_dir_all(home.home.config_dir.clone()).unwrap();
    std::fs::copy(&file, home.home.config_dir.join("rules.toml")).unwrap();
    let listed = switchboard(&home, &["rules", "list"]);
    assert_eq!(listed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&listed.stderr).contains("field `task.priority`"));
}
