//! The demo clinic spread over several systems that do not talk to each other, with known truth: the
//! EHR holds patients, clinical data and the shared work; a scheduler holds schedules, slots and
//! appointments with its own copies of the patients it books; a lab holds results with its own copies.
//! The copies are written the way other registration desks write them: reformatted phones, dropped
//! middle names, typos, nicknames, a name changed at marriage, day and month swapped, a move. Some
//! housemates are twins (one birth date, phone and address, different first names).

use crate::clinic::{generate, DemoOptions};
use serde_json::{json, Value};
use switchboard_core::config::{parse_fhir_url, IdentityConfig, SourceRole};
use switchboard_core::{Config, SourceConfig};

pub const EHR: &str = "ehr";
pub const SCHEDULER: &str = "sched";
pub const LAB: &str = "lab";
/// The enterprise identifier some copies carry: the clinic's "same person" system.
pub const ENTERPRISE_SYSTEM: &str = "http://switchboard.example/empi";
const SCHEDULER_SYSTEM: &str = "http://scheduler.example/patient";
const LAB_SYSTEM: &str = "http://lab.example/patient";

const SCHEDULING_TYPES: &[&str] = &["Schedule", "Slot", "Appointment"];
const RESULT_TYPES: &[&str] = &["Observation", "DiagnosticReport"];
/// What every system holds a copy of: the clinic's people and places.
const DIRECTORY_TYPES: &[&str] = &["Organization", "Location", "Practitioner", "PractitionerRole"];

const NICKNAMES: &[(&str, &str)] = &[
    ("William", "Bill"),
    ("Robert", "Bob"),
    ("Elizabeth", "Liz"),
    ("James", "Jim"),
    ("Michael", "Mike"),
    ("Daniel", "Dan"),
    ("Thomas", "Tom"),
    ("Joseph", "Joe"),
    ("Matthew", "Matt"),
    ("Anthony", "Tony"),
    ("Patricia", "Trish"),
    ("José", "Pepe"),
    ("Jesús", "Chuy"),
    ("Guadalupe", "Lupe"),
];

/// A clinic's config for the demo spread over three systems: the EHR holds patients and the shared
/// work, the scheduler scheduling, the lab results, and the enterprise id names one person everywhere.
/// `base` gives each system's FHIR base URL.
pub fn three_systems_config(base: &dyn Fn(&str) -> String) -> Config {
    let source = |name: &str, roles: &[SourceRole]| SourceConfig {
        roles: roles.to_vec(),
        ..SourceConfig::new(name, parse_fhir_url(&base(name)).expect("a FHIR base URL"))
    };
    Config {
        sources: vec![
            source(EHR, &[SourceRole::Patients, SourceRole::Work]),
            source(SCHEDULER, &[SourceRole::Scheduling]),
            source(LAB, &[SourceRole::Results]),
        ],
        identity: IdentityConfig { same_person_systems: vec![ENTERPRISE_SYSTEM.into()], ..IdentityConfig::default() },
        ..Config::default()
    }
}

/// One person's records: (source, Patient id) in each system that holds them, the EHR's first.
pub type Person = Vec<(String, String)>;

/// Streams each system's resources into `sink(source, resource)`; returns who is who. `systems` is
/// 2 (EHR and scheduler; results stay in the EHR) or 3 (a lab as well).
pub fn generate_sources(options: &DemoOptions, systems: usize, sink: &mut dyn FnMut(&str, Value)) -> Vec<Person> {
    let mut split =
        Split { rng: fastrand::Rng::with_seed(options.seed ^ 0x1d3a), systems, persons: Vec::new(), copies: Vec::new(), last_birth: None, last_given: None };
    generate(options, &mut |resource| split.route(resource, sink));
    split.persons
}

struct Split {
    rng: fastrand::Rng,
    systems: usize,
    persons: Vec<Person>,
    /// The current patient's copy in each other system, and the copy itself until that system holds it.
    copies: Vec<(String, String, Option<Value>)>,
    /// The previous patient's birth date and first name, for twins.
    last_birth: Option<String>,
    last_given: Option<String>,
}

impl Split {
    fn route(&mut self, mut resource: Value, sink: &mut dyn FnMut(&str, Value)) {
        let kind = resource["resourceType"].as_str().unwrap_or_default().to_string();
        if DIRECTORY_TYPES.contains(&kind.as_str()) {
            for source in [EHR, SCHEDULER, LAB].into_iter().take(self.systems) {
                sink(source, resource.clone());
            }
            return;
        }
        if kind == "Patient" {
            return self.patient(resource, sink);
        }
        let target = if SCHEDULING_TYPES.contains(&kind.as_str()) {
            SCHEDULER
        } else if self.systems > 2 && RESULT_TYPES.contains(&kind.as_str()) {
            LAB
        } else {
            EHR
        };
        if target != EHR {
            let Some((_, copy, unsent)) = self.copies.iter_mut().find(|(s, _, _)| s == target) else {
                // Schedules and free slots name no patient.
                return sink(target, resource);
            };
            let copy = copy.clone();
            let person = self.persons.last_mut().expect("a patient before their records");
            // A system holds everyone it has records of.
            if let Some(patient) = unsent.take() {
                sink(target, patient);
                person.push((target.to_string(), copy.clone()));
            }
            let ehr = &person[0].1;
            let text = resource.to_string().replace(&format!("\"Patient/{ehr}\""), &format!("\"Patient/{copy}\""));
            resource = serde_json::from_str(&text).expect("still JSON");
        }
        sink(target, resource)
    }

    fn patient(&mut self, mut patient: Value, sink: &mut dyn FnMut(&str, Value)) {
        let id = patient["id"].as_str().unwrap_or_default().to_string();
        let index: u64 = id.trim_start_matches("pat-").parse().unwrap_or_default();
        // Every tenth patient lives with the one before; half of those are twins.
        if index.is_multiple_of(10) && self.rng.bool() {
            if let Some(birth) = &self.last_birth {
                patient["birthDate"] = json!(birth);
                // Parents do not give twins one first name.
                let names = if patient["gender"] == "female" { crate::names::GIVEN_FEMALE } else { crate::names::GIVEN_MALE };
                while patient["name"][0]["given"][0].as_str() == self.last_given.as_deref() {
                    patient["name"][0]["given"][0] = json!(names[self.rng.usize(..names.len())]);
                }
            }
        }
        self.last_birth = patient["birthDate"].as_str().map(str::to_string);
        self.last_given = patient["name"][0]["given"][0].as_str().map(str::to_string);
        let enterprise = self.rng.f64() < 0.3;
        if enterprise {
            push_identifier(&mut patient, ENTERPRISE_SYSTEM, &format!("E{index:08}"));
        }
        let mut person = vec![(EHR.to_string(), id.clone())];
        self.copies = Vec::new();
        // Everyone a system has records of is in it, and some others besides.
        let (scheduled, resulted) = (self.rng.f64() < 0.4, self.rng.f64() < 0.3);
        for (source, system, prefix, held) in
            [(SCHEDULER, SCHEDULER_SYSTEM, "sch", scheduled), (LAB, LAB_SYSTEM, "lab", resulted)].into_iter().take(self.systems - 1)
        {
            let copy_id = format!("{prefix}-{:07}", (index * 48_271 + 7) % 1_000_003);
            let mut copy = patient.clone();
            copy["id"] = json!(copy_id);
            copy["identifier"] = json!([{"system": system, "value": copy_id.to_uppercase()}]);
            if enterprise && self.rng.bool() {
                push_identifier(&mut copy, ENTERPRISE_SYSTEM, &format!("E{index:08}"));
            }
            copy.as_object_mut().expect("object").remove("generalPractitioner");
            self.written_elsewhere(&mut copy);
            if held {
                sink(source, copy);
                person.push((source.to_string(), copy_id.clone()));
                self.copies.push((source.to_string(), copy_id, None));
            } else {
                self.copies.push((source.to_string(), copy_id, Some(copy)));
            }
        }
        self.persons.push(person);
        sink(EHR, patient);
    }

    /// How another desk writes the same person.
    fn written_elsewhere(&mut self, copy: &mut Value) {
        let rng = &mut self.rng;
        let name = &mut copy["name"][0];
        if rng.bool() {
            name["given"].as_array_mut().expect("given").truncate(1);
        }
        let phones = copy["telecom"].as_array_mut().expect("telecom");
        for phone in phones.iter_mut() {
            let digits: String = phone["value"].as_str().unwrap_or_default().chars().filter(char::is_ascii_digit).collect();
            phone["value"] = json!(match rng.u8(0..3) {
                0 => digits.clone(),
                1 => format!("+1 {} {} {}", &digits[..3], &digits[3..6], &digits[6..]),
                _ => format!("{}.{}.{}", &digits[..3], &digits[3..6], &digits[6..]),
            });
        }
        let change = rng.f64();
        let given = copy["name"][0]["given"][0].as_str().unwrap_or_default().to_string();
        let family = copy["name"][0]["family"].as_str().unwrap_or_default().to_string();
        if change < 0.08 {
            copy["name"][0]["family"] = json!(typo(rng, &family));
        } else if change < 0.12 {
            copy["name"][0]["given"][0] = json!(typo(rng, &given));
        } else if change < 0.18 {
            if let Some((_, nick)) = NICKNAMES.iter().find(|(full, _)| *full == given) {
                copy["name"][0]["given"] = json!([nick]);
            }
        } else if change < 0.23 && copy["gender"] == "female" {
            // Married since: a new family name, and often a new number.
            let new_family = crate::names::FAMILY[rng.usize(..crate::names::FAMILY.len())];
            copy["name"][0]["family"] = json!(new_family);
            if rng.bool() {
                copy["telecom"] = json!([{"system": "phone", "value": format!("217-6{:02}-{:04}", rng.u32(10..100), rng.u32(0..10000))}]);
            }
        } else if change < 0.27 {
            let birth = copy["birthDate"].as_str().unwrap_or_default().to_string();
            let (month, day) = (&birth[5..7], &birth[8..10]);
            if day <= "12" && day != month {
                copy["birthDate"] = json!(format!("{}-{day}-{month}", &birth[..4]));
            }
        } else if change < 0.32 {
            copy["telecom"] = json!([{"system": "phone", "value": format!("309-5{:02}-{:04}", rng.u32(10..100), rng.u32(0..10000))}]);
            copy["address"][0]["line"] = json!([format!("{} Prairie Ave", rng.u32(10..999))]);
        } else if change < 0.35 {
            copy.as_object_mut().expect("object").remove(if rng.bool() { "telecom" } else { "address" });
        }
    }
}

fn push_identifier(patient: &mut Value, system: &str, value: &str) {
    if let Some(identifiers) = patient["identifier"].as_array_mut() {
        identifiers.push(json!({"system": system, "value": value}));
    }
}

/// One slip of the keyboard: two neighbouring letters swapped, or one dropped or doubled.
fn typo(rng: &mut fastrand::Rng, word: &str) -> String {
    let mut letters: Vec<char> = word.chars().collect();
    if letters.len() < 4 {
        return word.to_string();
    }
    let at = rng.usize(1..letters.len() - 1);
    match rng.u8(0..3) {
        0 => letters.swap(at, at + 1),
        1 => {
            letters.remove(at);
        }
        _ => letters.insert(at, letters[at]),
    }
    letters.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn each_system_holds_its_own_and_the_truth_names_every_copy() {
        let options = DemoOptions { patients: 60, seed: 3, today: chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap() };
        let mut held: BTreeMap<(String, String), Value> = BTreeMap::new();
        let persons = generate_sources(&options, 3, &mut |source, r| {
            held.insert((source.to_string(), format!("{}/{}", r["resourceType"].as_str().unwrap(), r["id"].as_str().unwrap())), r);
        });
        assert_eq!(persons.len(), 60);
        for person in &persons {
            for (source, id) in person {
                assert!(held.contains_key(&(source.clone(), format!("Patient/{id}"))), "{source} {id}");
            }
        }
        for ((source, key), resource) in &held {
            let kind = resource["resourceType"].as_str().unwrap();
            if SCHEDULING_TYPES.contains(&kind) {
                assert_eq!(source, SCHEDULER, "{key}");
            }
            if RESULT_TYPES.contains(&kind) {
                assert_eq!(source, LAB, "{key}");
            }
            // Every patient a resource names is a patient its own system holds.
            let text = resource.to_string();
            for reference in text.split("\"Patient/").skip(1) {
                let id = reference.split('"').next().unwrap();
                assert!(held.contains_key(&(source.clone(), format!("Patient/{id}"))), "{source} {key} names Patient/{id}");
            }
        }
    }
}
