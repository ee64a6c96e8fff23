//! What the server says it can do, from its CapabilityStatement.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    pub fhir_version: Option<String>,
    pub software: Option<String>,
    /// Per resource type: its interactions (`read`, `search-type`, `history-type`, ...).
    pub interactions: BTreeMap<String, BTreeSet<String>>,
}

impl Capabilities {
    pub fn from_statement(statement: &Value) -> Capabilities {
        let mut interactions = BTreeMap::new();
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
        }
        Capabilities {
            fhir_version: statement.get("fhirVersion").and_then(Value::as_str).map(str::to_string),
            software: statement.pointer("/software/name").and_then(Value::as_str).map(str::to_string),
            interactions,
        }
    }

    pub fn supports(&self, resource_type: &str, interaction: &str) -> bool {
        self.interactions.get(resource_type).is_some_and(|codes| codes.contains(interaction))
    }
}
