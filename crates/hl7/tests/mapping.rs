//! The mapping of whole messages, and that no input makes the reader panic.

use chrono::FixedOffset;
use serde_json::Value;
use switchboard_hl7::{place_patient, read, AckCode, Content, Inbound};

fn context_read(message: &str) -> Result<Inbound, switchboard_hl7::Refused> {
    let authority = |namespace: &str| (namespace == "CLINIC").then(|| "urn:oid:1.2.3.4".to_string());
    let context = switchboard_hl7::MappingContext { offset: FixedOffset::west_opt(5 * 3600).unwrap(), authority: &authority };
    read(message.replace('\n', "\r").as_bytes(), &context)
}

const ORU: &str = "MSH|^~\\&|LIS|ACME LAB|SB|CLINIC|20261201083000-0500||ORU^R01^ORU_R01|MSG0001|P|2.5.1
PID|1||MRN123^^^CLINIC^MR~999-88-7777^^^SSA^SS||Nuñez^María^José||19800229|F|||12 Elm St^Apt 4^Springfield^IL^62701^USA||(217)555-0100^PRN^PH~^NET^Internet^maria@example.org
ORC|RE|ORD77|F55
OBR|1|ORD77|F55^ACME|24323-8^Comprehensive metabolic panel^LN|||20261201071500|||||||||||||||20261201082900|||F
OBX|1|NM|2823-3^Potassium^LN||6.9|mmol/L|3.5-5.1|HH|||F|||20261201071500|||||||||ACME Reference Lab
NTE|1||Repeated and confirmed\\.br\\Called to Dr. Lee
OBX|2|SN|2160-0^Creatinine^LN||<^0.3|mg/dL|0.6-1.2|L|||F
OBX|3|CWE|5778-6^Color of urine^LN||YEL^Yellow^L||||||F
OBX|4|ST|8251-1^Comment^LN||Hemolysed \\T\\ redrawn~second line||||||P
OBX|5|NM|2951-2^Sodium^LN||||136-145||||X";

#[test]
fn a_result_message_becomes_a_report_and_its_observations() {
    let inbound = context_read(ORU).unwrap();
    assert_eq!(inbound.content, Content::Results);
    assert_eq!(inbound.header.control_id, "MSG0001");
    assert_eq!(inbound.header.sender(), "LIS|ACME LAB");
    let kinds: Vec<&str> = inbound.resources.iter().map(|r| r["resourceType"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["DiagnosticReport", "Observation", "Observation", "Observation", "Observation", "Observation"]);
    let report = &inbound.resources[0];
    assert_eq!(report["status"], "final");
    assert_eq!(report["code"]["coding"][0]["system"], "http://loinc.org");
    assert_eq!(report["effectiveDateTime"], "2026-12-01T07:15:00-05:00");
    assert_eq!(report["result"].as_array().unwrap().len(), 5);
    assert_eq!(report["result"][0]["reference"], format!("Observation/{}", inbound.resources[1]["id"].as_str().unwrap()));

    let potassium = &inbound.resources[1];
    assert_eq!(potassium["valueQuantity"], serde_json::json!({"value": 6.9, "unit": "mmol/L", "system": "http://unitsofmeasure.org", "code": "mmol/L"}));
    assert_eq!(potassium["referenceRange"][0]["low"]["value"], 3.5);
    assert_eq!(potassium["referenceRange"][0]["high"]["value"], 5.1);
    assert_eq!(potassium["interpretation"][0]["coding"][0]["code"], "HH");
    assert_eq!(potassium["status"], "final");
    assert_eq!(potassium["category"][0]["coding"][0]["code"], "laboratory");
    assert_eq!(potassium["performer"][0]["display"], "ACME Reference Lab");
    assert_eq!(potassium["note"][0]["text"], "Repeated and confirmed\nCalled to Dr. Lee");

    let creatinine = &inbound.resources[2];
    assert_eq!(creatinine["valueQuantity"]["comparator"], "<");
    assert_eq!(creatinine["valueQuantity"]["value"], 0.3);
    assert_eq!(creatinine["performer"][0]["display"], "ACME LAB", "without OBX-23, the sending facility");
    assert_eq!(inbound.resources[3]["valueCodeableConcept"]["coding"][0]["code"], "YEL");
    assert_eq!(inbound.resources[4]["valueString"], "Hemolysed & redrawn\nsecond line");
    assert_eq!(inbound.resources[4]["status"], "preliminary");
    assert_eq!(inbound.resources[5]["status"], "cancelled");
    assert!(inbound.resources[5].get("valueQuantity").is_none());

    let patient = &inbound.patient;
    assert_eq!(
        patient["identifier"][0],
        serde_json::json!({"system": "urn:oid:1.2.3.4", "value": "MRN123", "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]}})
    );
    assert_eq!(patient["identifier"][1]["system"], "urn:switchboard:hl7:authority:SSA");
    assert_eq!(patient["name"][0]["family"], "Nuñez");
    assert_eq!(patient["name"][0]["given"], serde_json::json!(["María", "José"]));
    assert_eq!(patient["birthDate"], "1980-02-29");
    assert_eq!(patient["gender"], "female");
    assert_eq!(patient["address"][0]["line"], serde_json::json!(["12 Elm St", "Apt 4"]));
    assert_eq!(patient["telecom"][0]["value"], "(217)555-0100");
    assert_eq!(patient["telecom"][1], serde_json::json!({"system": "email", "value": "maria@example.org"}));
}

#[test]
fn the_same_result_keeps_its_id_and_a_correction_updates_it() {
    let first = context_read(ORU).unwrap();
    let corrected = ORU.replace("MSG0001", "MSG0002").replace("||6.9|mmol/L|3.5-5.1|HH|||F", "||5.0|mmol/L|3.5-5.1|N|||C");
    let second = context_read(&corrected).unwrap();
    assert_eq!(first.resources[1]["id"], second.resources[1]["id"]);
    assert_eq!(second.resources[1]["status"], "corrected");
    assert_eq!(second.resources[1]["valueQuantity"]["value"], 5.0);
    let other_lab = context_read(&ORU.replace("|ACME LAB|", "|OTHER LAB|")).unwrap();
    assert_ne!(first.resources[1]["id"], other_lab.resources[1]["id"], "another sender's order number names another order");
}

#[test]
fn the_patient_placeholder_is_replaced_everywhere() {
    let mut inbound = context_read(ORU).unwrap();
    place_patient(&mut inbound.resources, "Patient/p-42");
    assert!(inbound.resources.iter().all(|r| r["subject"]["reference"] == "Patient/p-42"));
    assert!(!serde_json::to_string(&inbound.resources).unwrap().contains("hl7-pid"));
}

#[test]
fn registrations_merges_and_schedules_are_read() {
    let adt = "MSH|^~\\&|EHR|CLINIC|SB|CLINIC|20261201||ADT^A08|A1|P|2.5\nEVN|A08|20261201\nPID|1||MRN123^^^CLINIC^MR||Nunez^Maria||\"\"|F|||\"\"";
    let inbound = context_read(adt).unwrap();
    assert_eq!(inbound.content, Content::Registration { creates: false });
    assert_eq!(inbound.cleared, vec!["birthDate", "address"]);
    assert!(inbound.patient.get("birthDate").is_none());

    let merge = "MSH|^~\\&|EHR|CLINIC|SB|CLINIC|20261201||ADT^A40|A2|P|2.5\nEVN|A40\nPID|1||MRN123^^^CLINIC^MR||Nunez^Maria\nMRG|MRN999^^^CLINIC^MR";
    let Content::Merge { retired } = context_read(merge).unwrap().content else { panic!("a merge") };
    assert_eq!(retired[0]["value"], "MRN999");

    let booked = "MSH|^~\\&|SCHED|CLINIC|SB|CLINIC|20261201||SIU^S12|S1|P|2.5\nSCH|P77|F88^SCHED|||||FU^Follow-up visit^L|ROUTINE^Routine^HL70276\nPID|1||MRN123^^^CLINIC^MR||Nunez^Maria\nAIS|1||99213^Office visit^C4|202612150930|||20|min\nAIP|1||1234^Lee^Ann\nAIL|1||Room 3^^^Main";
    let booked = context_read(booked).unwrap();
    let appointment = &booked.resources[0];
    assert_eq!(appointment["status"], "booked");
    assert_eq!(appointment["start"], "2026-12-15T09:30:00-05:00");
    assert_eq!(appointment["end"], "2026-12-15T09:50:00-05:00");
    assert_eq!(appointment["description"], "Follow-up visit");
    assert_eq!(appointment["participant"][1]["actor"]["display"], "Ann Lee");
    assert_eq!(appointment["participant"][2]["actor"]["display"], "Room 3");
    for (event, status) in [("S15", "cancelled"), ("S17", "entered-in-error"), ("S26", "noshow")] {
        let message = format!("MSH|^~\\&|SCHED|CLINIC|SB|CLINIC|20261201||SIU^{event}|S2|P|2.5\nSCH|P77|F88^SCHED\nPID|1||MRN123^^^CLINIC^MR||Nunez^Maria");
        let read = context_read(&message).unwrap();
        assert_eq!(read.resources[0]["status"], status);
        assert_eq!(read.resources[0]["id"], appointment["id"], "the same appointment");
    }
}

#[test]
fn what_cannot_be_taken_is_refused_in_words() {
    let refusal = |message: &str| context_read(message).unwrap_err().refusal;
    let unknown = refusal("MSH|^~\\&|X|Y|||20261201||MDM^T02|M1|P|2.5\nPID|1||1");
    assert_eq!((unknown.code, unknown.error), (AckCode::Reject, 200));
    let event = refusal("MSH|^~\\&|X|Y|||20261201||ADT^A99|M1|P|2.5\nPID|1||1");
    assert!(event.words.contains("A99"));
    let no_code = refusal(&ORU.replace("OBX|1|NM|2823-3^Potassium^LN|", "OBX|1|NM||"));
    assert_eq!((no_code.code, no_code.error), (AckCode::Error, 101));
    assert!(no_code.words.contains("OBX-3"), "{}", no_code.words);
    let no_control_id = refusal(&ORU.replace("|MSG0001|", "||"));
    assert!(no_control_id.words.contains("MSH-10"));
    let no_pid = refusal(&ORU.lines().filter(|l| !l.starts_with("PID")).collect::<Vec<_>>().join("\n"));
    assert!(no_pid.words.contains("PID"));
    let not_hl7 = refusal("GET / HTTP/1.1");
    assert_eq!(not_hl7.code, AckCode::Reject);
    let bad_number = refusal(&ORU.replace("||6.9|", "||six|"));
    assert!(bad_number.words.contains("numeric"));
}

#[test]
fn random_and_damaged_input_never_panics() {
    let mut rng = fastrand::Rng::with_seed(11);
    let base = ORU.replace('\n', "\r");
    for _ in 0..3000 {
        let mut bytes = base.as_bytes().to_vec();
        match rng.u8(0..4) {
            0 => bytes.truncate(rng.usize(0..bytes.len())),
            1 => (0..rng.usize(1..20)).for_each(|_| {
                let at = rng.usize(0..bytes.len());
                bytes[at] = rng.u8(..);
            }),
            2 => (0..rng.usize(1..10)).for_each(|_| {
                let at = rng.usize(0..bytes.len());
                bytes.insert(at, [b'|', b'^', b'~', b'\\', b'&', b'\r', 0x0b, 0x1c, b'"'][rng.usize(0..9)]);
            }),
            _ => bytes = (0..rng.usize(0..400)).map(|_| rng.u8(..)).collect(),
        }
        let _ = switchboard_hl7::read(&bytes, &switchboard_hl7::MappingContext { offset: FixedOffset::east_opt(0).unwrap(), authority: &|_| None });
    }
}

#[test]
fn a_ten_megabyte_message_is_read() {
    let big_text: String = "A".repeat(10 * 1024 * 1024);
    let message = format!("{}\rOBX|6|TX|11526-1^Pathology report^LN||{big_text}||||||F", ORU.replace('\n', "\r"));
    let inbound = context_read(&message).unwrap();
    let last: &Value = inbound.resources.last().unwrap();
    assert_eq!(last["valueString"].as_str().unwrap().len(), big_text.len());
}
