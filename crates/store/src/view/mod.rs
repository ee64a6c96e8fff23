//! The patient workspace view, assembled from the cache alone: one indexed query for the patient's
//! resources, plus lookups of the practitioners and locations they name.

pub(crate) mod fhir_values;
mod linked;
mod sections;

pub use sections::*;

use crate::db::Store;
use crate::error::StoreError;
use crate::status::SourceStatus;
use chrono::{DateTime, Utc};
use fhir_values::Lookup;
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct PatientView {
    pub patient: PatientSection,
    pub allergies: Vec<Allergy>,
    pub problems: Vec<Problem>,
    pub encounters: Vec<Encounter>,
    pub medications: Medications,
    pub labs: Vec<LabTest>,
    pub appointments: Appointments,
    pub tasks: Vec<TaskItem>,
    /// Each source this view drew on, with when it last synced.
    pub sources: Vec<SourceStatus>,
    /// The person's records: the one opened first, then those linked to it in other sources.
    pub records: Vec<PatientRecord>,
    /// Where the linked records disagree in ways that matter, in words.
    pub conflicts: Vec<String>,
}

/// One record of the person in one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
pub struct PatientRecord {
    pub source: String,
    pub id: String,
}

/// Where a piece came from and when the cache last received it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct Origin {
    pub source: String,
    pub synced_at: String,
    /// Changed here by an action that has not reached the server yet.
    pub pending: bool,
}

/// A cached resource with where it came from.
pub(crate) struct Row {
    pub kind: String,
    pub id: String,
    pub value: Value,
    pub origin: Origin,
}

impl Store {
    /// The whole picture of one person, or `None` when the cache does not hold that patient: this
    /// record and every record linked to it in other sources, each item labelled with its source.
    pub fn patient_view(&self, source: &str, patient_id: &str, now: DateTime<Utc>) -> Result<Option<PatientView>, StoreError> {
        self.reading(|| self.read_patient_view(source, patient_id, now))
    }

    fn read_patient_view(&self, source: &str, patient_id: &str, now: DateTime<Utc>) -> Result<Option<PatientView>, StoreError> {
        let records = self.linked_records(source, patient_id)?;
        let mut parsed = Vec::new();
        for (record_source, id) in &records {
            parsed.extend(self.view_rows(record_source, id)?);
        }
        let Some(patient_row) = parsed.iter().find(|r| r.kind == "Patient" && r.origin.source == source && r.id == patient_id) else {
            return Ok(None);
        };
        let lookup = Lookup::new(self, source);
        let today = now.date_naive();
        let pick = |kind: &'static str| parsed.iter().filter(move |r| r.kind == kind);
        let sources = self.source_statuses()?.into_iter().filter(|s| records.iter().any(|(name, _)| *name == s.name)).collect();
        Ok(Some(PatientView {
            patient: PatientSection {
                banner: banner_of(&patient_row.id, &patient_row.value, today),
                address: fhir_values::address(&patient_row.value),
                origin: patient_row.origin.clone(),
            },
            allergies: pick("AllergyIntolerance").filter_map(allergy).collect(),
            problems: pick("Condition").filter_map(problem).collect(),
            encounters: encounters(pick("Encounter"), &lookup)?,
            medications: medications(pick("MedicationRequest").chain(pick("MedicationStatement"))),
            labs: labs(pick("Observation")),
            appointments: appointments(pick("Appointment"), &lookup, now)?,
            tasks: open_tasks(pick("Task")),
            sources,
            records: records.iter().map(|(source, id)| PatientRecord { source: source.clone(), id: id.clone() }).collect(),
            conflicts: linked::conflicts(&parsed),
        }))
    }

    /// One record's cached resources, with where they came from.
    fn view_rows(&self, source: &str, patient_id: &str) -> Result<Vec<Row>, StoreError> {
        let mut stmt =
            self.conn.prepare_cached("SELECT type, id, json, synced_at, pending_action IS NOT NULL FROM resource WHERE source = ?1 AND patient_id = ?2")?;
        let rows = stmt.query_map([source, patient_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?, r.get::<_, bool>(4)?))
        })?;
        let mut parsed = Vec::new();
        for row in rows {
            let (kind, id, json, synced_at, pending) = row?;
            let value = serde_json::from_str(&json).map_err(|e| StoreError::BadResource(e.to_string()))?;
            parsed.push(Row { kind, id, value, origin: Origin { source: source.to_string(), synced_at, pending } });
        }
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests {
    use crate::Store;
    use chrono::Utc;
    use serde_json::{json, Value};

    fn patient(id: &str, phone: &str) -> Value {
        json!({"resourceType": "Patient", "id": id, "name": [{"family": "Okafor", "given": ["Adaeze"]}], "birthDate": "1971-04-18",
               "telecom": [{"system": "phone", "value": phone}]})
    }

    fn potassium(id: &str, patient: &str, at: &str) -> Value {
        json!({"resourceType": "Observation", "id": id, "status": "final", "subject": {"reference": format!("Patient/{patient}")},
               "code": {"coding": [{"system": "http://loinc.org", "code": "2823-3"}], "text": "Potassium"},
               "effectiveDateTime": at, "valueQuantity": {"value": 6.1, "unit": "mmol/L"}})
    }

    fn condition(id: &str, patient: &str, text: &str, status: &str) -> Value {
        json!({"resourceType": "Condition", "id": id, "subject": {"reference": format!("Patient/{patient}")}, "code": {"text": text},
               "clinicalStatus": {"coding": [{"code": status}]}, "onsetDateTime": "2019-03-01"})
    }

    /// A person in two clinical systems and a lab: every section draws on all three records, each item
    /// names its system, one result reported twice shows once, and the disagreements are named.
    #[test]
    fn a_linked_person_s_view_merges_labels_and_names_what_the_systems_disagree_on() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open_with_key(&dir.path().join("cache.db"), &[5u8; 32], "US").unwrap();
        let rows = [
            ("ehr", patient("p1", "(217) 555-0101")),
            ("ehr", condition("c1", "p1", "Hypertension", "active")),
            ("ehr", condition("c2", "p1", "Ankle sprain", "resolved")),
            ("ehr", json!({"resourceType": "AllergyIntolerance", "id": "a1", "patient": {"reference": "Patient/p1"}, "code": {"text": "Penicillin"}})),
            ("ehr", potassium("k1", "p1", "2026-11-30T08:00:00Z")),
            ("ehr2", patient("q1", "217-555-0199")),
            ("ehr2", condition("c9", "q1", "Type 2 diabetes", "active")),
            ("lab", patient("L1", "(217) 555-0101")),
            ("lab", potassium("k9", "L1", "2026-11-30T08:00:00+00:00")),
        ];
        let mut writer = store.writer("2026-12-01T00:00:00Z").unwrap();
        for (source, resource) in &rows {
            writer.upsert(source, &resource.to_string()).unwrap();
        }
        writer.commit().unwrap();
        let person = vec![("ehr".to_string(), "p1".to_string()), ("ehr2".to_string(), "q1".to_string()), ("lab".to_string(), "L1".to_string())];
        store.replace_persons(None, &[person], &[]).unwrap();

        let view = store.patient_view("ehr", "p1", Utc::now()).unwrap().unwrap();
        assert_eq!(view.records.len(), 3);
        let problems: Vec<(String, String)> = view.problems.iter().map(|p| (p.condition.clone().unwrap(), p.origin.source.clone())).collect();
        assert_eq!(problems.len(), 2, "the resolved sprain is history: {problems:?}");
        assert!(problems.contains(&("Hypertension".into(), "ehr".into())) && problems.contains(&("Type 2 diabetes".into(), "ehr2".into())), "{problems:?}");
        let potassium = view.labs.iter().find(|t| t.code == "2823-3").unwrap();
        assert_eq!(potassium.history.len(), 1, "one result, written by two systems in two spellings of one instant");
        let sources = [potassium.latest.origin.source.clone()].into_iter().chain(potassium.latest.also_in.clone()).collect::<Vec<_>>();
        assert!(sources.contains(&"ehr".to_string()) && sources.contains(&"lab".to_string()), "{sources:?}");
        assert!(view.conflicts.iter().any(|c| c == "Allergy to Penicillin is recorded in ehr, not in ehr2"), "{:?}", view.conflicts);
        assert!(view.conflicts.iter().any(|c| c.starts_with("Phone differs")), "{:?}", view.conflicts);
        assert!(!view.conflicts.iter().any(|c| c.contains("lab,") || c.contains("not in lab")), "a lab keeps no allergies: {:?}", view.conflicts);
    }
}
