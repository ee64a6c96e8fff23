//! ADT: the PID is the patient (mapped in `patient`); a merge (A40) also names the records retired.

use super::{patient, Mapping};
use crate::Refusal;
use serde_json::Value;

/// MRG-1: the identifiers of the records merged away.
pub fn retired(mapping: &Mapping<'_, '_, '_>) -> Result<Vec<Value>, Refusal> {
    let mrg =
        mapping.segments.iter().find(|s| s.name() == "MRG").ok_or_else(|| Refusal::error(100, "an A40 merge needs an MRG segment (the record merged away)"))?;
    let retired: Vec<Value> = mrg.reps(1).iter().filter_map(|cx| patient::identifier(cx, mapping.context)).collect();
    if retired.is_empty() {
        return Err(Refusal::error(101, "MRG-1 (the identifiers of the record merged away) is missing"));
    }
    Ok(retired)
}
