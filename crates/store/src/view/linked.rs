//! What a person's linked records disagree on, in words: an allergy one clinical system records and
//! another does not, and a different phone number, name or birth date.

use super::fhir_values::{concept_text, person_name, str_at};
use super::Row;
use std::collections::{BTreeMap, BTreeSet};

/// Resource types that show a source keeps a clinical record (a scheduler keeps none).
const CLINICAL: &[&str] = &["Encounter", "Condition", "AllergyIntolerance", "MedicationRequest", "MedicationStatement"];

pub(super) fn conflicts(rows: &[Row]) -> Vec<String> {
    let patients: Vec<&Row> = rows.iter().filter(|r| r.kind == "Patient").collect();
    if patients.len() < 2 {
        return Vec::new();
    }
    let mut found = Vec::new();
    let clinical: BTreeSet<&str> = rows.iter().filter(|r| CLINICAL.contains(&r.kind.as_str())).map(|r| r.origin.source.as_str()).collect();
    let mut allergies: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for row in rows.iter().filter(|r| r.kind == "AllergyIntolerance" && str_at(&r.value, "/verificationStatus/coding/0/code") != Some("entered-in-error")) {
        if let Some(substance) = concept_text(row.value.get("code")) {
            allergies.entry(substance).or_default().insert(row.origin.source.as_str());
        }
    }
    for (substance, holders) in &allergies {
        let lacking: Vec<&str> = clinical.iter().filter(|s| !holders.contains(*s)).copied().collect();
        if !lacking.is_empty() {
            let held: Vec<&str> = holders.iter().copied().collect();
            found.push(format!("Allergy to {substance} is recorded in {}, not in {}", held.join(", "), lacking.join(", ")));
        }
    }
    let differs = |what: &str, value: &dyn Fn(&Row) -> Option<String>| {
        let values: BTreeMap<&str, String> = patients.iter().filter_map(|p| Some((p.origin.source.as_str(), value(p)?))).collect();
        let distinct: BTreeSet<&String> = values.values().collect();
        (distinct.len() > 1).then(|| format!("{what} differs: {}", values.iter().map(|(s, v)| format!("{s} has {v}")).collect::<Vec<_>>().join(", ")))
    };
    // A name differs when the first given or the family name does (a middle name one system dropped does not).
    let key = |p: &Row| {
        let name = &p.value["name"][0];
        format!("{} {}", name["given"][0].as_str().unwrap_or_default(), name["family"].as_str().unwrap_or_default()).to_lowercase()
    };
    if patients.iter().map(|p| key(p)).collect::<BTreeSet<_>>().len() > 1 {
        found.extend(differs("Name", &|p| person_name(&p.value)));
    }
    found.extend(differs("Birth date", &|p| str_at(&p.value, "/birthDate").map(str::to_string)));
    // Phones differ when two records share no number (a system keeping one of two numbers is not a conflict).
    let phones: BTreeMap<&str, BTreeSet<String>> = patients.iter().map(|p| (p.origin.source.as_str(), phones_of(p))).filter(|(_, n)| !n.is_empty()).collect();
    let sets: Vec<&BTreeSet<String>> = phones.values().collect();
    if sets.iter().enumerate().any(|(i, a)| sets[i + 1..].iter().any(|b| a.is_disjoint(b))) {
        let listed: Vec<String> = phones.iter().map(|(s, n)| format!("{s} has {}", n.iter().cloned().collect::<Vec<_>>().join(" or "))).collect();
        found.push(format!("Phone differs: {}", listed.join(", ")));
    }
    found
}

/// A record's phone numbers as their last ten digits.
fn phones_of(patient: &Row) -> BTreeSet<String> {
    patient.value["telecom"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["system"] == "phone")
        .filter_map(|t| t["value"].as_str())
        .map(|v| v.chars().filter(char::is_ascii_digit).collect::<String>())
        .map(|d| d[d.len().saturating_sub(10)..].to_string())
        .collect()
}
