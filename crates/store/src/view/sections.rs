//! The sections of the workspace view and how each is read from its resources.

use super::fhir_values::{concept_text, first_concept_text, owned_at, person_name, str_at, Lookup};
use super::{Origin, Row};
use crate::error::StoreError;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use switchboard_core::status::{ACTIVE_MEDICATION, OPEN_TASK};

/// Who the patient is: enough to tell two "Maria Garcia"s apart.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct Banner {
    pub id: String,
    pub name: Option<String>,
    pub family: Option<String>,
    pub given: Option<String>,
    pub gender: Option<String>,
    pub birth_date: Option<String>,
    pub age: Option<u32>,
    pub mrn: Option<String>,
    pub phones: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct PatientSection {
    #[serde(flatten)]
    pub banner: Banner,
    pub address: Option<String>,
    #[serde(flatten)]
    pub origin: Origin,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct Allergy {
    pub id: String,
    pub substance: Option<String>,
    pub criticality: Option<String>,
    pub status: Option<String>,
    pub reactions: Vec<String>,
    #[serde(flatten)]
    pub origin: Origin,
}

/// A problem on the patient's list (a Condition), current or in remission; resolved ones are history.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct Problem {
    pub id: String,
    pub condition: Option<String>,
    pub status: Option<String>,
    pub onset: Option<String>,
    #[serde(flatten)]
    pub origin: Origin,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct Encounter {
    pub id: String,
    pub date: Option<String>,
    pub status: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub practitioner: Option<String>,
    pub location: Option<String>,
    pub reason: Option<String>,
    #[serde(flatten)]
    pub origin: Origin,
}

#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct Medications {
    pub active: Vec<Medication>,
    pub past: Vec<Medication>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct Medication {
    pub id: String,
    pub name: Option<String>,
    pub dosage: Option<String>,
    pub status: Option<String>,
    pub date: Option<String>,
    /// MedicationRequest (prescribed) or MedicationStatement (reported).
    pub kind: String,
    #[serde(flatten)]
    pub origin: Origin,
}

/// One test (by code) with its latest result and its history, newest first.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct LabTest {
    pub code: String,
    pub name: Option<String>,
    pub category: Option<String>,
    pub unit: Option<String>,
    pub range: Option<String>,
    pub latest: LabResult,
    pub history: Vec<LabResult>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct LabResult {
    pub id: String,
    pub date: Option<String>,
    pub value: Option<String>,
    pub numeric: Option<f64>,
    pub status: Option<String>,
    /// normal, low, high, abnormal, critical-low, critical-high or critical; none when unknown.
    pub flag: Option<String>,
    /// Other systems that reported the same result (a person linked across sources).
    pub also_in: Vec<String>,
    #[serde(flatten)]
    pub origin: Origin,
}

#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct Appointments {
    pub upcoming: Vec<Appointment>,
    pub past: Vec<Appointment>,
    pub cancelled: Vec<Appointment>,
    pub no_shows: Vec<Appointment>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct Appointment {
    pub id: String,
    pub start: Option<String>,
    pub end: Option<String>,
    pub status: Option<String>,
    pub service: Option<String>,
    pub practitioner: Option<String>,
    pub location: Option<String>,
    pub reason: Option<String>,
    #[serde(flatten)]
    pub origin: Origin,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct TaskItem {
    pub id: String,
    pub description: Option<String>,
    pub status: Option<String>,
    pub priority: Option<String>,
    pub owner: Option<String>,
    pub due: Option<String>,
    pub authored: Option<String>,
    /// The rule that made it, for tasks made by rules.
    pub rule: Option<String>,
    /// Why it exists, in words: the rule, the triggering resource and its values.
    pub why: Option<String>,
    #[serde(flatten)]
    pub origin: Origin,
}

pub fn banner_of(id: &str, patient: &Value, today: NaiveDate) -> Banner {
    let official =
        patient.get("name").and_then(Value::as_array).and_then(|names| names.iter().find(|n| str_at(n, "/use") == Some("official")).or(names.first()));
    let birth_date = owned_at(patient, "/birthDate");
    let age = birth_date.as_deref().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()).map(|born| {
        let had_birthday = (today.month(), today.day()) >= (born.month(), born.day());
        (today.year() - born.year() - i32::from(!had_birthday)).max(0) as u32
    });
    let identifiers = patient.get("identifier").and_then(Value::as_array).into_iter().flatten();
    let mrn = identifiers
        .clone()
        .find(|i| i.pointer("/type/coding").and_then(Value::as_array).into_iter().flatten().any(|c| str_at(c, "/code") == Some("MR")))
        .or_else(|| identifiers.clone().next())
        .and_then(|i| owned_at(i, "/value"));
    let phones = patient
        .get("telecom")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|t| matches!(str_at(t, "/system"), Some("phone" | "sms") | None))
        .filter_map(|t| owned_at(t, "/value"))
        .collect();
    Banner {
        id: id.to_string(),
        name: person_name(patient),
        family: official.and_then(|n| owned_at(n, "/family")),
        given: official.and_then(|n| n.get("given")?.as_array()?.first()?.as_str().map(str::to_string)),
        gender: owned_at(patient, "/gender"),
        birth_date,
        age,
        mrn,
        phones,
    }
}

pub(crate) fn allergy(row: &Row) -> Option<Allergy> {
    let status = row.value.pointer("/clinicalStatus/coding/0/code").and_then(Value::as_str).map(str::to_string);
    if str_at(&row.value, "/verificationStatus/coding/0/code") == Some("entered-in-error") {
        return None;
    }
    let reactions = row
        .value
        .get("reaction")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|r| {
            let severity = owned_at(r, "/severity");
            r.get("manifestation").and_then(Value::as_array).into_iter().flatten().filter_map(move |m| {
                concept_text(Some(m)).map(|t| match &severity {
                    Some(s) => format!("{t} ({s})"),
                    None => t,
                })
            })
        })
        .collect();
    Some(Allergy {
        id: row.id.clone(),
        substance: concept_text(row.value.get("code")),
        criticality: owned_at(&row.value, "/criticality"),
        status,
        reactions,
        origin: row.origin.clone(),
    })
}

/// Conditions a clinician still has to keep in mind: not entered in error, not resolved or inactive.
pub(crate) fn problem(row: &Row) -> Option<Problem> {
    let status = owned_at(&row.value, "/clinicalStatus/coding/0/code");
    let past = matches!(status.as_deref(), Some("resolved" | "inactive"));
    if past || str_at(&row.value, "/verificationStatus/coding/0/code") == Some("entered-in-error") {
        return None;
    }
    Some(Problem {
        id: row.id.clone(),
        condition: concept_text(row.value.get("code")),
        status,
        onset: owned_at(&row.value, "/onsetDateTime").or_else(|| owned_at(&row.value, "/onsetPeriod/start")),
        origin: row.origin.clone(),
    })
}

pub(crate) fn encounters<'r>(rows: impl Iterator<Item = &'r Row>, lookup: &Lookup) -> Result<Vec<Encounter>, StoreError> {
    let mut list = Vec::new();
    for row in rows {
        let v = &row.value;
        list.push(Encounter {
            id: row.id.clone(),
            date: owned_at(v, "/period/start"),
            status: owned_at(v, "/status"),
            kind: first_concept_text(v, "type").or_else(|| owned_at(v, "/class/display")),
            practitioner: lookup.name_in(&row.origin.source, v.pointer("/participant/0/individual"))?,
            location: lookup.name_in(&row.origin.source, v.pointer("/location/0/location"))?,
            reason: first_concept_text(v, "reasonCode").or_else(|| owned_at(v, "/reasonReference/0/display")),
            origin: row.origin.clone(),
        });
    }
    list.sort_by(|a, b| b.date.cmp(&a.date));
    Ok(list)
}

pub(crate) fn medications<'r>(rows: impl Iterator<Item = &'r Row>) -> Medications {
    let mut meds = Medications::default();
    for row in rows {
        let v = &row.value;
        let status = owned_at(v, "/status");
        if status.as_deref() == Some("entered-in-error") {
            continue;
        }
        let medication = Medication {
            id: row.id.clone(),
            name: concept_text(v.get("medicationCodeableConcept")).or_else(|| owned_at(v, "/medicationReference/display")),
            dosage: owned_at(v, "/dosageInstruction/0/text").or_else(|| owned_at(v, "/dosage/0/text")),
            date: owned_at(v, "/authoredOn")
                .or_else(|| owned_at(v, "/effectivePeriod/start"))
                .or_else(|| owned_at(v, "/effectiveDateTime"))
                .or_else(|| owned_at(v, "/dateAsserted")),
            kind: row.kind.clone(),
            status,
            origin: row.origin.clone(),
        };
        if medication.status.as_deref().is_some_and(|s| ACTIVE_MEDICATION.contains(&s)) {
            meds.active.push(medication);
        } else {
            meds.past.push(medication);
        }
    }
    meds.active.sort_by(|a, b| a.name.cmp(&b.name));
    meds.past.sort_by(|a, b| b.date.cmp(&a.date));
    meds
}

pub(crate) fn labs<'r>(rows: impl Iterator<Item = &'r Row>) -> Vec<LabTest> {
    let mut by_code: BTreeMap<String, Vec<&Row>> = BTreeMap::new();
    for row in rows {
        if matches!(str_at(&row.value, "/status"), Some("entered-in-error" | "cancelled")) {
            continue;
        }
        let code = str_at(&row.value, "/code/coding/0/code")
            .map(str::to_string)
            .or_else(|| concept_text(row.value.get("code")))
            .unwrap_or_else(|| "unknown".to_string());
        by_code.entry(code).or_default().push(row);
    }
    let mut tests: Vec<LabTest> = by_code
        .into_iter()
        .map(|(code, mut rows)| {
            rows.sort_by(|a, b| effective(&b.value).cmp(&effective(&a.value)));
            let latest = rows[0];
            let history = same_results_once(rows.iter().map(|r| lab_result(r)));
            LabTest {
                code,
                name: concept_text(latest.value.get("code")),
                category: latest.value.pointer("/category/0/coding/0/code").and_then(Value::as_str).map(str::to_string),
                unit: owned_at(&latest.value, "/valueQuantity/unit"),
                range: range_text(latest.value.pointer("/referenceRange/0")),
                latest: history[0].clone(),
                history,
            }
        })
        .collect();
    // Tests needing attention first, then by name.
    tests.sort_by_key(|t| (flag_rank(t.latest.flag.as_deref()), t.name.clone()));
    tests
}

/// One result reported by two systems (a linked person's: same code, time and value) is shown once,
/// naming the other systems.
fn same_results_once(results: impl Iterator<Item = LabResult>) -> Vec<LabResult> {
    let mut kept: Vec<LabResult> = Vec::new();
    for result in results {
        match kept.iter_mut().find(|k| same_moment(&k.date, &result.date) && k.value == result.value && k.origin.source != result.origin.source) {
            Some(same) if !same.also_in.contains(&result.origin.source) => same.also_in.push(result.origin.source),
            Some(_) => {}
            None => kept.push(result),
        }
    }
    kept
}

/// Two systems may write one instant differently (`Z` or `+00:00`, another offset).
fn same_moment(a: &Option<String>, b: &Option<String>) -> bool {
    let instant = |t: &Option<String>| t.as_deref().and_then(|t| DateTime::parse_from_rfc3339(t).ok());
    match (instant(a), instant(b)) {
        (Some(a), Some(b)) => a == b,
        _ => a == b,
    }
}

fn effective(v: &Value) -> Option<&str> {
    str_at(v, "/effectiveDateTime").or_else(|| str_at(v, "/effectivePeriod/start")).or_else(|| str_at(v, "/issued"))
}

fn lab_result(row: &Row) -> LabResult {
    let v = &row.value;
    let numeric = v.pointer("/valueQuantity/value").and_then(Value::as_f64);
    let value = match numeric {
        Some(n) => Some(format!("{n} {}", str_at(v, "/valueQuantity/unit").unwrap_or_default()).trim_end().to_string()),
        None => owned_at(v, "/valueString").or_else(|| concept_text(v.get("valueCodeableConcept"))),
    };
    LabResult {
        id: row.id.clone(),
        date: effective(v).map(str::to_string),
        value,
        numeric,
        status: owned_at(v, "/status"),
        flag: flag(v, numeric),
        also_in: Vec::new(),
        origin: row.origin.clone(),
    }
}

/// The abnormal flag: from the interpretation when the lab gave one, else from the reference range.
pub fn flag(observation: &Value, numeric: Option<f64>) -> Option<String> {
    let interpretation = observation.pointer("/interpretation/0/coding/0/code").and_then(Value::as_str);
    let from_code = match interpretation {
        Some("N") => Some("normal"),
        Some("L") => Some("low"),
        Some("H") => Some("high"),
        Some("A") => Some("abnormal"),
        Some("LL" | "<") => Some("critical-low"),
        Some("HH" | ">") => Some("critical-high"),
        Some("AA") => Some("critical"),
        _ => None,
    };
    if let Some(flag) = from_code {
        return Some(flag.to_string());
    }
    let value = numeric?;
    let range = observation.pointer("/referenceRange/0")?;
    let low = range.pointer("/low/value").and_then(Value::as_f64);
    let high = range.pointer("/high/value").and_then(Value::as_f64);
    if low.is_none() && high.is_none() {
        return None;
    }
    let flag = match (low, high) {
        (Some(low), _) if value < low => "low",
        (_, Some(high)) if value > high => "high",
        _ => "normal",
    };
    Some(flag.to_string())
}

fn flag_rank(flag: Option<&str>) -> u8 {
    match flag {
        Some(f) if f.starts_with("critical") => 0,
        Some("normal") | None => 2,
        Some(_) => 1,
    }
}

fn range_text(range: Option<&Value>) -> Option<String> {
    let range = range?;
    if let Some(text) = range.get("text").and_then(Value::as_str) {
        return Some(text.to_string());
    }
    let value = |p: &str| range.pointer(p).and_then(Value::as_f64);
    let unit = str_at(range, "/low/unit").or_else(|| str_at(range, "/high/unit")).unwrap_or_default();
    let text = match (value("/low/value"), value("/high/value")) {
        (Some(l), Some(h)) => format!("{l}-{h} {unit}"),
        (Some(l), None) => format!(">= {l} {unit}"),
        (None, Some(h)) => format!("<= {h} {unit}"),
        (None, None) => return None,
    };
    Some(text.trim_end().to_string())
}

pub(crate) fn appointments<'r>(rows: impl Iterator<Item = &'r Row>, lookup: &Lookup, now: DateTime<Utc>) -> Result<Appointments, StoreError> {
    let mut appts = Appointments::default();
    for row in rows {
        let v = &row.value;
        let actor = |kind: &str| {
            v.get("participant")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|p| p.get("actor"))
                .find(|a| str_at(a, "/reference").is_some_and(|r| r.contains(&format!("{kind}/"))))
        };
        let appointment = Appointment {
            id: row.id.clone(),
            start: owned_at(v, "/start"),
            end: owned_at(v, "/end"),
            status: owned_at(v, "/status"),
            service: first_concept_text(v, "serviceType").or_else(|| first_concept_text(v, "appointmentType")),
            practitioner: lookup.name_in(&row.origin.source, actor("Practitioner"))?,
            location: lookup.name_in(&row.origin.source, actor("Location"))?,
            reason: first_concept_text(v, "reasonCode").or_else(|| owned_at(v, "/description")),
            origin: row.origin.clone(),
        };
        let starts_later = appointment.start.as_deref().and_then(|s| DateTime::parse_from_rfc3339(s).ok()).is_some_and(|s| s.with_timezone(&Utc) >= now);
        match appointment.status.as_deref() {
            Some("cancelled") => appts.cancelled.push(appointment),
            Some("noshow") => appts.no_shows.push(appointment),
            Some("entered-in-error") => {}
            _ if starts_later => appts.upcoming.push(appointment),
            _ => appts.past.push(appointment),
        }
    }
    appts.upcoming.sort_by(|a, b| a.start.cmp(&b.start));
    for list in [&mut appts.past, &mut appts.cancelled, &mut appts.no_shows] {
        list.sort_by(|a, b| b.start.cmp(&a.start));
    }
    Ok(appts)
}

pub(crate) fn open_tasks<'r>(rows: impl Iterator<Item = &'r Row>) -> Vec<TaskItem> {
    let mut tasks: Vec<TaskItem> = rows.filter_map(open_task).collect();
    tasks.sort_by(|a, b| a.due.cmp(&b.due));
    tasks
}

/// A Task still to be done, or `None` when it is closed.
pub(crate) fn open_task(row: &Row) -> Option<TaskItem> {
    let v = &row.value;
    if !str_at(v, "/status").is_some_and(|s| OPEN_TASK.contains(&s)) {
        return None;
    }
    Some(TaskItem {
        id: row.id.clone(),
        description: owned_at(v, "/description").or_else(|| concept_text(v.get("code"))),
        status: owned_at(v, "/status"),
        priority: owned_at(v, "/priority"),
        owner: owned_at(v, "/owner/display").or_else(|| owned_at(v, "/owner/reference")),
        due: owned_at(v, "/restriction/period/end"),
        authored: owned_at(v, "/authoredOn"),
        rule: crate::index::rule_that_made(v).map(str::to_string),
        why: owned_at(v, "/reasonCode/text"),
        origin: row.origin.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flags_prefer_interpretation_then_range() {
        let critical = json!({"interpretation": [{"coding": [{"code": "HH"}]}], "referenceRange": [{"high": {"value": 5.1}}]});
        assert_eq!(flag(&critical, Some(6.9)).as_deref(), Some("critical-high"));
        let by_range = json!({"referenceRange": [{"low": {"value": 3.5}, "high": {"value": 5.1}}]});
        assert_eq!(flag(&by_range, Some(3.1)).as_deref(), Some("low"));
        assert_eq!(flag(&by_range, Some(4.0)).as_deref(), Some("normal"));
        assert_eq!(flag(&by_range, Some(5.2)).as_deref(), Some("high"));
        assert_eq!(flag(&json!({}), Some(1.0)), None);
    }

    #[test]
    fn banner_reads_age_mrn_and_phones() {
        let patient = json!({
            "name": [{"use": "official", "family": "Garcia", "given": ["Maria"]}],
            "gender": "female", "birthDate": "1980-11-27",
            "identifier": [{"system": "ssn", "value": "1"}, {"type": {"coding": [{"code": "MR"}]}, "value": "MRN7"}],
            "telecom": [{"system": "phone", "value": "555-0101"}, {"system": "email", "value": "m@x"}]
        });
        let banner = banner_of("p1", &patient, NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
        assert_eq!(banner.age, Some(45));
        assert_eq!(banner.mrn.as_deref(), Some("MRN7"));
        assert_eq!(banner.phones, vec!["555-0101"]);
        assert_eq!(banner.name.as_deref(), Some("Maria Garcia"));
    }
}
