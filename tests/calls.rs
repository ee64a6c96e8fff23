//! A call's write-back against a real Helios FHIR Server: the phone system's events at two
//! workstations, delivered through the outbox, make one Communication per call.

use chrono::{Duration, Utc};
use serde_json::Value;
use switchboard_calls::{on_event, CallEvent, CallState};
use switchboard_core::SystemClock;
use switchboard_demo::seed_server;
use switchboard_fhir::FhirClient;
use switchboard_outbox::{drain, CALL_SYSTEM};
use switchboard_store::Store;
use switchboard_sync::{sync_source, NoProgress, SyncOptions};
use switchboard_testkit::{client, demo_today, runtime, FhirServer, TestHome};

const SOURCE: &str = "clinic";

async fn synced(home: &TestHome, fhir: &FhirClient) -> Store {
    let mut store = home.store();
    sync_source(&mut store, fhir, SOURCE, &SyncOptions::default(), &SystemClock, &NoProgress).await.unwrap();
    store
}

async fn server_calls(fhir: &FhirClient, call_id: &str) -> Vec<Value> {
    let identifier = format!("{CALL_SYSTEM}|{call_id}");
    let url = fhir.search_url("Communication", &[("identifier", identifier.as_str())]).unwrap();
    fhir.get_page(&url).await.unwrap().resources.iter().map(|r| serde_json::from_str(r.get()).unwrap()).collect()
}

#[test]
fn an_ended_call_is_written_back_once_even_when_two_workstations_log_it() {
    let server = FhirServer::start();
    let fhir = client(&server.base());
    let rt = runtime();
    let options = demo_today(5, 3);
    rt.block_on(seed_server(&fhir, &options, &mut |_| {})).unwrap();
    let (a, b) = (TestHome::new(), TestHome::new());
    let (mut desk_a, mut desk_b) = rt.block_on(async { (synced(&a, &fhir).await, synced(&b, &fhir).await) });

    // A number that is one patient's alone.
    let now = Utc::now();
    let number = (0..5)
        .filter_map(|n| desk_a.patient_view(SOURCE, &format!("pat-{n:06}"), now).unwrap())
        .flat_map(|v| v.patient.banner.phones)
        .find(|p| desk_a.callers(p, now.date_naive()).unwrap().is_some_and(|m| m.len() == 1))
        .expect("a number with one patient");
    let event = |state| CallEvent { call_id: "CA-helios-1".into(), from: number.clone(), to: Some("+12175550000".into()), state };
    for (store, agent) in [(&mut desk_a, "Desk A"), (&mut desk_b, "Desk B")] {
        on_event(store, &event(CallState::Ringing), agent, 1, now, None).unwrap();
        on_event(store, &event(CallState::Answered), agent, 2, now + Duration::seconds(3), None).unwrap();
        let ended = on_event(store, &event(CallState::Ended), agent, 3, now + Duration::seconds(63), None).unwrap();
        assert!(ended.logged && ended.chosen.is_some());
    }
    rt.block_on(async {
        assert_eq!(drain(&mut desk_a, &fhir, SOURCE, &SystemClock).await.unwrap().sent, 1);
        assert_eq!(drain(&mut desk_b, &fhir, SOURCE, &SystemClock).await.unwrap().sent, 1);
        // Both workstations' deliveries settle on the same resource: the call id is its identifier.
        let on_server = server_calls(&fhir, "CA-helios-1").await;
        assert_eq!(on_server.len(), 1, "{on_server:#?}");
        let call = &on_server[0];
        assert_eq!(call["medium"][0]["coding"][0]["code"], "PHONE");
        let words = call["payload"][0]["contentString"].as_str().unwrap();
        assert!(words.contains("1 min 0 s") && words.contains("completed") && words.contains("Desk A"), "{words}");
        let patient = desk_a.call("CA-helios-1").unwrap().unwrap().patient.unwrap();
        assert_eq!(call["subject"]["reference"], format!("Patient/{patient}").as_str());
    });
}
