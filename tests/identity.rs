//! Many systems, one patient, against three real Helios servers: an EHR (patients and the shared work),
//! a scheduler and a lab, seeded with the demo clinic spread over them under different ids and
//! identifier systems, with known truth. Linking is scored against that truth; search shows a person
//! once; the workspace merges every record; actions go to the system of record for the right local
//! id; a critical result on the lab becomes one task in the EHR seen by two workstations; staff
//! decisions reach every workstation; a source's own merge moves the data.

use chrono::{SecondsFormat, Utc};
use serde_json::{json, Value};
use std::sync::Arc;
use switchboard_app::App;
use switchboard_core::{SystemClock, TaskPriority, RULE_SYSTEM};
use switchboard_demo::sources::{Person, EHR, LAB, SCHEDULER};
use switchboard_fhir::FhirClient;
use switchboard_identity::{evaluate, Linkage, RecordKey};
use switchboard_outbox::kinds::{Book, Note, TaskCreate};
use switchboard_outbox::StaffAction;
use switchboard_store::Store;
use switchboard_sync::NoProgress;
use switchboard_testkit::{client, demo_today, runtime, server_resources, FhirServer, TestHome};

struct Clinic {
    servers: Vec<FhirServer>,
    persons: Vec<Person>,
}

impl Clinic {
    /// Three servers seeded with `patients` demo patients spread over them.
    fn start(patients: u32, seed: u64) -> Clinic {
        let servers = vec![FhirServer::start(), FhirServer::start(), FhirServer::start()];
        let clients: Vec<FhirClient> = servers.iter().map(|s| client(&s.base())).collect();
        let persons = runtime().block_on(switchboard_demo::seed_sources(&clients.iter().collect::<Vec<_>>(), &demo_today(patients, seed))).unwrap();
        Clinic { servers, persons }
    }

    fn client(&self, source: &str) -> FhirClient {
        client(&self.servers[[EHR, SCHEDULER, LAB].iter().position(|s| *s == source).unwrap()].base())
    }

    /// A workstation of this clinic: the EHR keeps patients and the shared work.
    fn workstation(&self, home: &TestHome) -> App {
        let at = |name: &str| [EHR, SCHEDULER, LAB].iter().position(|s| *s == name).unwrap();
        let config = switchboard_demo::sources::three_systems_config(&|name| self.servers[at(name)].base());
        App::new(home.home.clone(), config, Arc::new(SystemClock))
    }

    /// A person held by all three systems: (ehr id, scheduler id, lab id).
    fn in_all_three(&self) -> Vec<(String, String, String)> {
        self.persons
            .iter()
            .filter(|p| p.len() == 3)
            .map(|p| {
                let id = |source: &str| p.iter().find(|(s, _)| s == source).unwrap().1.clone();
                (id(EHR), id(SCHEDULER), id(LAB))
            })
            .collect()
    }
}

fn sync(app: &App, store: &mut Store) {
    app.sync(store, &runtime(), None, false, &NoProgress).unwrap();
}

fn linked_as_persons(store: &Store, app: &App) -> Linkage {
    let mut persons: Vec<Vec<RecordKey>> = Vec::new();
    for source in &app.config.sources {
        for id in store.ids_of(&source.name, "Patient").unwrap() {
            let records = store.linked_records(&source.name, &id).unwrap();
            let mut keys: Vec<RecordKey> = records.iter().map(|(s, i)| RecordKey::new(s, i)).collect();
            keys.sort();
            if !persons.contains(&keys) {
                persons.push(keys);
            }
        }
    }
    let review = store
        .review_queue(Utc::now().date_naive())
        .unwrap()
        .into_iter()
        .map(|r| switchboard_identity::Candidate {
            a: RecordKey::new(&r.a_source, &r.a_patient),
            b: RecordKey::new(&r.b_source, &r.b_patient),
            score: switchboard_identity::Score { weight: r.score, reasons: vec![] },
        })
        .collect();
    Linkage { persons, links: Vec::new(), review }
}

#[test]
fn three_systems_link_against_the_truth_and_a_person_is_one_search_result_and_one_workspace() {
    let clinic = Clinic::start(120, 31);
    let home = TestHome::new();
    let app = clinic.workstation(&home);
    let mut store = home.store();
    sync(&app, &mut store);

    let truth: Vec<Vec<RecordKey>> = clinic.persons.iter().map(|p| p.iter().map(|(s, id)| RecordKey::new(s, id)).collect()).collect();
    let figures = evaluate(&linked_as_persons(&store, &app), &truth);
    println!("three Helios servers, 120 patients: {figures}");
    assert_eq!(figures.wrongly_linked, 0, "{figures}");
    assert!(figures.recall_with_review() >= 0.95, "{figures}");

    // A person linked across all three: one search hit naming the others, one workspace with each part labelled.
    let (ehr, sched, lab) =
        clinic.in_all_three().into_iter().find(|(ehr, _, _)| store.linked_records(EHR, ehr).unwrap().len() == 3).expect("a person linked across three systems");
    let view = app.open_patient(&mut store, EHR, &ehr).unwrap().unwrap();
    let family = view.patient.banner.family.clone().unwrap();
    let records: Vec<(String, String)> = view.records.iter().map(|r| (r.source.clone(), r.id.clone())).collect();
    assert_eq!(records[0], (EHR.to_string(), ehr.clone()));
    assert!(records.contains(&(SCHEDULER.to_string(), sched.clone())) && records.contains(&(LAB.to_string(), lab.clone())), "{records:?}");
    let lab_results: Vec<_> = view.labs.iter().flat_map(|t| &t.history).collect();
    assert!(!lab_results.is_empty() && lab_results.iter().all(|r| r.origin.source == LAB), "results come from the lab, labelled so");
    assert!(view.appointments.upcoming.iter().chain(&view.appointments.past).all(|a| a.origin.source == SCHEDULER));
    let hits = store.search_text(&family, true, Utc::now().date_naive()).unwrap();
    let of_person: Vec<_> =
        hits.iter().filter(|h| store.linked_records(&h.source, &h.banner.id).unwrap().iter().any(|(s, id)| s == EHR && *id == ehr)).collect();
    assert_eq!(of_person.len(), 1, "one search result per person: {hits:?}");
    assert_eq!(of_person[0].also_in.len(), 2, "{:?}", of_person[0]);
}

#[test]
fn actions_go_to_the_system_of_record_under_its_own_id_and_a_critical_lab_result_makes_one_task_for_two_workstations() {
    let clinic = Clinic::start(60, 32);
    let (home_a, home_b) = (TestHome::new(), TestHome::new());
    let (app_a, app_b) = (clinic.workstation(&home_a), clinic.workstation(&home_b));
    let (mut a, mut b) = (home_a.store(), home_b.store());
    sync(&app_a, &mut a);
    let (ehr, sched, lab) = clinic.in_all_three().into_iter().find(|(ehr, _, _)| a.linked_records(EHR, ehr).unwrap().len() == 3).unwrap();

    // A booking from the EHR record's workspace goes to the scheduler, for the scheduler's own id.
    let slot = a.free_slots(SCHEDULER, Utc::now(), 1, None).unwrap().pop().expect("a free slot in the scheduler").id;
    let booked = app_a.queue_staff(&mut a, EHR, StaffAction::Book(Book { patient: ehr.clone(), slot: slot.clone(), reason: None })).unwrap();
    // A note goes to the shared-work source (the EHR), for the EHR's id.
    app_a.queue_staff(&mut a, LAB, StaffAction::Note(Note { patient: lab.clone(), text: "Called about results".into() })).unwrap();
    // So does a callback task staff make there.
    let task = TaskCreate { patient: lab.clone(), reason: "Call back about the lipid panel".into(), priority: TaskPriority::Routine, due: None, owner: None };
    app_a.queue_staff(&mut a, LAB, StaffAction::TaskCreate(task)).unwrap();
    let delivered = app_a.deliver(&mut a, &runtime()).unwrap();
    assert!(delivered.iter().all(|d| d.actions.failed == 0), "{delivered:?}");
    runtime().block_on(async {
        let scheduler = clinic.client(SCHEDULER);
        let appointment: Vec<Value> =
            server_resources(&scheduler, "Appointment").await.into_values().filter(|a| a["slot"][0]["reference"] == format!("Slot/{slot}")).collect();
        assert_eq!(appointment.len(), 1, "{booked:?}");
        let patient_ref =
            appointment[0]["participant"].as_array().unwrap().iter().find_map(|p| p["actor"]["reference"].as_str().filter(|r| r.starts_with("Patient/")));
        assert_eq!(patient_ref, Some(format!("Patient/{sched}").as_str()));
        let notes = server_resources(&clinic.client(EHR), "Communication").await;
        let note = notes.values().find(|n| n["payload"][0]["contentString"] == "Called about results").expect("the note is in the EHR");
        assert_eq!(note["subject"]["reference"], format!("Patient/{ehr}"));
        assert!(server_resources(&clinic.client(LAB), "Communication").await.is_empty(), "nothing was written to the lab");
        let tasks = server_resources(&clinic.client(EHR), "Task").await;
        let task = tasks.values().find(|t| t["description"] == "Call back about the lipid panel").expect("the task is in the EHR");
        assert_eq!(task["for"]["reference"], format!("Patient/{ehr}"));
        assert!(server_resources(&clinic.client(LAB), "Task").await.is_empty(), "no task was written to the lab");
    });

    // A person with no scheduler record cannot be booked there: refused in words, nothing queued.
    let newcomer = json!({"resourceType": "Patient", "id": "ehr-only", "name": [{"family": "Quasimodo", "given": ["Ines"]}], "birthDate": "1990-01-01"});
    runtime().block_on(clinic.client(EHR).update(&newcomer, None)).unwrap();
    sync(&app_a, &mut a);
    let unscheduled = "ehr-only".to_string();
    let pending = a.outbox().unwrap().len();
    let refused = app_a.queue_staff(&mut a, EHR, StaffAction::Book(Book { patient: unscheduled, slot, reason: None })).unwrap_err().to_string();
    assert!(refused.contains("no record in `sched`"), "{refused}");
    assert_eq!(a.outbox().unwrap().len(), pending);

    // A critical potassium on the lab, for the lab's id: one stat task in the EHR, for the EHR's id.
    let now = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let critical = json!({"resourceType": "Observation", "id": "k-crit", "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "2823-3"}], "text": "Potassium"},
        "subject": {"reference": format!("Patient/{lab}")}, "effectiveDateTime": now,
        "valueQuantity": {"value": 6.9, "unit": "mmol/L"}, "interpretation": [{"coding": [{"code": "HH"}]}]});
    runtime().block_on(clinic.client(LAB).update(&critical, None)).unwrap();
    sync(&app_b, &mut b);
    for (app, store) in [(&app_a, &mut a), (&app_b, &mut b)] {
        sync(app, store);
        app.run_rules(store, false, Utc::now()).unwrap();
        app.deliver(store, &runtime()).unwrap();
    }
    let key = switchboard_outbox::rule_identifier("critical-result-callback", "Observation/k-crit");
    let tasks: Vec<Value> = runtime()
        .block_on(server_resources(&clinic.client(EHR), "Task"))
        .into_values()
        .filter(|t| t["identifier"].as_array().into_iter().flatten().any(|i| i["system"] == RULE_SYSTEM && i["value"] == key))
        .collect();
    assert_eq!(tasks.len(), 1, "one task however many workstations saw the result");
    assert_eq!(tasks[0]["for"]["reference"], format!("Patient/{ehr}"));
    assert!(tasks[0]["focus"]["reference"].as_str().unwrap().ends_with("/Observation/k-crit"), "{}", tasks[0]["focus"]);
    for (app, store) in [(&app_a, &mut a), (&app_b, &mut b)] {
        sync(app, store);
        let worklist = store.worklist(&Default::default(), Utc::now(), 200).unwrap();
        let ours: Vec<_> = worklist.items.iter().filter(|i| i.task.why.as_deref().is_some_and(|w| w.contains("Potassium 6.9"))).collect();
        assert_eq!(ours.len(), 1, "each workstation's worklist holds the one task");
    }
}

#[test]
fn staff_decisions_reach_every_workstation_and_a_source_merge_moves_the_data() {
    let clinic = Clinic::start(40, 33);
    let (home_a, home_b) = (TestHome::new(), TestHome::new());
    let (app_a, app_b) = (clinic.workstation(&home_a), clinic.workstation(&home_b));
    let (mut a, mut b) = (home_a.store(), home_b.store());
    sync(&app_a, &mut a);
    sync(&app_b, &mut b);
    let (ehr, sched, _) = clinic.in_all_three().into_iter().find(|(ehr, _, _)| a.linked_records(EHR, ehr).unwrap().len() == 3).unwrap();

    // Workstation A says these two are not one person; B agrees after its next sync.
    app_a.decide_link(&mut a, (EHR, &ehr), (SCHEDULER, &sched), false).unwrap();
    assert!(!a.linked_records(EHR, &ehr).unwrap().iter().any(|(s, _)| s == SCHEDULER), "applied here at once");
    let delivered = app_a.deliver(&mut a, &runtime()).unwrap();
    assert_eq!(delivered[0].actions.sent, 1, "{delivered:?} {:?}", a.outbox().unwrap());
    sync(&app_b, &mut b);
    assert!(!b.linked_records(EHR, &ehr).unwrap().iter().any(|(s, _)| s == SCHEDULER), "the decision reached the other workstation");
    let audited = a.audit_log(&Default::default()).unwrap();
    assert!(audited.iter().any(|r| r.detail.starts_with("link_decision")), "the decision is audited");
    // And linking them again wins over the earlier decision.
    app_b.decide_link(&mut b, (SCHEDULER, &sched), (EHR, &ehr), true).unwrap();
    app_b.deliver(&mut b, &runtime()).unwrap();
    sync(&app_a, &mut a);
    assert!(a.linked_records(EHR, &ehr).unwrap().iter().any(|(s, _)| s == SCHEDULER), "linked again");

    // The EHR merges a duplicate into the person's record: the duplicate's visits show in their workspace.
    let ehr_client = clinic.client(EHR);
    let original: Value = runtime().block_on(ehr_client.read("Patient", &ehr)).unwrap();
    let mut duplicate = original.clone();
    duplicate["id"] = json!("dup-1");
    duplicate["identifier"] = json!([{"system": "http://ehr.example/dup", "value": "D1"}]);
    duplicate["link"] = json!([{"other": {"reference": format!("Patient/{ehr}")}, "type": "replaced-by"}]);
    duplicate["active"] = json!(false);
    let visit = json!({"resourceType": "Encounter", "id": "dup-visit", "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "subject": {"reference": "Patient/dup-1"}, "period": {"start": "2025-01-02T10:00:00Z"}});
    runtime().block_on(async {
        ehr_client.update(&duplicate, None).await.unwrap();
        ehr_client.update(&visit, None).await.unwrap();
    });
    sync(&app_a, &mut a);
    let view = app_a.open_patient(&mut a, EHR, &ehr).unwrap().unwrap();
    assert!(view.encounters.iter().any(|e| e.id == "dup-visit"), "the merged record's visit is in the survivor's workspace");
    let hits = a.search_text(view.patient.banner.family.as_deref().unwrap(), true, Utc::now().date_naive()).unwrap();
    assert!(!hits.iter().any(|h| h.banner.id == "dup-1"), "the merged record is not a second search result");
}
