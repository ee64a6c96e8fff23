//! The HL7 v2 feed, end to end: the real `switchboard hl7 serve` binary, a real Helios server as the
//! target source, and messages built and sent over MLLP by hl7apy (a third-party Python HL7 library,
//! installed by scripts/setup.sh).

use serde_json::{json, Value};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use switchboard_testkit::{client, free_port, runtime, server_resources, FhirServer, TestHome};

const HL7APY_PYTHON: &str = "/var/cache/switchboard-tools/hl7-venv-1.3.5/bin/python";

fn switchboard(home: &TestHome, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard")).args(args).env("SWITCHBOARD_HOME", home.path()).output().unwrap()
}

fn ok(output: Output) -> String {
    assert!(output.status.success(), "exit {:?}: {}", output.status.code(), String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// The receiver, killed when the test ends.
struct Receiver(Child);

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(home: &TestHome, port: u16) -> Receiver {
    let child =
        Command::new(env!("CARGO_BIN_EXE_switchboard")).args(["hl7", "serve"]).env("SWITCHBOARD_HOME", home.path()).stderr(Stdio::null()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the receiver did not start listening");
        std::thread::sleep(Duration::from_millis(100));
    }
    Receiver(child)
}

/// Sends the steps with hl7apy; one ACK (as JSON) per step.
fn send(port: u16, patient: &Value, steps: &[&str]) -> Vec<Value> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/hl7/send.py");
    let mut args = vec![script.to_string(), port.to_string(), patient.to_string()];
    args.extend(steps.iter().map(|s| s.to_string()));
    let output = Command::new(HL7APY_PYTHON).args(&args).output().expect("hl7apy's Python (run scripts/setup.sh)");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Waits until the server holds what `done` looks for.
fn eventually<T>(what: &str, mut done: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(found) = done() {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn hl7_messages_reach_the_server_and_a_critical_result_becomes_one_callback_task() {
    let server = FhirServer::start();
    let rt = runtime();
    let fhir = client(&server.base());
    let mrn = format!("H{}", fastrand::u32(100_000..999_999));
    let patient = json!({"resourceType": "Patient", "identifier": [{"system": "urn:oid:2.16.840.1.113883.19.5", "value": mrn}],
        "name": [{"family": "Okafor", "given": ["Adaeze"]}], "birthDate": "1971-04-18", "gender": "female"});
    let created = rt.block_on(fhir.create(&patient, &format!("identifier=urn:oid:2.16.840.1.113883.19.5|{mrn}"))).unwrap();
    let patient_id = created["id"].as_str().unwrap().to_string();

    let home = TestHome::new();
    let port = free_port();
    std::fs::create_dir_all(&home.home.config_dir).unwrap();
    std::fs::write(
        home.home.config_file(),
        format!("[[source]]\nname = \"clinic\"\nfhir = \"{}\"\n\n[hl7]\nlisten = \"127.0.0.1:{port}\"\nauthorities = {{ CLINIC = \"urn:oid:2.16.840.1.113883.19.5\" }}\n", server.base()),
    )
    .unwrap();
    ok(switchboard(&home, &["sync"]));
    let _receiver = serve(&home, port);

    let sent = json!({"mrn": mrn, "authority": "CLINIC", "family": "Okafor", "given": "Adaeze", "birth_date": "19710418", "sex": "F"});
    let acks = send(port, &sent, &["oru-critical:K1", "oru-critical:K1", "adt-a08:A1", "siu-s12:S1", "malformed:BAD1"]);
    let codes: Vec<&str> = acks.iter().map(|a| a["ack"].as_str().unwrap()).collect();
    assert_eq!(codes, ["AA", "AA", "AA", "AA", "AE"], "{acks:#?}");
    assert!(acks.iter().all(|a| !a["text"].as_str().unwrap().contains("held")), "{acks:#?}");
    assert!(acks.iter().zip(["K1", "K1", "A1", "S1", "BAD1"]).all(|(a, id)| a["acked_id"] == id));
    assert!(acks[4]["err"].as_str().unwrap().contains("OBX-3"), "the refusal says why: {}", acks[4]["err"]);

    // The result reaches the server for the patient's record there, and the rules make one stat
    // callback task for it (the resend changed nothing).
    let observation = eventually("the potassium result on the server", || {
        rt.block_on(server_resources(&fhir, "Observation")).into_values().find(|o| o["subject"]["reference"] == format!("Patient/{patient_id}"))
    });
    assert_eq!(observation["valueQuantity"]["value"], 6.9);
    assert_eq!(observation["interpretation"][0]["coding"][0]["code"], "HH");
    let task = eventually("the callback task", || {
        rt.block_on(server_resources(&fhir, "Task")).into_values().find(|t| t["for"]["reference"] == format!("Patient/{patient_id}"))
    });
    assert_eq!(task["priority"], "stat");
    let appointment = eventually("the booked appointment", || {
        rt.block_on(server_resources(&fhir, "Appointment")).into_values().find(|a| a["participant"][0]["actor"]["reference"] == format!("Patient/{patient_id}"))
    });
    assert_eq!(appointment["status"], "booked");
    let updated = eventually("the registration update", || {
        let p = rt.block_on(fhir.read("Patient", &patient_id)).unwrap();
        p["telecom"].is_array().then_some(p)
    });
    assert_eq!(updated["telecom"][0]["value"], "(555)010-2030");
    std::thread::sleep(Duration::from_secs(5));
    let tasks: Vec<Value> =
        rt.block_on(server_resources(&fhir, "Task")).into_values().filter(|t| t["for"]["reference"] == format!("Patient/{patient_id}")).collect();
    assert_eq!(tasks.len(), 1, "one task: {tasks:#?}");
    let observations =
        rt.block_on(server_resources(&fhir, "Observation")).into_values().filter(|o| o["subject"]["reference"] == format!("Patient/{patient_id}")).count();
    assert_eq!(observations, 1);

    // IT reads the refused message and why.
    let errors: Value = serde_json::from_str(&ok(switchboard(&home, &["hl7", "errors", "--json"]))).unwrap();
    assert_eq!(errors.as_array().unwrap().len(), 1, "{errors:#}");
    assert_eq!(errors[0]["controlId"], "BAD1");
    assert!(errors[0]["reason"].as_str().unwrap().contains("OBX-3"));
}

#[test]
fn a_result_for_an_unknown_patient_is_held_for_staff_not_given_a_new_patient() {
    let server = FhirServer::start();
    let home = TestHome::new();
    let port = free_port();
    std::fs::create_dir_all(&home.home.config_dir).unwrap();
    std::fs::write(home.home.config_file(), format!("[[source]]\nname = \"clinic\"\nfhir = \"{}\"\n\n[hl7]\nlisten = \"127.0.0.1:{port}\"\n", server.base()))
        .unwrap();
    let _receiver = serve(&home, port);
    let stranger = json!({"mrn": "NOBODY1", "authority": "CLINIC", "family": "Vance", "given": "Ilse", "birth_date": "19900101", "sex": "F"});
    let acks = send(port, &stranger, &["oru-critical:U1"]);
    assert_eq!(acks[0]["ack"], "AA", "kept: the sender need not resend");
    assert!(acks[0]["text"].as_str().unwrap().contains("held"), "{}", acks[0]);
    let errors: Value = serde_json::from_str(&ok(switchboard(&home, &["hl7", "errors", "--json"]))).unwrap();
    assert_eq!(errors[0]["state"], "held");
    let rt = runtime();
    std::thread::sleep(Duration::from_secs(3));
    assert!(rt.block_on(server_resources(&client(&server.base()), "Patient")).is_empty(), "no patient was made up");
    assert!(rt.block_on(server_resources(&client(&server.base()), "Observation")).is_empty());
}
