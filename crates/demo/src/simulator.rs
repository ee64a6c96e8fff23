//! The clinic simulator of the live demo: it plays the demo clinic's day on its FHIR server, so a new
//! user sees the orchestration loop work. New lab results arrive (most normal, some abnormal, a few
//! critical), patients on the schedule arrive or do not show, cancellations free slots, and calls ring
//! from patients, households and unknown numbers. A short opening script shows each of these within
//! the first minute; after it, happenings come at random, faster at a higher speed.

use crate::catalog::{self, LabTest};
use crate::clinic::{generate, lab_observation, DemoOptions};
use crate::DemoError;
use chrono::{DateTime, Duration as Span, Utc};
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::time::Duration;
use switchboard_fhir::{FhirClient, FhirError};

/// One thing that happens in the simulated clinic.
#[derive(Debug, Clone, PartialEq)]
pub enum Happening {
    /// A new final lab result for a patient.
    Result { observation: Value, flag: Flag },
    /// A patient with a booked visit arrives, or does not show.
    Arrival { appointment: String, shows: bool },
    /// A patient cancels a booked visit, which frees its slot.
    Cancellation { appointment: String },
    /// A call rings the clinic's line from this number.
    Call { from: String, caller: Caller },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    Normal,
    Abnormal,
    Critical,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// A number only one patient has.
    Patient,
    /// A number a household of patients shares.
    Household,
    /// A number no patient has.
    Unknown,
}

/// The opening, one happening every few seconds up to 10 times the clinic's pace (faster beyond): a
/// critical result first.
const OPENING: [Step; 6] = [Step::Critical, Step::PatientCall, Step::Normal, Step::NoShow, Step::UnknownCall, Step::Cancel];
const OPENING_PAUSE: Duration = Duration::from_secs(8);
const OPENING_SPEED: f64 = 10.0;
/// After the opening, one happening this often at speed 1.
const PAUSE_AT_SPEED_ONE: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy)]
enum Step {
    Critical,
    Abnormal,
    Normal,
    PatientCall,
    HouseholdCall,
    UnknownCall,
    Arrival,
    NoShow,
    Cancel,
}

struct Person {
    id: String,
    phone: String,
    shares_phone: bool,
}

pub struct Simulator {
    rng: fastrand::Rng,
    people: Vec<Person>,
    /// Booked visits, earliest first: the next one to arrive (or not) is at the front.
    booked: VecDeque<String>,
    /// Distinguishes this run's results from an earlier run's on the same server.
    run: String,
    step: usize,
}

impl Simulator {
    /// A simulator for the clinic `options` generate (the one seeded on the server). `run` names this
    /// run in the ids of the results it makes.
    pub fn new(options: &DemoOptions, seed: u64, run: &str) -> Simulator {
        let mut people = Vec::new();
        let mut booked = Vec::new();
        generate(options, &mut |resource| match resource["resourceType"].as_str() {
            Some("Patient") => {
                let phone = resource.pointer("/telecom/0/value").and_then(Value::as_str).unwrap_or_default().to_string();
                let id = resource["id"].as_str().unwrap_or_default().to_string();
                people.push(Person { id, phone, shares_phone: false });
            }
            Some("Appointment") if resource["status"] == "booked" => {
                booked.push((resource["start"].as_str().unwrap_or_default().to_string(), resource["id"].as_str().unwrap_or_default().to_string()));
            }
            _ => {}
        });
        let mut holders: HashMap<String, usize> = HashMap::new();
        for person in &people {
            *holders.entry(person.phone.clone()).or_default() += 1;
        }
        for person in &mut people {
            person.shares_phone = holders[&person.phone] > 1;
        }
        booked.sort_by_key(|(start, _)| DateTime::parse_from_rfc3339(start).map(|t| t.timestamp()).unwrap_or_default());
        Simulator { rng: fastrand::Rng::with_seed(seed), people, booked: booked.into_iter().map(|(_, id)| id).collect(), run: run.to_string(), step: 0 }
    }

    /// How long to wait before the next happening at `speed` (1 is the clinic's pace).
    pub fn pause(&self, speed: f64) -> Duration {
        if self.step < OPENING.len() {
            return OPENING_PAUSE.div_f64((speed / OPENING_SPEED).max(1.0));
        }
        PAUSE_AT_SPEED_ONE.div_f64(speed.max(0.01))
    }

    /// The next happening, as of `now`. None when the clinic has nothing left to give (no patients).
    pub fn next(&mut self, now: DateTime<Utc>) -> Option<Happening> {
        if self.people.is_empty() {
            return None;
        }
        let step = match OPENING.get(self.step) {
            Some(step) => *step,
            None => self.random_step(),
        };
        self.step += 1;
        Some(match step {
            Step::Critical => self.result(Flag::Critical, now),
            Step::Abnormal => self.result(Flag::Abnormal, now),
            Step::Normal => self.result(Flag::Normal, now),
            Step::PatientCall => self.call(Caller::Patient),
            Step::HouseholdCall => self.call(Caller::Household),
            Step::UnknownCall => self.call(Caller::Unknown),
            Step::Arrival | Step::NoShow => match self.booked.pop_front() {
                Some(appointment) => Happening::Arrival { appointment, shows: matches!(step, Step::Arrival) },
                None => self.result(Flag::Normal, now),
            },
            Step::Cancel => {
                if self.booked.is_empty() {
                    return Some(self.result(Flag::Normal, now));
                }
                let index = self.rng.usize(self.booked.len() / 2..self.booked.len());
                Happening::Cancellation { appointment: self.booked.remove(index).unwrap_or_default() }
            }
        })
    }

    fn random_step(&mut self) -> Step {
        match self.rng.u32(0..100) {
            0..=31 => Step::Normal,
            32..=41 => Step::Abnormal,
            42..=44 => Step::Critical,
            45..=64 => Step::Arrival,
            65..=69 => Step::NoShow,
            70..=77 => Step::Cancel,
            78..=89 => Step::PatientCall,
            90..=94 => Step::HouseholdCall,
            _ => Step::UnknownCall,
        }
    }

    fn result(&mut self, flag: Flag, now: DateTime<Utc>) -> Happening {
        let person = &self.people[self.rng.usize(..self.people.len())];
        let test: &LabTest = match flag {
            Flag::Critical => potassium(),
            _ => {
                let panel = &catalog::PANELS[self.rng.usize(..catalog::PANELS.len())];
                &panel.tests[self.rng.usize(..panel.tests.len())]
            }
        };
        let value = match flag {
            Flag::Critical => test.critical_high.unwrap_or(test.mean) + 0.4,
            // Beyond the reference range, short of the critical one.
            Flag::Abnormal => match (test.high, test.low) {
                (Some(high), _) => high + test.sd * 0.5,
                (None, Some(low)) => low - test.sd * 0.5,
                (None, None) => test.mean,
            },
            Flag::Normal => match (test.low, test.high) {
                (Some(low), Some(high)) => (low + high) / 2.0,
                (None, Some(high)) => high * 0.8,
                (Some(low), None) => low * 1.2,
                (None, None) => test.mean,
            },
        };
        let drawn = (now - Span::hours(6)).fixed_offset();
        let id = format!("sim-{}-{}", self.run, self.step);
        let subject = json!({"reference": format!("Patient/{}", person.id)});
        let performer = json!({"display": "Prairie Reference Laboratory"});
        Happening::Result { observation: lab_observation(&id, test, value, &subject, &performer, &drawn, true), flag }
    }

    fn call(&mut self, caller: Caller) -> Happening {
        let candidates: Vec<&Person> = self.people.iter().filter(|p| p.shares_phone == (caller == Caller::Household)).collect();
        let from = match (caller, candidates.is_empty()) {
            (Caller::Unknown, _) | (_, true) => format!("(312) 555-{:04}", self.rng.u32(100..200)),
            _ => candidates[self.rng.usize(..candidates.len())].phone.clone(),
        };
        Happening::Call { from, caller }
    }
}

fn potassium() -> &'static LabTest {
    catalog::PANELS.iter().flat_map(|p| p.tests).find(|t| t.name == "Potassium").expect("the catalog has potassium")
}

/// Makes a happening true on the server. Calls are not the server's: the caller rings them. A visit
/// staff already changed is left as they left it.
pub async fn apply(client: &FhirClient, happening: &Happening) -> Result<(), DemoError> {
    match happening {
        Happening::Result { observation, .. } => {
            client.update(observation, None).await?;
        }
        Happening::Arrival { appointment, shows } => {
            set_booked_status(client, appointment, if *shows { "arrived" } else { "noshow" }).await?;
        }
        Happening::Cancellation { appointment } => {
            if let Some(cancelled) = set_booked_status(client, appointment, "cancelled").await? {
                for slot in cancelled["slot"].as_array().into_iter().flatten().filter_map(|s| s["reference"].as_str()) {
                    let mut slot = client.read("Slot", slot.trim_start_matches("Slot/")).await?;
                    slot["status"] = json!("free");
                    client.update(&slot, slot.pointer("/meta/versionId").and_then(Value::as_str)).await?;
                }
            }
        }
        Happening::Call { .. } => {}
    }
    Ok(())
}

/// Moves a still-booked appointment to `status`; returns it as written, or None when it was no longer booked.
async fn set_booked_status(client: &FhirClient, id: &str, status: &str) -> Result<Option<Value>, DemoError> {
    let mut appointment = client.read("Appointment", id).await?;
    if appointment["status"] != "booked" {
        return Ok(None);
    }
    appointment["status"] = json!(status);
    if status == "cancelled" {
        appointment["cancelationReason"] = json!({"text": "Patient request"});
    }
    let version = appointment.pointer("/meta/versionId").and_then(Value::as_str).map(str::to_string);
    match client.update(&appointment, version.as_deref()).await {
        Ok(written) => Ok(Some(written)),
        // Staff changed it meanwhile: theirs stands.
        Err(FhirError::Status { status: 409 | 412, .. }) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn simulator() -> Simulator {
        let options = DemoOptions { patients: 60, seed: 1, today: chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap() };
        Simulator::new(&options, 7, "test")
    }

    #[test]
    fn the_opening_shows_a_critical_result_first_then_each_kind_of_happening() {
        let mut simulator = simulator();
        let now = Utc::now();
        let opening: Vec<Happening> = (0..OPENING.len()).map(|_| simulator.next(now).unwrap()).collect();
        let Happening::Result { observation, flag: Flag::Critical } = &opening[0] else { panic!("first: {:?}", opening[0]) };
        assert_eq!(observation.pointer("/interpretation/0/coding/0/code"), Some(&json!("HH")));
        assert_eq!(observation["code"]["text"], "Potassium");
        assert!(matches!(opening[1], Happening::Call { caller: Caller::Patient, .. }));
        assert!(matches!(opening[2], Happening::Result { flag: Flag::Normal, .. }));
        assert!(matches!(opening[3], Happening::Arrival { shows: false, .. }));
        assert!(matches!(opening[4], Happening::Call { caller: Caller::Unknown, .. }));
        assert!(matches!(opening[5], Happening::Cancellation { .. }));
        assert_eq!(simulator.pause(1.0), PAUSE_AT_SPEED_ONE);
        assert_eq!(simulator.pause(10.0), PAUSE_AT_SPEED_ONE / 10);
    }

    #[test]
    fn results_carry_the_flag_they_claim_and_ids_never_repeat() {
        let mut simulator = simulator();
        let mut ids = std::collections::BTreeSet::new();
        let expected = |flag: Flag| match flag {
            Flag::Critical => ["HH", "LL"].as_slice(),
            Flag::Abnormal => ["H", "L"].as_slice(),
            Flag::Normal => ["N"].as_slice(),
        };
        for _ in 0..500 {
            if let Some(Happening::Result { observation, flag }) = simulator.next(Utc::now()) {
                let code = observation.pointer("/interpretation/0/coding/0/code").and_then(Value::as_str).unwrap();
                assert!(expected(flag).contains(&code), "{flag:?} result flagged {code}: {observation}");
                assert!(ids.insert(observation["id"].as_str().unwrap().to_string()));
            }
        }
        assert!(ids.len() > 100);
    }

    #[test]
    fn household_calls_come_from_shared_numbers_and_unknown_ones_from_nobody() {
        let mut simulator = simulator();
        let phones: Vec<String> = simulator.people.iter().map(|p| p.phone.clone()).collect();
        let (mut household, mut unknown) = (0, 0);
        for _ in 0..1000 {
            match simulator.next(Utc::now()) {
                Some(Happening::Call { from, caller: Caller::Household }) => {
                    household += 1;
                    assert!(phones.iter().filter(|p| **p == from).count() > 1);
                }
                Some(Happening::Call { from, caller: Caller::Unknown }) => {
                    unknown += 1;
                    assert!(!phones.contains(&from));
                }
                _ => {}
            }
        }
        assert!(household > 10 && unknown > 10, "{household} household and {unknown} unknown calls");
    }

    #[test]
    fn each_booked_visit_arrives_or_is_cancelled_at_most_once() {
        let mut simulator = simulator();
        let booked = simulator.booked.len();
        assert!(booked > 5);
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..2000 {
            if let Some(Happening::Arrival { appointment, .. } | Happening::Cancellation { appointment }) = simulator.next(Utc::now()) {
                assert!(seen.insert(appointment));
            }
        }
        assert_eq!(seen.len(), booked);
    }
}
