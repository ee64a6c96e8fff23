//! The generator. Resources come out in reference order (organization, locations, practitioners,
//! schedules and slots, then each patient with their record), streamed to a sink to keep memory flat.

use crate::catalog::{self, LabTest};
use crate::names;
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone, Weekday};
use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub patients: u32,
    pub seed: u64,
    /// The clinic's "today": visits lie before it, free and booked slots after it.
    pub today: NaiveDate,
}

const MRN_SYSTEM: &str = "urn:oid:2.16.840.1.113883.19.5.99999.1";
const PATIENTS_PER_PRACTITIONER: u32 = 400;
const SLOT_DAYS: i64 = 21;

struct Clinic {
    rng: fastrand::Rng,
    today: NaiveDate,
    zone: FixedOffset,
    practitioners: u32,
    /// Slot ids taken by upcoming appointments, handed out in order.
    booked_slots: Vec<(String, u32, DateTime<FixedOffset>)>,
    next_booked: usize,
}

/// Streams every resource of the clinic into `sink`.
pub fn generate(options: &DemoOptions, sink: &mut dyn FnMut(Value)) {
    let practitioners = options.patients.div_ceil(PATIENTS_PER_PRACTITIONER).max(3);
    let mut clinic = Clinic {
        rng: fastrand::Rng::with_seed(options.seed),
        today: options.today,
        zone: FixedOffset::west_opt(6 * 3600).expect("valid offset"),
        practitioners,
        booked_slots: Vec::new(),
        next_booked: 0,
    };
    clinic.organization_and_places(sink);
    clinic.practitioners(sink);
    clinic.schedules_and_slots(options.patients, sink);
    for index in 0..options.patients {
        clinic.patient(index, sink);
    }
}

impl Clinic {
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.rng.usize(..items.len())]
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.f64() < p
    }

    fn at(&self, date: NaiveDate, hour: u32, minute: u32) -> DateTime<FixedOffset> {
        self.zone.from_local_datetime(&date.and_hms_opt(hour, minute, 0).expect("valid time")).single().expect("fixed offset")
    }

    fn organization_and_places(&mut self, sink: &mut dyn FnMut(Value)) {
        sink(json!({"resourceType": "Organization", "id": "org-1", "active": true, "name": "Prairie Family Health Partners",
            "telecom": [{"system": "phone", "value": "(217) 555-0100"}]}));
        for (i, name) in names::LOCATIONS.iter().enumerate() {
            let (city, state, zip) = names::CITIES[i % names::CITIES.len()];
            sink(json!({"resourceType": "Location", "id": format!("loc-{}", i + 1), "status": "active", "name": name,
                "address": {"line": [format!("{} {}", 100 + i * 250, names::STREETS[i])], "city": city, "state": state, "postalCode": zip},
                "managingOrganization": {"reference": "Organization/org-1"}}));
        }
    }

    fn practitioner_name(&self, index: u32) -> (String, String) {
        let given = names::GIVEN_FEMALE.iter().chain(names::GIVEN_MALE).nth((index as usize * 7) % 100).copied().unwrap_or("Alex");
        let family = names::FAMILY[(index as usize * 13 + 5) % names::FAMILY.len()];
        (given.to_string(), family.to_string())
    }

    fn practitioners(&mut self, sink: &mut dyn FnMut(Value)) {
        for p in 1..=self.practitioners {
            let (given, family) = self.practitioner_name(p);
            sink(json!({"resourceType": "Practitioner", "id": format!("prac-{p}"), "active": true,
                "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": format!("19{:08}", p)}],
                "name": [{"use": "official", "family": family, "given": [given], "prefix": ["Dr."]}]}));
            let specialty = catalog::SPECIALTIES[p as usize % catalog::SPECIALTIES.len()];
            sink(json!({"resourceType": "PractitionerRole", "id": format!("role-{p}"), "active": true,
                "practitioner": {"reference": format!("Practitioner/prac-{p}")},
                "organization": {"reference": "Organization/org-1"},
                "location": [{"reference": format!("Location/loc-{}", self.location_of(p))}],
                "specialty": [{"text": specialty}]}));
        }
    }

    fn location_of(&self, practitioner: u32) -> usize {
        (practitioner as usize - 1) % names::LOCATIONS.len() + 1
    }

    /// One schedule per practitioner; half-hour slots on weekdays for the coming three weeks. About a
    /// third of patients hold an upcoming appointment, and those slots are busy.
    fn schedules_and_slots(&mut self, patients: u32, sink: &mut dyn FnMut(Value)) {
        let mut slots = Vec::new();
        for p in 1..=self.practitioners {
            sink(json!({"resourceType": "Schedule", "id": format!("sched-{p}"), "active": true,
                "actor": [{"reference": format!("Practitioner/prac-{p}")}, {"reference": format!("Location/loc-{}", self.location_of(p))}],
                "planningHorizon": {"start": self.today.to_string(), "end": (self.today + Duration::days(SLOT_DAYS)).to_string()}}));
            for day in 1..=SLOT_DAYS {
                let date = self.today + Duration::days(day);
                if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
                    continue;
                }
                for half_hour in 0..16 {
                    let start = self.at(date, 8 + half_hour / 2, 30 * (half_hour % 2));
                    slots.push((format!("slot-{p}-{}-{half_hour}", date.format("%Y%m%d")), p, start));
                }
            }
        }
        let wanted = (patients as usize).div_ceil(3).min(slots.len() * 6 / 10);
        let mut order: Vec<usize> = (0..slots.len()).collect();
        self.rng.shuffle(&mut order);
        let mut busy = vec![false; slots.len()];
        for &i in &order[..wanted] {
            busy[i] = true;
        }
        for (i, (id, p, start)) in slots.iter().enumerate() {
            sink(json!({"resourceType": "Slot", "id": id, "schedule": {"reference": format!("Schedule/sched-{p}")},
                "status": if busy[i] { "busy" } else { "free" },
                "start": start.to_rfc3339(), "end": (*start + Duration::minutes(30)).to_rfc3339()}));
        }
        self.booked_slots = order[..wanted].iter().map(|&i| slots[i].clone()).collect();
    }

    fn patient(&mut self, index: u32, sink: &mut dyn FnMut(Value)) {
        let id = format!("pat-{:06}", index + 1);
        // Every tenth patient lives with the previous one and shares the household phone.
        let household = if index % 10 == 9 { index - 1 } else { index };
        let mut household_rng = fastrand::Rng::with_seed(0x5eed ^ u64::from(household));
        let family = names::FAMILY[household_rng.usize(..names::FAMILY.len())];
        let phone = format!("(217) 5{:02}-{:04}", household_rng.u32(10..100), household_rng.u32(0..10000));
        let street = format!("{} {}", household_rng.u32(10..9999), names::STREETS[household_rng.usize(..names::STREETS.len())]);
        let (city, state, zip) = names::CITIES[household_rng.usize(..names::CITIES.len())];
        let female = self.chance(0.52);
        let given = *self.pick(if female { names::GIVEN_FEMALE } else { names::GIVEN_MALE });
        let middle = *self.pick(if female { names::GIVEN_FEMALE } else { names::GIVEN_MALE });
        let age_days = self.rng.i64(1..(90 * 365));
        let birth = self.today - Duration::days(age_days);
        let practitioner = self.rng.u32(1..=self.practitioners);
        let mut telecom = vec![json!({"system": "phone", "value": phone, "use": "home"})];
        if self.chance(0.6) {
            telecom.push(json!({"system": "phone", "use": "mobile",
                "value": format!("217-5{:02}-{:04}", self.rng.u32(10..100), self.rng.u32(0..10000))}));
        }
        let mut patient = json!({"resourceType": "Patient", "id": id, "active": true,
            "identifier": [{"use": "usual", "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}], "text": "MRN"},
                "system": MRN_SYSTEM, "value": format!("MRN{:07}", 1_000_000 + index)}],
            "name": [{"use": "official", "family": family, "given": [given, middle]}],
            "telecom": telecom, "gender": if female { "female" } else { "male" }, "birthDate": birth.to_string(),
            "address": [{"use": "home", "line": [street], "city": city, "state": state, "postalCode": zip}],
            "generalPractitioner": [{"reference": format!("Practitioner/prac-{practitioner}")}],
            "communication": [{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": if self.chance(0.25) { "es" } else { "en" }}]}}]});
        if age_days < 18 * 365 {
            patient["contact"] = json!([{"relationship": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0131", "code": "N"}], "text": "Parent"}],
                "name": {"family": family, "given": [*self.pick(names::GIVEN_FEMALE)]}, "telecom": [{"system": "phone", "value": phone}]}]);
        }
        sink(patient);
        let subject = json!({"reference": format!("Patient/{id}")});
        // Every third patient holds one of the busy slots as an upcoming appointment.
        self.record(&id, &subject, practitioner, age_days, index.is_multiple_of(3), sink);
    }

    fn record(&mut self, id: &str, subject: &Value, practitioner: u32, age_days: i64, takes_slot: bool, sink: &mut dyn FnMut(Value)) {
        let practitioner_ref = json!({"reference": format!("Practitioner/prac-{practitioner}")});
        let location_ref = json!({"reference": format!("Location/loc-{}", self.location_of(practitioner))});
        let visits = self.rng.usize(1..=4);
        let mut visit_dates = Vec::new();
        for v in 0..visits {
            let date = self.today - Duration::days(self.rng.i64(3..(3 * 365).min(age_days.max(4))));
            let (hour, half) = (self.rng.u32(8..16), self.rng.u32(0..2));
            let start = self.at(date, hour, 30 * half);
            visit_dates.push(start);
            let (code, display) = *self.pick(catalog::VISIT_TYPES);
            let reason = *self.pick(catalog::VISIT_REASONS);
            sink(json!({"resourceType": "Encounter", "id": format!("enc-{id}-{v}"), "status": "finished",
                "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB", "display": "ambulatory"},
                "type": [{"coding": [{"system": "http://snomed.info/sct", "code": code, "display": display}], "text": display}],
                "subject": subject, "participant": [{"individual": practitioner_ref}],
                "period": {"start": start.to_rfc3339(), "end": (start + Duration::minutes(20)).to_rfc3339()},
                "reasonCode": [{"text": reason}], "location": [{"location": location_ref}]}));
        }
        for c in 0..self.rng.usize(0..=3) {
            let (code, display) = *self.pick(catalog::CONDITIONS);
            sink(json!({"resourceType": "Condition", "id": format!("cond-{id}-{c}"),
                "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
                "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category", "code": "problem-list-item"}]}],
                "code": {"coding": [{"system": "http://snomed.info/sct", "code": code, "display": display}], "text": display},
                "subject": subject, "onsetDateTime": visit_dates[0].to_rfc3339()}));
        }
        let allergies = if self.chance(0.3) { self.rng.usize(1..=2) } else { 0 };
        for a in 0..allergies {
            let (code, substance, reaction) = *self.pick(catalog::ALLERGENS);
            let severe = reaction == "Anaphylaxis";
            sink(json!({"resourceType": "AllergyIntolerance", "id": format!("alg-{id}-{a}"),
                "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "active"}]},
                "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "code": "confirmed"}]},
                "criticality": if severe { "high" } else { "low" },
                "code": {"coding": [{"system": "http://snomed.info/sct", "code": code, "display": substance}], "text": substance},
                "patient": subject, "reaction": [{"manifestation": [{"text": reaction}], "severity": if severe { "severe" } else { "mild" }}]}));
        }
        for m in 0..self.rng.usize(0..=4) {
            let (code, name, dosage) = *self.pick(catalog::MEDICATIONS);
            let authored = visit_dates[m % visit_dates.len()];
            let status = if self.chance(0.7) { "active" } else { *self.pick(&["completed", "stopped"]) };
            sink(json!({"resourceType": "MedicationRequest", "id": format!("medrx-{id}-{m}"), "status": status, "intent": "order",
                "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": code, "display": name}], "text": name},
                "subject": subject, "authoredOn": authored.to_rfc3339(), "requester": practitioner_ref,
                "dosageInstruction": [{"text": dosage}]}));
        }
        if self.chance(0.2) {
            sink(json!({"resourceType": "MedicationStatement", "id": format!("medst-{id}"), "status": "active",
                "medicationCodeableConcept": {"text": "Vitamin D3 1000 UNT Oral Tablet"}, "subject": subject,
                "dateAsserted": visit_dates[0].to_rfc3339(), "dosage": [{"text": "1 tablet by mouth daily (patient reported)"}]}));
        }
        self.labs(id, subject, &practitioner_ref, &visit_dates, sink);
        self.appointments(id, subject, &practitioner_ref, &location_ref, &visit_dates, takes_slot, sink);
        if self.chance(0.15) {
            let reason = *self.pick(catalog::TASK_REASONS);
            let days_ago = self.rng.i64(0..5);
            let authored = self.at(self.today - Duration::days(days_ago), 9, 0);
            let priority = *self.pick(&["routine", "routine", "urgent", "asap"]);
            // Due in the days ahead: the demo opens on a worklist with nothing late yet (the rules
            // escalate what becomes late, with an alert each).
            sink(json!({"resourceType": "Task", "id": format!("task-{id}"), "status": "requested", "intent": "order",
                "priority": priority, "description": reason, "for": subject, "authoredOn": authored.to_rfc3339(),
                "owner": {"display": "Nurse pool"}, "restriction": {"period": {"end": (authored + Duration::days(2 * days_ago.max(1) + 1)).to_rfc3339()}}}));
        }
        if self.chance(0.05) {
            sink(json!({"resourceType": "ServiceRequest", "id": format!("sr-{id}"), "status": "active", "intent": "order",
                "code": {"text": "Follow-up visit in 3 months"}, "subject": subject, "requester": practitioner_ref,
                "occurrenceDateTime": (self.today + Duration::days(self.rng.i64(-20..60))).to_string()}));
        }
        if self.chance(0.05) {
            sink(json!({"resourceType": "Communication", "id": format!("comm-{id}"), "status": "completed", "subject": subject,
                "sent": visit_dates[0].to_rfc3339(), "payload": [{"contentString": "Left voicemail asking patient to call back."}]}));
        }
        if self.chance(0.1) {
            sink(json!({"resourceType": "CommunicationRequest", "id": format!("commreq-{id}"), "status": "active", "subject": subject,
                "payload": [{"contentString": "Reminder: fasting labs before your next visit."}],
                "occurrenceDateTime": (self.today + Duration::days(7)).to_string()}));
        }
    }

    fn labs(&mut self, id: &str, subject: &Value, performer: &Value, visits: &[DateTime<FixedOffset>], sink: &mut dyn FnMut(Value)) {
        for (v, drawn) in visits.iter().enumerate() {
            if !self.chance(0.8) {
                continue;
            }
            let panels = self.rng.usize(1..=2);
            for k in 0..panels {
                let panel = &catalog::PANELS[(v + k + self.rng.usize(0..4)) % catalog::PANELS.len()];
                let mut results = Vec::new();
                for (t, test) in panel.tests.iter().enumerate() {
                    let obs_id = format!("obs-{id}-{v}-{k}-{t}");
                    sink(self.observation(&obs_id, test, subject, performer, drawn));
                    results.push(json!({"reference": format!("Observation/{obs_id}")}));
                }
                sink(json!({"resourceType": "DiagnosticReport", "id": format!("rpt-{id}-{v}-{k}"), "status": "final",
                    "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "LAB"}]}],
                    "code": {"coding": [{"system": "http://loinc.org", "code": panel.loinc, "display": panel.name}], "text": panel.name},
                    "subject": subject, "effectiveDateTime": drawn.to_rfc3339(), "issued": (*drawn + Duration::hours(6)).to_rfc3339(),
                    "performer": [performer], "result": results}));
            }
        }
    }

    fn observation(&mut self, obs_id: &str, test: &LabTest, subject: &Value, performer: &Value, drawn: &DateTime<FixedOffset>) -> Value {
        // Mostly normal results, with a tail of abnormal and a few critical ones.
        let spread = if self.chance(0.02) { 4.5 } else { 1.0 };
        let gaussian = (-2.0 * (1.0 - self.rng.f64()).ln()).sqrt() * (std::f64::consts::TAU * self.rng.f64()).cos();
        let value = (test.mean + gaussian * test.sd * spread).max(0.0);
        // Some labs send no interpretation: the flag then comes from the reference range.
        let interpreted = self.chance(0.85);
        lab_observation(obs_id, test, value, subject, performer, drawn, interpreted)
    }

    // The visit's parties and times, as the caller already holds them.
    #[allow(clippy::too_many_arguments)]
    fn appointments(
        &mut self,
        id: &str,
        subject: &Value,
        practitioner: &Value,
        location: &Value,
        visits: &[DateTime<FixedOffset>],
        takes_slot: bool,
        sink: &mut dyn FnMut(Value),
    ) {
        let participants = |patient: &Value, doctor: &Value, place: &Value| json!([{"actor": patient, "status": "accepted"}, {"actor": doctor, "status": "accepted"}, {"actor": place, "status": "accepted"}]);
        for (v, start) in visits.iter().enumerate() {
            sink(json!({"resourceType": "Appointment", "id": format!("appt-{id}-{v}"), "status": "fulfilled",
                "serviceType": [{"text": "Office visit"}], "description": "Office visit",
                "start": start.to_rfc3339(), "end": (*start + Duration::minutes(30)).to_rfc3339(),
                "participant": participants(subject, practitioner, location)}));
        }
        if self.chance(0.12) {
            let days_ago = self.rng.i64(5..200);
            let start = self.at(self.today - Duration::days(days_ago), 10, 0);
            let status = if self.chance(0.5) { "noshow" } else { "cancelled" };
            let mut appointment = json!({"resourceType": "Appointment", "id": format!("appt-{id}-x"), "status": status,
                "serviceType": [{"text": "Office visit"}], "start": start.to_rfc3339(), "end": (start + Duration::minutes(30)).to_rfc3339(),
                "participant": participants(subject, practitioner, location)});
            if status == "cancelled" {
                appointment["cancelationReason"] = json!({"text": "Patient request"});
            }
            sink(appointment);
        }
        if !takes_slot {
            return;
        }
        if let Some((slot, p, start)) = self.booked_slots.get(self.next_booked).cloned() {
            self.next_booked += 1;
            {
                let doctor = json!({"reference": format!("Practitioner/prac-{p}")});
                let place = json!({"reference": format!("Location/loc-{}", self.location_of(p))});
                sink(json!({"resourceType": "Appointment", "id": format!("appt-{id}-next"), "status": "booked",
                    "serviceType": [{"text": "Office visit"}], "reasonCode": [{"text": *self.pick(catalog::VISIT_REASONS)}],
                    "slot": [{"reference": format!("Slot/{slot}")}],
                    "start": start.to_rfc3339(), "end": (start + Duration::minutes(30)).to_rfc3339(),
                    "participant": participants(subject, &doctor, &place)}));
            }
        }
    }
}

/// A final lab result of `test` with `value` (rounded to the test's decimals), flagged from the test's
/// ranges when `interpreted`, drawn at `drawn` and issued six hours later.
pub(crate) fn lab_observation(
    obs_id: &str,
    test: &LabTest,
    value: f64,
    subject: &Value,
    performer: &Value,
    drawn: &DateTime<FixedOffset>,
    interpreted: bool,
) -> Value {
    let scale = 10f64.powi(test.decimals);
    let value = (value * scale).round() / scale;
    let interpretation = match (test.critical_low, test.critical_high, test.low, test.high) {
        (Some(cl), _, _, _) if value < cl => "LL",
        (_, Some(ch), _, _) if value > ch => "HH",
        (_, _, Some(l), _) if value < l => "L",
        (_, _, _, Some(h)) if value > h => "H",
        _ => "N",
    };
    let mut range = json!({});
    if let Some(low) = test.low {
        range["low"] = json!({"value": low, "unit": test.unit});
    }
    if let Some(high) = test.high {
        range["high"] = json!({"value": high, "unit": test.unit});
    }
    let mut observation = json!({"resourceType": "Observation", "id": obs_id, "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": test.loinc, "display": test.name}], "text": test.name},
        "subject": subject, "effectiveDateTime": drawn.to_rfc3339(), "issued": (*drawn + Duration::hours(6)).to_rfc3339(),
        "performer": [performer],
        "valueQuantity": {"value": value, "unit": test.unit, "system": "http://unitsofmeasure.org", "code": test.unit},
        "referenceRange": [range]});
    if interpreted {
        observation["interpretation"] =
            json!([{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code": interpretation}]}]);
    }
    observation
}
