//! Staff actions through the outbox, against a real Helios FHIR Server.

use chrono::{Duration, NaiveDate, Utc};
use serde_json::Value;
use switchboard_core::{FixedClock, SystemClock};
use switchboard_demo::{seed_server, DemoOptions};
use switchboard_fhir::FhirClient;
use switchboard_outbox::{drain, queue, Action, ACTION_SYSTEM};
use switchboard_store::Store;
use switchboard_sync::{sync_source, NoProgress, SyncOptions};
use switchboard_testkit::fault_proxy::{Fault, FaultProxy};
use switchboard_testkit::{client, free_port, runtime, FhirServer, TestHome};

const SOURCE: &str = "clinic";

async fn seeded(client: &FhirClient, patients: u32) {
    let options = DemoOptions { patients, seed: 3, today: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap() };
    seed_server(client, &options, &mut |_| {}).await.unwrap();
}

async fn sync(store: &mut Store, client: &FhirClient) {
    sync_source(store, client, SOURCE, &SyncOptions::default(), &SystemClock, &NoProgress).await.unwrap();
}

fn task_on(store: &Store, id: &str) -> Value {
    serde_json::from_str(&store.resource(SOURCE, "Task", id).unwrap().unwrap()).unwrap()
}

/// Tasks on the server carrying the identifier minted for `action_id`.
async fn server_tasks_for(client: &FhirClient, action_id: &str) -> Vec<Value> {
    let identifier = format!("{ACTION_SYSTEM}|urn:uuid:{action_id}");
    let url = client.search_url("Task", &[("identifier", identifier.as_str())]).unwrap();
    client.get_page(&url).await.unwrap().resources.iter().map(|r| serde_json::from_str(r.get()).unwrap()).collect()
}

#[test]
fn actions_apply_locally_at_once_and_round_trip_to_a_second_workstation() {
    let server = FhirServer::start();
    let (a, b) = (TestHome::new(), TestHome::new());
    let rt = runtime();
    let client = client(&server.base());
    rt.block_on(async {
        seeded(&client, 5).await;
        let (mut store_a, mut store_b) = (a.store(), b.store());
        sync(&mut store_a, &client).await;
        let create = Action::TaskCreate {
            patient: "pat-000001".into(),
            reason: "Call about potassium result".into(),
            priority: "urgent".into(),
            due: Some((Utc::now() + Duration::hours(4)).to_rfc3339()),
            owner: Some("Nurse pool".into()),
        };
        let queued = queue(&mut store_a, SOURCE, &create, Utc::now()).unwrap();
        assert_eq!(queued.state, "pending");
        // Shown at once, marked pending, before any network.
        let view = store_a.patient_view(SOURCE, "pat-000001", Utc::now()).unwrap().unwrap();
        let local = view.tasks.iter().find(|t| t.description.as_deref() == Some("Call about potassium result")).unwrap();
        assert!(local.origin.pending);

        let report = drain(&mut store_a, &client, SOURCE, &SystemClock).await.unwrap();
        assert_eq!(report.sent, 1, "{report:?}");
        let on_server = server_tasks_for(&client, &queued.id).await;
        assert_eq!(on_server.len(), 1);
        let task_id = on_server[0]["id"].as_str().unwrap().to_string();
        assert_eq!(task_on(&store_a, &task_id)["meta"]["versionId"], on_server[0]["meta"]["versionId"]);
        assert!(store_a.resource(SOURCE, "Task", &queued.target["Task/".len()..]).unwrap().is_none(), "local copy replaced");

        // The next sync does not show the action twice.
        sync(&mut store_a, &client).await;
        let view = store_a.patient_view(SOURCE, "pat-000001", Utc::now()).unwrap().unwrap();
        let matching = view.tasks.iter().filter(|t| t.description.as_deref() == Some("Call about potassium result")).count();
        assert_eq!(matching, 1);

        sync(&mut store_b, &client).await;
        assert_eq!(task_on(&store_b, &task_id)["priority"], "urgent");
        queue(&mut store_b, SOURCE, &Action::TaskClaim { task: task_id.clone(), owner: "Practitioner/prac-2".into() }, Utc::now()).unwrap();
        assert_eq!(drain(&mut store_b, &client, SOURCE, &SystemClock).await.unwrap().sent, 1);
        queue(&mut store_b, SOURCE, &Action::TaskComplete { task: task_id.clone(), note: "Reached patient; repeat lab Friday".into() }, Utc::now()).unwrap();
        queue(&mut store_b, SOURCE, &Action::Note { patient: "pat-000001".into(), text: "Prefers calls after 5pm".into() }, Utc::now()).unwrap();
        assert_eq!(drain(&mut store_b, &client, SOURCE, &SystemClock).await.unwrap().sent, 2);

        sync(&mut store_a, &client).await;
        let done = task_on(&store_a, &task_id);
        assert_eq!(done["status"], "completed");
        assert_eq!(done["owner"]["reference"], "Practitioner/prac-2");
        assert_eq!(done["note"][0]["text"], "Reached patient; repeat lab Friday");
        // Refused before anything is queued.
        let rows_before = store_a.outbox().unwrap().len();
        let refused = queue(&mut store_a, SOURCE, &Action::TaskClaim { task: task_id, owner: "Practitioner/prac-1".into() }, Utc::now());
        assert!(refused.unwrap_err().to_string().contains("already completed"));
        assert_eq!(store_a.outbox().unwrap().len(), rows_before);
    });
}

#[test]
fn two_workstations_claiming_one_task_give_exactly_one_owner() {
    let server = FhirServer::start();
    let (a, b) = (TestHome::new(), TestHome::new());
    let rt = runtime();
    let client = client(&server.base());
    rt.block_on(async {
        seeded(&client, 20).await;
        let (mut store_a, mut store_b) = (a.store(), b.store());
        sync(&mut store_a, &client).await;
        sync(&mut store_b, &client).await;
        let task_ids = store_a.ids_of(SOURCE, "Task").unwrap();
        assert!(!task_ids.is_empty());
        for task in task_ids.iter().take(3) {
            queue(&mut store_a, SOURCE, &Action::TaskClaim { task: task.clone(), owner: "Practitioner/prac-1".into() }, Utc::now()).unwrap();
            queue(&mut store_b, SOURCE, &Action::TaskClaim { task: task.clone(), owner: "Practitioner/prac-2".into() }, Utc::now()).unwrap();
        }
        let client_b = switchboard_testkit::client(&server.base());
        let (ra, rb) = tokio::join!(drain(&mut store_a, &client, SOURCE, &SystemClock), drain(&mut store_b, &client_b, SOURCE, &SystemClock));
        let (ra, rb) = (ra.unwrap(), rb.unwrap());
        assert_eq!(ra.sent + rb.sent, 3, "{ra:?} {rb:?}");
        assert_eq!(ra.conflicts + rb.conflicts, 3, "{ra:?} {rb:?}");
        for task in task_ids.iter().take(3) {
            let on_server = client.read("Task", task).await.unwrap();
            let owner = on_server["owner"]["reference"].as_str().unwrap().to_string();
            let (winner, loser) = if owner.ends_with("prac-1") { (&store_a, &store_b) } else { (&store_b, &store_a) };
            assert_eq!(task_on(winner, task)["owner"]["reference"], owner.as_str());
            // The loser sees the conflict in words and the server's state in its cache.
            let conflict = loser.outbox().unwrap().into_iter().find(|r| r.target == format!("Task/{task}")).unwrap();
            assert_eq!(conflict.state, "conflict");
            assert_eq!(conflict.error.as_deref(), Some(format!("already claimed by {owner}").as_str()));
            assert_eq!(task_on(loser, task)["owner"]["reference"], owner.as_str());
        }
    });
}

#[test]
fn a_create_whose_response_was_lost_is_not_duplicated() {
    let rt = runtime();
    let proxy_port = free_port();
    let server = FhirServer::start_with_public_base(free_port(), format!("http://127.0.0.1:{proxy_port}"));
    let proxy = rt.block_on(FaultProxy::start(proxy_port, server.port));
    let home = TestHome::new();
    let client = client(&server.base());
    rt.block_on(async {
        seeded(&client, 3).await;
        let mut store = home.store();
        sync(&mut store, &client).await;
        let action = Action::TaskCreate { patient: "pat-000002".into(), reason: "Refill".into(), priority: "routine".into(), due: None, owner: None };
        let queued = queue(&mut store, SOURCE, &action, Utc::now()).unwrap();
        proxy.inject(&["/Task"], Fault::LostResponse, Some(1));
        let report = drain(&mut store, &client, SOURCE, &SystemClock).await.unwrap();
        assert_eq!((report.sent, proxy.injected()), (1, 1), "{report:?}");
        assert_eq!(server_tasks_for(&client, &queued.id).await.len(), 1, "the retry created a duplicate");
    });
}

#[test]
fn a_hundred_actions_queued_offline_drain_exactly_once_when_the_server_is_back() {
    let rt = runtime();
    let mut server = FhirServer::start();
    let home = TestHome::new();
    let client = client(&server.base());
    rt.block_on(async {
        seeded(&client, 10).await;
        let mut store = home.store();
        sync(&mut store, &client).await;
        server.kill();
        let mut ids = Vec::new();
        for n in 0..100 {
            let patient = format!("pat-{:06}", n % 10 + 1);
            let action = if n % 4 == 0 {
                Action::Note { patient, text: format!("note {n}") }
            } else {
                Action::TaskCreate { patient, reason: format!("callback {n}"), priority: "routine".into(), due: None, owner: None }
            };
            ids.push(queue(&mut store, SOURCE, &action, Utc::now()).unwrap().id);
        }
        let offline = drain(&mut store, &client, SOURCE, &SystemClock).await.unwrap();
        assert_eq!((offline.sent, offline.waiting), (0, 100), "{offline:?}");
        assert!(store.outbox().unwrap().iter().all(|r| r.state == "pending" && r.error.as_deref().unwrap().contains("cannot reach")));

        server.restart();
        let later = FixedClock(Utc::now() + Duration::minutes(10));
        let back = drain(&mut store, &client, SOURCE, &later).await.unwrap();
        assert_eq!(back.sent, 100, "{back:?}");
        for (n, id) in ids.iter().enumerate() {
            let kind = if n % 4 == 0 { "Communication" } else { "Task" };
            let identifier = format!("{ACTION_SYSTEM}|urn:uuid:{id}");
            let url = client.search_url(kind, &[("identifier", identifier.as_str())]).unwrap();
            assert_eq!(client.get_page(&url).await.unwrap().resources.len(), 1, "action {n} applied other than once");
        }
    });
}
