//! Who is calling: a number in any format, read as E.164 in the clinic's region, matched against every
//! cached patient's phones and their contacts' (related persons') phones. A household shares a number,
//! so one number can match several patients.

use crate::db::Store;
use crate::error::StoreError;
use crate::search::PatientHit;
use crate::view::banner_of;
use chrono::NaiveDate;
use phonenumber::{country, Mode, PhoneNumber};
use rusqlite::params;
use serde::Serialize;
use serde_json::Value;

/// How a patient matched the number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase", tag = "kind")]
pub enum CallerVia {
    /// The patient's own phone.
    Patient,
    /// A contact's phone: who they are to the patient (e.g. "mother") and their name.
    Contact { name: Option<String>, relationship: Option<String> },
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct CallerMatch {
    #[serde(flatten)]
    pub hit: PatientHit,
    pub via: CallerVia,
}

/// The number in E.164 (`+12175550101`), read in `region` when it has no country code.
fn to_e164(number: &str, region: country::Id) -> Option<String> {
    parse(number, region).map(|n| n.format().mode(Mode::E164).to_string())
}

fn parse(number: &str, region: country::Id) -> Option<PhoneNumber> {
    phonenumber::parse(Some(region), number).ok().filter(phonenumber::is_valid)
}

impl Store {
    /// A number in E.164, read in the clinic's phone region; `None` when it is not a phone number.
    pub fn e164(&self, number: &str) -> Option<String> {
        to_e164(number, self.phone_region)
    }

    /// Patients a call from `number` may be about, the patient's own phone first. `None` when the number
    /// cannot be read as a phone number.
    pub fn callers(&self, number: &str, today: NaiveDate) -> Result<Option<Vec<CallerMatch>>, StoreError> {
        let Some(calling) = parse(number, self.phone_region) else { return Ok(None) };
        // The international digits token ("p:12175550101") names exactly this number.
        let token = format!("p:{}{}", calling.code().value(), calling.national().value());
        let mut stmt = self.conn.prepare_cached("SELECT source, patient_id FROM patient_token WHERE token = ?1")?;
        let keys: Vec<(String, String)> = stmt.query_map(params![token], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
        let mut matches = Vec::new();
        for (source, id) in keys {
            let Some(json) = self.resource(&source, "Patient", &id)? else { continue };
            let patient: Value = serde_json::from_str(&json).map_err(|e| StoreError::BadResource(e.to_string()))?;
            let via = self.via(&patient, &calling);
            matches.push(CallerMatch { hit: PatientHit { source, banner: banner_of(&id, &patient, today), also_in: Vec::new() }, via });
        }
        matches.sort_by_key(|m| (m.via != CallerVia::Patient, m.hit.banner.family.clone(), m.hit.banner.given.clone()));
        Ok(Some(matches))
    }

    fn via(&self, patient: &Value, calling: &PhoneNumber) -> CallerVia {
        // Compared by country code and national number: how each was written (a leading +, or not) differs.
        let key = |n: &PhoneNumber| (n.code().value(), n.national().value());
        let same = |telecoms: Option<&Value>| {
            telecoms
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|t| t["value"].as_str())
                .any(|v| parse(v, self.phone_region).is_some_and(|n| key(&n) == key(calling)))
        };
        if same(patient.get("telecom")) {
            return CallerVia::Patient;
        }
        let contact = patient["contact"].as_array().into_iter().flatten().find(|c| same(c.get("telecom")));
        CallerVia::Contact {
            name: contact.and_then(|c| {
                c.pointer("/name/text").and_then(Value::as_str).map(str::to_string).or_else(|| {
                    let given = c.pointer("/name/given/0").and_then(Value::as_str).unwrap_or_default();
                    let family = c.pointer("/name/family").and_then(Value::as_str).unwrap_or_default();
                    Some(format!("{given} {family}").trim().to_string()).filter(|n| !n.is_empty())
                })
            }),
            relationship: contact.and_then(|c| {
                c.pointer("/relationship/0/text").or_else(|| c.pointer("/relationship/0/coding/0/display")).and_then(Value::as_str).map(str::to_string)
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_number_in_any_format_finds_the_household_and_the_contacts() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open_with_key(&dir.path().join("cache.db"), &[5u8; 32], "US").unwrap();
        let patient = |id: &str, given: &str, phone: &str| {
            json!({"resourceType": "Patient", "id": id, "name": [{"family": "García", "given": [given]}], "birthDate": "1980-03-05",
                "telecom": [{"system": "phone", "value": phone}]})
        };
        let mut child = patient("p3", "Lucía", "(217) 555-0199");
        child["contact"] = json!([{"relationship": [{"text": "mother"}], "name": {"given": ["María"], "family": "García"},
            "telecom": [{"system": "phone", "value": "217.555.0101"}]}]);
        let mut writer = store.writer("2026-11-26T00:00:00Z").unwrap();
        for p in [patient("p1", "María", "(217) 555-0101"), patient("p2", "José", "+1 217 555 0101"), child, patient("p4", "Ana", "217-555-0102")] {
            writer.upsert("clinic", &p.to_string()).unwrap();
        }
        writer.commit().unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();

        for typed in ["+12175550101", "(217) 555-0101", "217 555 0101", "1-217-555-0101"] {
            let found = store.callers(typed, today).unwrap().unwrap();
            let ids: Vec<&str> = found.iter().map(|m| m.hit.banner.id.as_str()).collect();
            assert_eq!(ids, ["p2", "p1", "p3"], "{typed}: the household first, then whose contact it is");
            assert_eq!(found[2].via, CallerVia::Contact { name: Some("María García".into()), relationship: Some("mother".into()) });
        }
        assert!(store.callers("+1 217 555 0100", today).unwrap().unwrap().is_empty(), "an unknown caller");
        assert!(store.callers("not a number", today).unwrap().is_none());
        assert_eq!(to_e164("(217) 555-0101", country::Id::US).as_deref(), Some("+12175550101"));
    }
}
