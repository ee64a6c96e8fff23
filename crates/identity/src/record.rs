//! A Patient resource reduced to what identity compares: folded names, birth date, sex, phones in
//! E.164, emails, the address line and ZIP, and identifiers.

use chrono::{Datelike, NaiveDate};
use serde_json::Value;

/// One patient record in one source.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordKey {
    pub source: String,
    pub id: String,
}

impl RecordKey {
    pub fn new(source: &str, id: &str) -> Self {
        RecordKey { source: source.to_string(), id: id.to_string() }
    }
}

impl std::fmt::Display for RecordKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/Patient/{}", self.source, self.id)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Record {
    pub key: Option<RecordKey>,
    /// Given names, folded to lower-case ASCII, each with the names it may stand for (nicknames).
    pub given: Vec<String>,
    /// Family name parts (a hyphenated or compound name gives each part and the whole).
    pub family: Vec<String>,
    pub birth: Option<NaiveDate>,
    pub sex: Option<String>,
    /// E.164 numbers.
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    /// The first address line, folded and with common street words shortened, and the 5-digit ZIP.
    pub street: Option<String>,
    pub zip: Option<String>,
    /// (system, value).
    pub identifiers: Vec<(String, String)>,
    /// Ids of the records this source says replaced this one (`Patient.link` replaced-by).
    pub replaced_by: Vec<String>,
}

/// Folds a name to lower-case ASCII letters: accents dropped, punctuation gone ("O'Brien" → "obrien").
pub fn fold(text: &str) -> String {
    deunicode::deunicode(text).to_lowercase().chars().filter(|c| c.is_ascii_alphanumeric() || c.is_whitespace() || *c == '-').collect()
}

/// German umlauts are often written with an e (Müller, Mueller); the folded form drops it.
fn drop_umlaut_e(name: &str) -> String {
    name.replace("ae", "a").replace("oe", "o").replace("ue", "u")
}

impl Record {
    pub fn from_patient(source: &str, patient: &Value) -> Option<Record> {
        let id = patient["id"].as_str()?;
        let name = patient["name"].as_array().and_then(|names| names.iter().find(|n| n["use"] == "official").or(names.first()));
        let mut given = Vec::new();
        let mut family = Vec::new();
        if let Some(name) = name {
            for part in name["given"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                given.extend(fold(part).split_whitespace().map(str::to_string));
            }
            if let Some(whole) = name["family"].as_str() {
                let folded = fold(whole);
                let parts: Vec<&str> = folded.split(['-', ' ']).filter(|p| !p.is_empty()).collect();
                if parts.len() > 1 {
                    family.push(parts.concat());
                }
                family.extend(parts.iter().map(|p| p.to_string()));
            }
        }
        if !given_initial_only(&given) {
            given.retain(|g| g.len() > 1);
        }
        let telecom = patient["telecom"].as_array().into_iter().flatten();
        let mut phones = Vec::new();
        let mut emails = Vec::new();
        for contact in telecom {
            let Some(value) = contact["value"].as_str() else { continue };
            match contact["system"].as_str() {
                Some("email") => emails.push(value.trim().to_lowercase()),
                Some("phone" | "sms") | None => phones.extend(e164(value)),
                _ => {}
            }
        }
        let address = patient["address"].as_array().and_then(|a| a.first());
        let street = address.and_then(|a| a["line"].as_array()).and_then(|l| l.first()).and_then(Value::as_str).map(street_key);
        let zip = address.and_then(|a| a["postalCode"].as_str()).map(|z| z.chars().filter(char::is_ascii_digit).take(5).collect::<String>());
        let identifiers = patient["identifier"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| Some((i["system"].as_str()?.to_string(), i["value"].as_str()?.trim().to_string())))
            .collect();
        let replaced_by = patient["link"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|l| l["type"] == "replaced-by")
            .filter_map(|l| l["other"]["reference"].as_str()?.strip_prefix("Patient/").map(str::to_string))
            .collect();
        Some(Record {
            key: Some(RecordKey::new(source, id)),
            given,
            family,
            birth: patient["birthDate"].as_str().and_then(|d| NaiveDate::parse_from_str(d.get(..10)?, "%Y-%m-%d").ok()),
            sex: patient["gender"].as_str().filter(|g| matches!(*g, "male" | "female")).map(str::to_string),
            phones,
            emails,
            street: street.filter(|s| !s.is_empty()),
            zip: zip.filter(|z| z.len() == 5),
            identifiers,
            replaced_by,
        })
    }

    pub fn key(&self) -> &RecordKey {
        self.key.as_ref().expect("records made from a patient have a key")
    }

    /// The birth date with day and month swapped, when that is a date too and differs.
    pub fn birth_swapped(&self) -> Option<NaiveDate> {
        let birth = self.birth?;
        (birth.day() <= 12 && birth.day() != birth.month()).then(|| NaiveDate::from_ymd_opt(birth.year(), birth.day(), birth.month())).flatten()
    }

    /// The family names with the umlaut-e variants, for comparing.
    pub(crate) fn family_forms(&self) -> impl Iterator<Item = String> + '_ {
        self.family.iter().flat_map(|f| [f.clone(), drop_umlaut_e(f)])
    }
}

fn given_initial_only(given: &[String]) -> bool {
    given.iter().all(|g| g.len() <= 1)
}

/// A phone number in E.164 (US numbers without a country code assumed), or nothing when invalid.
fn e164(text: &str) -> Option<String> {
    let number = phonenumber::parse(Some(phonenumber::country::Id::US), text).ok()?;
    Some(number.format().mode(phonenumber::Mode::E164).to_string())
}

/// An address line as a key: folded, unit markers and common street words shortened.
fn street_key(line: &str) -> String {
    fold(line)
        .split_whitespace()
        .filter(|w| !matches!(*w, "apt" | "apartment" | "unit" | "suite" | "ste" | "no"))
        .map(|w| match w {
            "street" => "st",
            "avenue" => "ave",
            "road" => "rd",
            "drive" => "dr",
            "boulevard" => "blvd",
            "lane" => "ln",
            "court" => "ct",
            "place" => "pl",
            "north" => "n",
            "south" => "s",
            "east" => "e",
            "west" => "w",
            other => other.trim_start_matches('#'),
        })
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_patient_is_folded_into_comparable_parts() {
        let record = Record::from_patient(
            "ehr",
            &json!({"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1984-03-07",
                "name": [{"family": "García-López", "given": ["María José"]}],
                "telecom": [{"system": "phone", "value": "(617) 555-0142"}, {"system": "email", "value": " Maria@Example.org"}],
                "address": [{"line": ["12 North Elm Street, Apt #4"], "postalCode": "02139-1234"}],
                "identifier": [{"system": "urn:mrn", "value": "A1 "}],
                "link": [{"type": "replaced-by", "other": {"reference": "Patient/p2"}}]}),
        )
        .unwrap();
        assert_eq!(record.given, ["maria", "jose"]);
        assert_eq!(record.family, ["garcialopez", "garcia", "lopez"]);
        assert_eq!(record.phones, ["+16175550142"]);
        assert_eq!(record.emails, ["maria@example.org"]);
        assert_eq!(record.street.as_deref(), Some("12 n elm st 4"));
        assert_eq!(record.zip.as_deref(), Some("02139"));
        assert_eq!(record.identifiers, [("urn:mrn".to_string(), "A1".to_string())]);
        assert_eq!(record.birth_swapped(), NaiveDate::from_ymd_opt(1984, 7, 3));
        assert_eq!(record.replaced_by, ["p2"]);
    }

    #[test]
    fn phone_formats_agree() {
        for text in ["617.555.0142", "+1 617 555 0142", "6175550142", "(617) 555-0142"] {
            assert_eq!(e164(text).as_deref(), Some("+16175550142"), "{text}");
        }
    }
}
