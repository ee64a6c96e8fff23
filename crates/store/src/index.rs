//! What the cache indexes about a resource: the patient it belongs to, and a patient's search tokens.

use chrono::NaiveDate;
use serde_json::Value;
use switchboard_core::reference::id_of;

/// The id of the patient a resource is about, from the element that names the patient in that type.
pub fn patient_of(resource_type: &str, id: &str, resource: &Value) -> Option<String> {
    let reference = match resource_type {
        "Patient" => return Some(id.to_string()),
        "AllergyIntolerance" => resource.pointer("/patient/reference"),
        "Task" => resource.pointer("/for/reference"),
        "Appointment" => resource
            .get("participant")?
            .as_array()?
            .iter()
            .filter_map(|p| p.pointer("/actor/reference"))
            .find(|r| r.as_str().is_some_and(|r| r.contains("Patient/"))),
        _ => resource.pointer("/subject/reference"),
    }?;
    id_of(reference.as_str()?, "Patient")
}

/// The rule that made a resource, from its rule identifier (`urn:switchboard:rule|<rule>:<key>`).
pub fn rule_that_made(resource: &Value) -> Option<&str> {
    resource["identifier"].as_array()?.iter().find(|i| i["system"] == switchboard_core::RULE_SYSTEM)?["value"].as_str()?.split(':').next()
}

/// Lower-case ASCII words: "Núñez-García" -> ["nunez", "garcia"].
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    let folded = deunicode::deunicode(text).to_lowercase();
    folded.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect::<Vec<_>>().into_iter()
}

/// Identifier values compared without case or punctuation: "MRN-00123" -> "mrn00123".
pub fn identifier_key(value: &str) -> String {
    value.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// The digit strings a phone is found by: its national number and its full international form.
pub fn phone_keys(value: &str, region: phonenumber::country::Id) -> Vec<String> {
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    let mut keys = Vec::new();
    if let Ok(number) = phonenumber::parse(Some(region), value) {
        keys.push(number.national().value().to_string());
        keys.push(format!("{}{}", number.code().value(), number.national().value()));
    }
    if digits.len() >= 4 && !keys.contains(&digits) {
        keys.push(digits);
    }
    keys.dedup();
    keys
}

/// Search tokens of a Patient resource.
pub fn patient_tokens(patient: &Value, region: phonenumber::country::Id) -> Vec<String> {
    let mut tokens = Vec::new();
    for name in patient.get("name").and_then(Value::as_array).into_iter().flatten() {
        let parts =
            name.get("given").and_then(Value::as_array).into_iter().flatten().chain(name.get("family")).chain(name.get("text")).filter_map(Value::as_str);
        for part in parts {
            tokens.extend(words(part).map(|w| format!("n:{w}")));
        }
    }
    if let Some(date) = patient.get("birthDate").and_then(Value::as_str).and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()) {
        tokens.push(format!("d:{}", date.format("%Y%m%d")));
    }
    let telecoms = patient.get("telecom").and_then(Value::as_array).into_iter().flatten();
    let contact_telecoms =
        patient.get("contact").and_then(Value::as_array).into_iter().flatten().filter_map(|c| c.get("telecom").and_then(Value::as_array)).flatten();
    for telecom in telecoms.chain(contact_telecoms) {
        let system = telecom.get("system").and_then(Value::as_str).unwrap_or("phone");
        if let (true, Some(value)) = (matches!(system, "phone" | "sms"), telecom.get("value").and_then(Value::as_str)) {
            tokens.extend(phone_keys(value, region).into_iter().map(|k| format!("p:{k}")));
        }
    }
    for identifier in patient.get("identifier").and_then(Value::as_array).into_iter().flatten() {
        if let Some(value) = identifier.get("value").and_then(Value::as_str) {
            let key = identifier_key(value);
            if !key.is_empty() {
                tokens.push(format!("i:{key}"));
            }
        }
    }
    tokens.sort();
    tokens.dedup();
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_the_patient_of_each_type() {
        let obs = json!({"subject": {"reference": "Patient/p1"}});
        assert_eq!(patient_of("Observation", "o1", &obs).as_deref(), Some("p1"));
        let allergy = json!({"patient": {"reference": "http://h/fhir/Patient/p2/_history/1"}});
        assert_eq!(patient_of("AllergyIntolerance", "a", &allergy).as_deref(), Some("p2"));
        let appt = json!({"participant": [{"actor": {"reference": "Practitioner/d"}}, {"actor": {"reference": "Patient/p3"}}]});
        assert_eq!(patient_of("Appointment", "a", &appt).as_deref(), Some("p3"));
        assert_eq!(patient_of("Task", "t", &json!({"for": {"reference": "Patient/p4"}})).as_deref(), Some("p4"));
        assert_eq!(patient_of("Slot", "s", &json!({})), None);
        assert_eq!(patient_of("Patient", "p5", &json!({})).as_deref(), Some("p5"));
    }

    #[test]
    fn tokens_fold_accents_and_read_phones() {
        let patient = json!({
            "name": [{"family": "Núñez-García", "given": ["José", "María"]}],
            "birthDate": "1980-03-05",
            "telecom": [{"system": "phone", "value": "(555) 201-3344"}, {"system": "email", "value": "x@y.z"}],
            "identifier": [{"type": {"coding": [{"code": "MR"}]}, "value": "MRN-00042"}]
        });
        let tokens = patient_tokens(&patient, phonenumber::country::Id::US);
        for expected in ["n:nunez", "n:garcia", "n:jose", "n:maria", "d:19800305", "p:5552013344", "p:15552013344", "i:mrn00042"] {
            assert!(tokens.contains(&expected.to_string()), "{expected} missing from {tokens:?}");
        }
        assert!(!tokens.iter().any(|t| t.contains('@')));
    }
}
