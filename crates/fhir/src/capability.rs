//! What the server says it can do, from its CapabilityStatement.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    pub fhir_version: Option<String>,
    pub software: Option<String>,
    /// Per resource type: its interactions (`read`, `search-type`, `history-type`, ...).
    pub interactions: BTreeMap<String, BTreeSet<String>>,
    /// Per resource type: the search parameters every search must carry, from the
    /// `capabilitystatement-search-parameter-combination` extension (one set per allowed combination).
    pub required_search: BTreeMap<String, Vec<BTreeSet<String>>>,
    /// Bulk Data `$export` at system level (`rest.operation` export).
    pub system_export: bool,
    /// `Patient/$export` (an `export` operation on Patient, or `rest.operation` patient-export).
    pub patient_export: bool,
    /// `Group/[id]/$export`.
    pub group_export: bool,
}

const COMBINATION: &str = "http://hl7.org/fhir/StructureDefinition/capabilitystatement-search-parameter-combination";

/// The operation names in an `operation` array, and the last segment of each one's definition.
fn operations(list: Option<&Value>) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for operation in list.and_then(Value::as_array).into_iter().flatten() {
        names.extend(operation.get("name").and_then(Value::as_str).map(str::to_string));
        names.extend(operation.get("definition").and_then(Value::as_str).and_then(|d| d.rsplit('/').next()).map(str::to_string));
    }
    names
}

/// The parameter sets of a resource's required search combinations.
fn required_combinations(resource: &Value) -> Vec<BTreeSet<String>> {
    let extensions = resource.get("extension").and_then(Value::as_array).into_iter().flatten();
    extensions
        .filter(|e| e.get("url").and_then(Value::as_str) == Some(COMBINATION))
        .map(|combination| {
            let parts = combination.get("extension").and_then(Value::as_array).into_iter().flatten();
            parts.filter(|p| p.get("url").and_then(Value::as_str) == Some("required")).filter_map(|p| p["valueString"].as_str().map(str::to_string)).collect()
        })
        .filter(|set: &BTreeSet<String>| !set.is_empty())
        .collect()
}

impl Capabilities {
    pub fn from_statement(statement: &Value) -> Capabilities {
        let mut interactions = BTreeMap::new();
        let mut required_search = BTreeMap::new();
        let (mut patient_export, mut group_export) = (false, false);
        let resources = statement.pointer("/rest/0/resource").and_then(Value::as_array);
        for resource in resources.into_iter().flatten() {
            let Some(kind) = resource.get("type").and_then(Value::as_str) else { continue };
            let codes = resource
                .get("interaction")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|i| i.get("code").and_then(Value::as_str).map(str::to_string))
                .collect();
            interactions.insert(kind.to_string(), codes);
            let combinations = required_combinations(resource);
            if !combinations.is_empty() {
                required_search.insert(kind.to_string(), combinations);
            }
            match kind {
                "Patient" => patient_export |= operations(resource.get("operation")).contains("export"),
                "Group" => group_export |= operations(resource.get("operation")).contains("export"),
                _ => {}
            }
        }
        let system = operations(statement.pointer("/rest/0/operation"));
        Capabilities {
            fhir_version: statement.get("fhirVersion").and_then(Value::as_str).map(str::to_string),
            software: statement.pointer("/software/name").and_then(Value::as_str).map(str::to_string),
            interactions,
            required_search,
            system_export: system.contains("export"),
            patient_export: patient_export || system.contains("patient-export"),
            group_export: group_export || system.contains("group-export"),
        }
    }

    /// Whether a search of this type may go without a patient (no required combination, or one
    /// that needs none of `patient`, `subject` and the like; `_id` names one resource, so it does not count).
    pub fn searchable_server_wide(&self, resource_type: &str) -> bool {
        self.supports(resource_type, "search-type")
            && self.required_search.get(resource_type).is_none_or(|sets| sets.iter().any(|set| set.iter().all(|p| p.starts_with('_') && p != "_id")))
    }

    pub fn supports(&self, resource_type: &str, interaction: &str) -> bool {
        self.interactions.get(resource_type).is_some_and(|codes| codes.contains(interaction))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn export_levels_and_required_search_parameters_are_read() {
        let statement = json!({"rest": [{
        "operation": [{"name": "export", "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"}],
        "resource": [
            {"type": "Observation", "interaction": [{"code": "search-type"}], "extension": [{"url": COMBINATION, "extension": [
                {"url": "required", "valueString": "patient"}, {"url": "required", "valueString": "category"}]}]},
            {"type": "Patient", "interaction": [{"code": "search-type"}], "operation": [{"name": "export", "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export"}]},
            {"type": "Group", "interaction": [{"code": "read"}]}
        ]}]});
        let capabilities = Capabilities::from_statement(&statement);
        assert!(capabilities.system_export && capabilities.patient_export && !capabilities.group_export);
        assert!(!capabilities.searchable_server_wide("Observation"), "Observation needs a patient");
        assert!(capabilities.searchable_server_wide("Patient"));
        assert!(!capabilities.searchable_server_wide("Group"), "Group is read, not searched");
    }
}
