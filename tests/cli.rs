//! The headless CLI, run as the real `switchboard` binary against a real FHIR server.

use serde_json::Value;
use std::process::{Command, Output};
use switchboard_testkit::{FhirServer, TestHome};

fn switchboard(home: &TestHome, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard")).args(args).env("SWITCHBOARD_HOME", home.path()).output().unwrap()
}

fn ok(output: Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "exit {:?}: {stderr}", output.status.code());
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn demo_seed_then_sync_brings_a_thousand_patient_clinic_into_the_cache() {
    let server = FhirServer::start();
    let home = TestHome::new();
    let base = server.base();
    let seeded = ok(switchboard(&home, &["demo", "seed", "--fhir", &base, "--patients", "1000", "--seed", "5"]));
    assert!(seeded.contains("for 1000 patients"), "{seeded}");
    ok(switchboard(&home, &["source", "add", "clinic", "--fhir", &base]));
    let summary = ok(switchboard(&home, &["sync", "--strict"]));
    assert!(summary.contains("synced clinic"), "{summary}");
    let patients_line = summary.lines().find(|l| l.starts_with("Patient ")).unwrap();
    assert_eq!(patients_line.split_whitespace().nth(1), Some("1000"), "{summary}");

    let report: Value = serde_json::from_str(&ok(switchboard(&home, &["sync", "--json"]))).unwrap();
    assert_eq!(report[0]["source"], "clinic");

    // Any patient shows completely, found by MRN or by server id.
    for n in [0u32, 1, 499, 998, 999] {
        let mrn = format!("MRN{}", 1_000_000 + n);
        let view: Value = serde_json::from_str(&ok(switchboard(&home, &["patient", &mrn, "--json"]))).unwrap();
        for key in ["patient", "allergies", "encounters", "medications", "labs", "appointments", "tasks", "sources"] {
            assert!(view.get(key).is_some(), "{mrn}: no {key}");
        }
        assert_eq!(view["patient"]["mrn"], mrn.as_str());
        assert!(!view["encounters"].as_array().unwrap().is_empty(), "{mrn} has no visits");
        assert_eq!(view["sources"][0]["name"], "clinic");
        let by_id = ok(switchboard(&home, &["patient", view["patient"]["id"].as_str().unwrap()]));
        assert!(by_id.contains(&mrn) && by_id.contains("ALLERGIES") && by_id.contains("Labs"), "{by_id}");
    }

    // Search by name, by phone in another format, and by date of birth in US format.
    let first: Value = serde_json::from_str(&ok(switchboard(&home, &["patient", "MRN1000010", "--json"]))).unwrap();
    let family = first["patient"]["family"].as_str().unwrap();
    let hits: Value = serde_json::from_str(&ok(switchboard(&home, &["search", family, "--json"]))).unwrap();
    assert!(hits.as_array().unwrap().iter().any(|h| h["mrn"] == "MRN1000010"));
    let phone: String = first["patient"]["phones"][0].as_str().unwrap().chars().filter(char::is_ascii_digit).collect();
    let dashed = format!("{}.{}.{}", &phone[..3], &phone[3..6], &phone[6..]);
    let hits: Value = serde_json::from_str(&ok(switchboard(&home, &["search", &dashed, "--json"]))).unwrap();
    assert!(hits.as_array().unwrap().iter().any(|h| h["mrn"] == "MRN1000010"), "{dashed}");
    let born = first["patient"]["birthDate"].as_str().unwrap();
    let us_date = format!("{}/{}/{}", &born[5..7], &born[8..10], &born[..4]);
    let hits: Value = serde_json::from_str(&ok(switchboard(&home, &["search", &us_date, "--json"]))).unwrap();
    assert!(hits.as_array().unwrap().iter().any(|h| h["mrn"] == "MRN1000010"), "{us_date}");
}

#[test]
fn demo_load_fills_the_cache_offline() {
    let home = TestHome::new();
    let loaded = ok(switchboard(&home, &["demo", "load", "--patients", "200"]));
    assert!(loaded.contains("for 200 patients"), "{loaded}");
    let shown = ok(switchboard(&home, &["patient", "MRN1000042"]));
    assert!(shown.contains("MRN1000042") && shown.contains("demo"), "{shown}");
}

#[test]
fn a_bad_config_file_is_named_with_its_line_and_field() {
    let home = TestHome::new();
    std::fs::create_dir_all(&home.home.config_dir).unwrap();
    std::fs::write(home.home.config_file(), "[[source]]\nname = \"clinic\"\nfhri = \"http://127.0.0.1:1/\"\n").unwrap();
    let output = switchboard(&home, &["sync"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let expected = format!("config file {}, line 3, field `fhri`", home.home.config_file().display());
    assert!(stderr.contains(&expected), "{stderr}");
}

#[test]
fn exit_codes_fit_scripts() {
    let home = TestHome::new();
    let no_source = switchboard(&home, &["sync"]);
    assert_eq!(no_source.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_source.stderr).contains("no FHIR source is configured"));
    let unknown = switchboard(&home, &["patient", "MRN-NOPE"]);
    assert_eq!(unknown.status.code(), Some(3));
    assert!(!String::from_utf8_lossy(&unknown.stderr).contains("MRN-NOPE"), "input echoed into the error");
    let bad_url = switchboard(&home, &["source", "add", "x", "--fhir", "ftp://nowhere"]);
    assert_eq!(bad_url.status.code(), Some(2));
    assert_eq!(switchboard(&home, &["frobnicate"]).status.code(), Some(2));
    // A server that is not there: a network error, exit 5, in words.
    ok(switchboard(&home, &["source", "add", "gone", "--fhir", &format!("http://127.0.0.1:{}/fhir", switchboard_testkit::free_port())]));
    let unreachable = switchboard(&home, &["sync"]);
    assert_eq!(unreachable.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&unreachable.stderr).contains("cannot reach the FHIR server"));
}

#[test]
fn call_names_who_is_calling_from_a_number_in_any_format() {
    let home = TestHome::new();
    ok(switchboard(&home, &["demo", "load", "--patients", "200"]));
    let view: Value = serde_json::from_str(&ok(switchboard(&home, &["patient", "MRN1000010", "--json"]))).unwrap();
    let digits: String = view["patient"]["phones"][0].as_str().unwrap().chars().filter(char::is_ascii_digit).collect();
    let dotted = format!("{}.{}.{}", &digits[..3], &digits[3..6], &digits[6..]);
    let call: Value = serde_json::from_str(&ok(switchboard(&home, &["call", "--from", &dotted, "--to", "(217) 555-0000", "--json"]))).unwrap();
    assert_eq!(call["from"], format!("+1{digits}").as_str());
    assert_eq!(call["to"], "+12175550000");
    let matches = call["matches"].as_array().unwrap();
    let me = matches.iter().find(|m| m["mrn"] == "MRN1000010").expect("the patient whose phone it is");
    assert_eq!(me["via"]["kind"], "patient");
    // Everyone matched has this number, as their own or a contact's.
    for m in matches {
        let own = m["phones"].as_array().unwrap().iter().any(|p| p.as_str().unwrap().chars().filter(char::is_ascii_digit).collect::<String>() == digits);
        assert!(own || m["via"]["kind"] == "contact", "{m}");
    }

    let unknown: Value = serde_json::from_str(&ok(switchboard(&home, &["call", "--from", "+1 312 555 0199", "--json"]))).unwrap();
    assert_eq!(unknown["matches"], serde_json::json!([]));
    let refused = switchboard(&home, &["call", "--from", "not a number"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("`not a number` is not a phone number"));
}
