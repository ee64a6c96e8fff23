//! The intake assistant through the real `switchboard` binary: its scores on the labelled calls, its
//! JSON, and a confirmed intake written back to a real FHIR server through the outbox.

use serde_json::Value;
use std::io::Write;
use std::process::{Command, Output, Stdio};
use switchboard_testkit::{client, runtime, FhirServer, TestHome};

fn switchboard(home: &TestHome, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .env("SWITCHBOARD_HOME", home.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn json(output: Output) -> Value {
    assert!(output.status.success(), "exit {:?}: {}", output.status.code(), String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn score(report: &Value, field: &str, measure: &str) -> f64 {
    report["fields"][field][measure].as_f64().unwrap_or_else(|| panic!("no {field}.{measure} in {report}"))
}

#[test]
fn the_assistant_meets_its_targets_on_the_labelled_calls() {
    let home = TestHome::new();
    let dev = json(switchboard(&home, &["intake", "eval", "tests/intake/devset.toml", "--json"], ""));
    assert!(dev["calls"].as_u64().unwrap() >= 60, "the development set has at least 60 calls");
    for report in [&dev, &json(switchboard(&home, &["intake", "eval", "tests/intake/heldout.toml", "--json"], ""))] {
        // Safety first, on both sets: every red flag found and no call under-triaged.
        assert_eq!(score(report, "red_flags", "recall"), 1.0, "{report:#}");
        assert_eq!(report["under_triaged"], serde_json::json!([]), "{report:#}");
        assert!(score(report, "findings", "precision") >= 0.90 && score(report, "findings", "recall") >= 0.85, "{report:#}");
        assert!(report["negation"]["precision"].as_f64().unwrap() >= 0.90 && report["negation"]["recall"].as_f64().unwrap() >= 0.90, "{report:#}");
        let matrix = report["urgency_confusion"].as_array().unwrap();
        let total: u64 = matrix.iter().flat_map(|row| row.as_array().unwrap()).map(|n| n.as_u64().unwrap()).sum();
        assert_eq!(total, report["calls"].as_u64().unwrap());
    }
    // The calls written blind, from public guidance, by writers who never saw the knowledge files
    // (English and Spanish): every emergency caught, nothing under-triaged, no same-day call read as
    // routine. The other figures are floors under today's, so a change that loses ground fails.
    for (set, routine_kept) in [("a", 0.70), ("b", 0.50), ("c", 0.45), ("es1", 0.85), ("es2", 0.45)] {
        let report = json(switchboard(&home, &["intake", "eval", &format!("tests/intake/blind/{set}.toml"), "--json"], ""));
        let safety = &report["safety"];
        assert_eq!(safety["emergency_recall"], 1.0, "blind set {set}: {report:#}");
        assert_eq!(report["under_triaged"], serde_json::json!([]), "blind set {set}: {report:#}");
        assert!(safety["same_day_read_routine_share"].as_f64().unwrap() <= 0.02, "blind set {set}: {report:#}");
        assert!(safety["routine_kept_share"].as_f64().unwrap() >= routine_kept, "blind set {set}: {report:#}");
        assert!(score(&report, "findings", "precision") >= 0.75 && score(&report, "findings", "recall") >= 0.75, "blind set {set}: {report:#}");
    }
    let text = String::from_utf8(switchboard(&home, &["intake", "eval", "tests/intake/devset.toml"], "").stdout).unwrap();
    for words in ["precision", "negation", "urgency confusion", "under-triaged: 0"] {
        assert!(text.contains(words), "{text}");
    }
}

#[test]
fn the_json_has_every_field_scripts_rely_on_and_nothing_is_queued_without_confirm() {
    let home = TestHome::new();
    let note = "calling about my dad he has chest pain since an hour ago and is sweaty, no fever, takes Plavix 75 mg daily";
    let intake = json(switchboard(&home, &["intake", "--json"], note));
    assert_eq!(intake["urgency"], "emergency");
    assert_eq!(intake["reason"], "new_symptom");
    assert_eq!(intake["routing"], "nurse_triage");
    assert!(intake["summary"].as_str().unwrap().contains("Chest pain that may be cardiac"));
    let flag = &intake["redFlags"][0];
    assert_eq!(flag["rule"], "cardiac-chest-pain");
    assert_eq!(flag["evidence"][0]["text"], "chest pain");
    for finding in intake["findings"].as_array().unwrap() {
        for key in ["text", "concept", "assertion", "experiencer", "onset", "severity", "evidence"] {
            assert!(finding.get(key).is_some(), "finding without {key}: {finding}");
        }
    }
    let fever = intake["findings"].as_array().unwrap().iter().find(|f| f["concept"] == "fever").unwrap();
    assert_eq!((fever["assertion"].as_str(), fever["experiencer"].as_str()), (Some("negated"), Some("patient")));
    let med = &intake["medications"][0];
    assert_eq!((med["name"].as_str(), med["dose"].as_str(), med["frequency"].as_str()), (Some("clopidogrel"), Some("75 mg"), Some("daily")));
    assert!(med.get("evidence").is_some());

    let empty = switchboard(&home, &["intake"], "  \n");
    assert_eq!(empty.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&empty.stderr).contains("the note is empty"));
    let no_patient = switchboard(&home, &["intake", "--confirm"], note);
    assert_eq!(no_patient.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_patient.stderr).contains("--confirm needs --patient"));
}

#[test]
fn red_flag_questions_are_listed_per_complaint_and_a_yes_raises_urgency_through_the_rules() {
    let home = TestHome::new();
    let note = "my son has had a fever since last night";
    let asked = json(switchboard(&home, &["intake", "--json"], note));
    assert_eq!(asked["urgency"], "same_day");
    let ids: Vec<&str> = asked["questions"].as_array().unwrap().iter().map(|q| q["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"fever-rash") && ids.contains(&"fever-neck"), "{ids:?}");
    assert!(asked["questions"].as_array().unwrap().iter().all(|q| q["answer"].is_null()));
    assert!(asked["summary"].as_str().unwrap().contains("Not asked:"));

    let answered = json(switchboard(&home, &["intake", "--json", "--answer", "fever-rash=yes", "--answer", "fever-neck=no"], note));
    assert_eq!(answered["urgency"], "emergency");
    assert!(answered["redFlags"].as_array().unwrap().iter().any(|f| f["rule"] == "meningitis-rash"), "{answered:#}");
    let summary = answered["summary"].as_str().unwrap();
    assert!(
        summary.contains("Red-flag questions asked:")
            && summary.contains("not fade when a glass is pressed on it? yes")
            && summary.contains("Is the neck stiff? no"),
        "{summary}"
    );
    let stiff = answered["findings"].as_array().unwrap().iter().find(|f| f["concept"] == "stiff_neck").unwrap();
    assert_eq!(stiff["assertion"], "negated");

    let unknown = switchboard(&home, &["intake", "--answer", "no-such-question=yes"], note);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("`no-such-question` is not a red-flag question"));
    let bad = switchboard(&home, &["intake", "--answer", "fever-rash=perhaps"], note);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("`perhaps` is not yes or no"));
}

#[test]
fn a_spanish_note_is_read_with_the_spanish_lexicon_and_summarised_in_english() {
    let home = TestHome::new();
    let note = "llamo por mi papá, tiene una presión en el pecho que se le va al brazo y está sudando frío";
    let intake = json(switchboard(&home, &["intake", "--json"], note));
    assert_eq!((intake["language"].as_str(), intake["urgency"].as_str()), (Some("es"), Some("emergency")));
    assert_eq!(intake["callingAbout"], "papa");
    // The evidence is the caller's own words; the chart summary is in the staff's words.
    let chest = intake["findings"].as_array().unwrap().iter().find(|f| f["concept"] == "chest_pain").unwrap();
    assert!(note.contains(chest["evidence"]["text"].as_str().unwrap()));
    assert!(intake["summary"].as_str().unwrap().contains("Chest pain that may be cardiac"));
    // With the staff working in Spanish, the summary is in Spanish; the evidence is still the caller's.
    let spanish = json(switchboard(&home, &["intake", "--json", "--summary-language", "es"], note));
    let summary = spanish["summary"].as_str().unwrap();
    assert!(
        summary.contains("Llama por su papa") && summary.contains("Refiere: dolor de pecho") && summary.contains("Dolor de pecho que puede ser del corazón"),
        "{summary}"
    );
    assert!(summary.contains(chest["evidence"]["text"].as_str().unwrap()), "{summary}");
    // Words that look clinical but are not understood make a call same-day, never routine.
    let unclear = json(switchboard(&home, &["intake", "--json"], "she says her arm feels kind of funny"));
    assert_eq!(unclear["urgency"], "same_day");
    assert!(unclear["urgencyBecause"].as_str().unwrap().contains("not understood"), "{unclear:#}");
    assert!(!unclear["notUnderstood"].as_array().unwrap().is_empty());
}

#[test]
fn a_confirmed_intake_lands_on_the_server_as_a_note_and_a_routed_task() {
    let server = FhirServer::start();
    let home = TestHome::new();
    let options = switchboard_demo::DemoOptions { patients: 3, seed: 3, today: chrono::Utc::now().date_naive() };
    runtime().block_on(switchboard_demo::seed_server(&client(&server.base()), &options, &mut |_| {})).unwrap();
    assert!(switchboard(&home, &["source", "add", "clinic", "--fhir", &server.base()], "").status.success());
    assert!(switchboard(&home, &["sync"], "").status.success());

    let refused = switchboard(&home, &["intake", "--patient", "nobody", "--confirm"], "my chest hurts");
    assert_eq!(refused.status.code(), Some(3), "{}", String::from_utf8_lossy(&refused.stderr));
    let emergency = json(switchboard(&home, &["intake", "--patient", "pat-000001", "--confirm", "--json"], "my chest hurts and my left arm is numb"));
    assert_eq!(emergency["urgency"], "emergency");
    let refill = json(switchboard(&home, &["intake", "--patient", "pat-000002", "--confirm", "--json"], "need a refill of my metformin 500 mg twice a day"));
    assert_eq!(refill["routing"], "refill_queue");
    assert_eq!(refill["reasonEvidence"]["text"], "refill");
    let drained = switchboard(&home, &["outbox", "drain"], "");
    assert!(drained.status.success(), "{}", String::from_utf8_lossy(&drained.stderr));

    let rt = runtime();
    let fhir = client(&server.base());
    let search = |kind: &str, param: &str, patient: &str| -> Vec<Value> {
        let url = fhir.search_url(kind, &[(param, &format!("Patient/{patient}"))]).unwrap();
        let page = rt.block_on(fhir.get_page(&url)).unwrap();
        page.resources.iter().map(|r| serde_json::from_str(r.get()).unwrap()).collect()
    };
    let notes = search("Communication", "subject", "pat-000001");
    let note = notes.iter().find(|c| c["category"][0]["text"] == "Call intake").expect("the intake note is on the server");
    let payload = note["payload"].to_string();
    assert!(payload.contains("Chest pain that may be cardiac") && payload.contains("my chest hurts and my left arm is numb"), "{payload}");
    let tasks = search("Task", "patient", "pat-000001");
    let task = tasks.iter().find(|t| t["description"].as_str().is_some_and(|d| d.contains("Chest pain"))).expect("the routed task is on the server");
    assert_eq!((task["priority"].as_str(), task["owner"]["display"].as_str()), (Some("stat"), Some("Nurse pool")));
    let refill_task = search("Task", "patient", "pat-000002").into_iter().find(|t| t["description"].as_str().is_some_and(|d| d.contains("refill"))).unwrap();
    assert_eq!((refill_task["priority"].as_str(), refill_task["owner"]["display"].as_str()), (Some("routine"), Some("Refill queue")));

    // Draining again sends nothing twice.
    assert!(switchboard(&home, &["outbox", "drain"], "").status.success());
    assert_eq!(search("Communication", "subject", "pat-000001").iter().filter(|c| c["category"][0]["text"] == "Call intake").count(), 1);
}
