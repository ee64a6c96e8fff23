//! Pull sync against a real Helios FHIR Server.

use chrono::Utc;
use serde_json::json;
use switchboard_core::SystemClock;
use switchboard_demo::{seed_server, DemoOptions};
use switchboard_fhir::FhirClient;
use switchboard_store::Store;
use switchboard_sync::{sync_source, DeleteDetection, NoProgress, SyncOptions, SyncReport};
use switchboard_testkit::{assert_cache_equals_server, cached_resources, client, demo_today, runtime, FhirServer, TestHome};

const SOURCE: &str = "clinic";

fn demo(patients: u32) -> DemoOptions {
    demo_today(patients, 7)
}

async fn sync(store: &mut Store, client: &FhirClient, options: &SyncOptions) -> SyncReport {
    sync_source(store, client, SOURCE, options, &SystemClock, &NoProgress).await.unwrap()
}

fn report_for<'a>(report: &'a SyncReport, resource_type: &str) -> &'a switchboard_sync::TypeReport {
    report.types.iter().find(|t| t.resource_type == resource_type).unwrap()
}

#[test]
fn full_sync_equals_server_content_across_many_pages() {
    let server = FhirServer::start();
    let home = TestHome::new();
    let rt = runtime();
    let client = client(&server.base());
    rt.block_on(async {
        seed_server(&client, &demo(40), &mut |_| {}).await.unwrap();
        let mut store = home.store();
        let options = SyncOptions { page_size: 20, ..SyncOptions::default() };
        let report = sync(&mut store, &client, &options).await;
        let observations = report_for(&report, "Observation");
        assert!(observations.fetched > 100, "many pages of 20: {observations:?}");
        assert_eq!(observations.fetched, observations.inserted);
        assert_cache_equals_server(&client, &store, SOURCE).await;

        // A second sync finds nothing new: everything in the overlap window is deduplicated.
        let again = sync(&mut store, &client, &options).await;
        assert!(again.types.iter().all(|t| t.inserted == 0 && t.updated == 0 && t.deleted == 0), "{again:?}");
        assert_cache_equals_server(&client, &store, SOURCE).await;
        let status = store.source_statuses().unwrap();
        assert!(status[0].last_synced.is_some() && status[0].last_error.is_none());
    });
}

/// Creates, updates and deletes by another client, then an incremental sync.
fn changes_by_another_client_are_picked_up(deletes: DeleteDetection) {
    let server = FhirServer::start();
    let home = TestHome::new();
    let rt = runtime();
    let client = client(&server.base());
    rt.block_on(async {
        seed_server(&client, &demo(15), &mut |_| {}).await.unwrap();
        let mut store = home.store();
        // No overlap, so the second sync fetches only what changed after the first.
        let options = SyncOptions { page_size: 50, overlap: std::time::Duration::ZERO, deletes, ..SyncOptions::default() };
        sync(&mut store, &client, &options).await;
        let before = cached_resources(&store, SOURCE, "Observation");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;

        let other = switchboard_testkit::client(&server.base());
        other
            .update(
                &json!({"resourceType": "Patient", "id": "walk-in-1", "name": [{"family": "Ortega", "given": ["Inés"]}],
                "telecom": [{"system": "phone", "value": "217-555-0199"}], "birthDate": "1990-04-02"}),
                None,
            )
            .await
            .unwrap();
        let (obs_id, mut observation) = before.iter().next().map(|(k, v)| (k.clone(), v.clone())).unwrap();
        observation["valueQuantity"]["value"] = json!(99.5);
        observation["note"] = json!([{"text": "corrected"}]);
        other.update(&observation, None).await.unwrap();
        let encounter_id = cached_resources(&store, SOURCE, "Encounter").keys().next().unwrap().clone();
        other.delete("Encounter", &encounter_id).await.unwrap();

        let report = sync(&mut store, &client, &options).await;
        assert_eq!(report_for(&report, "Patient").inserted, 1, "{report:?}");
        assert_eq!(report_for(&report, "Observation").updated, 1, "{report:?}");
        assert_eq!(report_for(&report, "Encounter").deleted, 1, "{report:?}");
        assert_cache_equals_server(&client, &store, SOURCE).await;
        let cached_obs = cached_resources(&store, SOURCE, "Observation");
        assert_eq!(cached_obs[&obs_id]["valueQuantity"]["value"], json!(99.5));
        let today = Utc::now().date_naive();
        let hits = store.search_text("ortega ines", true, today).unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(store.search_text("(217) 555-0199", true, today).unwrap()[0].banner.id, "walk-in-1");
    });
}

#[test]
fn incremental_sync_sees_creates_updates_and_deletes_through_history() {
    changes_by_another_client_are_picked_up(DeleteDetection::Auto);
}

#[test]
fn incremental_sync_sees_deletes_by_reconciling_ids() {
    changes_by_another_client_are_picked_up(DeleteDetection::Reconcile);
}

#[test]
fn unknown_elements_and_extensions_survive_unchanged() {
    let server = FhirServer::start();
    let home = TestHome::new();
    let rt = runtime();
    let client = client(&server.base());
    rt.block_on(async {
        let patient = json!({"resourceType": "Patient", "id": "ext-1",
            "extension": [{"url": "http://example.org/fhir/StructureDefinition/preferred-pharmacy",
                "valueReference": {"display": "Corner Pharmacy"}}],
            "name": [{"family": "Quispe", "given": ["Rosa"], "_family": {"extension": [{"url": "http://example.org/x", "valueCode": "x"}]}}],
            "futureElement": {"nested": [1, 2, 3]}});
        client.update(&patient, None).await.unwrap();
        let mut store = home.store();
        sync(&mut store, &client, &SyncOptions::default()).await;
        let cached = &cached_resources(&store, SOURCE, "Patient")["ext-1"];
        assert_eq!(cached["extension"], patient["extension"]);
        assert_eq!(cached["futureElement"], patient["futureElement"]);
        assert_eq!(cached["name"][0]["_family"], patient["name"][0]["_family"]);
        assert_cache_equals_server(&client, &store, SOURCE).await;
    });
}

#[test]
fn workspace_view_is_assembled_from_the_synced_cache() {
    let server = FhirServer::start();
    let home = TestHome::new();
    let rt = runtime();
    let client = client(&server.base());
    rt.block_on(async {
        seed_server(&client, &demo(30), &mut |_| {}).await.unwrap();
        let mut store = home.store();
        sync(&mut store, &client, &SyncOptions::default()).await;
        drop(server); // The view must not need the network.
        let now = Utc::now();
        let (source, id) = store.find_patient("MRN1000000").unwrap().unwrap();
        let view = store.patient_view(&source, &id, now).unwrap().unwrap();
        let json = serde_json::to_value(&view).unwrap();
        for key in ["patient", "allergies", "encounters", "medications", "labs", "appointments", "tasks", "sources"] {
            assert!(json.get(key).is_some(), "missing {key}");
        }
        assert_eq!(json["patient"]["mrn"], "MRN1000000");
        assert!(!view.encounters.is_empty() && view.encounters[0].practitioner.as_deref().unwrap().starts_with("Dr."));
        assert_eq!(view.sources[0].name, SOURCE);
        // Patient 0 holds an upcoming appointment in a busy slot.
        assert_eq!(view.appointments.upcoming.len(), 1);
        // Every lab test has its history newest first and a latest equal to the first of it.
        for test in &view.labs {
            assert_eq!(test.latest.id, test.history[0].id);
            assert!(test.history.windows(2).all(|w| w[0].date >= w[1].date));
        }
    });
}

#[test]
fn store_opened_twice_shares_one_key() {
    let home = TestHome::new();
    drop(home.store());
    let reopened: Store = home.store();
    assert!(reopened.counts().unwrap().is_empty());
}

#[test]
fn refreshing_one_patient_fetches_only_that_patient_and_leaves_cursors() {
    let server = FhirServer::start();
    let home = TestHome::new();
    let rt = runtime();
    let client = client(&server.base());
    rt.block_on(async {
        seed_server(&client, &demo(10), &mut |_| {}).await.unwrap();
        let mut store = home.store();
        sync(&mut store, &client, &SyncOptions::default()).await;
        let cursor = store.cursor(SOURCE, "Observation").unwrap();
        let observations = cached_resources(&store, SOURCE, "Observation");
        let patient_of = |o: &serde_json::Value| o["subject"]["reference"].as_str().unwrap().to_string();
        let mine = observations.values().next().unwrap().clone();
        let theirs = observations.values().find(|o| patient_of(o) != patient_of(&mine)).unwrap().clone();

        // Another client corrects a result for each of two patients and adds one for the first.
        let other = switchboard_testkit::client(&server.base());
        for observation in [&mine, &theirs] {
            let mut corrected = observation.clone();
            corrected["note"] = json!([{"text": "corrected"}]);
            other.update(&corrected, None).await.unwrap();
        }
        let mut added = mine.clone();
        added["id"] = json!("refresh-added");
        other.update(&added, None).await.unwrap();

        let patient_id = patient_of(&mine).trim_start_matches("Patient/").to_string();
        let before = patient_copies(&store, &patient_id);
        let changed = switchboard_sync::refresh_patient(&mut store, &client, SOURCE, &patient_id, &SystemClock).await.unwrap();
        let after_refresh = patient_copies(&store, &patient_id);
        let differing: std::collections::BTreeSet<&String> =
            before.keys().chain(after_refresh.keys()).filter(|k| before.get(*k) != after_refresh.get(*k)).collect();
        assert_eq!(changed, 2, "one corrected and one new result for this patient; the cached copies that differ: {differing:?}");
        let after = cached_resources(&store, SOURCE, "Observation");
        assert_eq!(after[mine["id"].as_str().unwrap()]["note"][0]["text"], "corrected");
        assert!(after.contains_key("refresh-added"));
        assert!(after[theirs["id"].as_str().unwrap()].get("note").is_none(), "another patient's change waits for the sync");
        assert_eq!(store.cursor(SOURCE, "Observation").unwrap(), cursor, "the type's cursor is untouched");

        sync(&mut store, &client, &SyncOptions::default()).await;
        assert_cache_equals_server(&client, &store, SOURCE).await;
    });
}

/// Every cached resource about one patient, "Type/id" to its JSON: what a refresh changed is the difference.
fn patient_copies(store: &Store, patient: &str) -> std::collections::BTreeMap<String, String> {
    let mut copies = std::collections::BTreeMap::new();
    for kind in switchboard_core::resource_types::SYNCED {
        for (id, json) in store.patient_resources(SOURCE, patient, kind).unwrap() {
            copies.insert(format!("{kind}/{id}"), json);
        }
    }
    copies
}
