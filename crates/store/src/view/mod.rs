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
        let mut stmt = self.conn.prepare_cached(
            "SELECT type, id, json, synced_at, pending_action IS NOT NULL FROM resource INDEXED BY resource_by_patient WHERE source = ?1 AND patient_id = ?2",
        )?;
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
