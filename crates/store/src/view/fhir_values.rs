//! Reading FHIR data types into display text.

use crate::db::Store;
use crate::error::StoreError;
use serde_json::Value;
use std::cell::RefCell;
use std::collections::HashMap;
use switchboard_core::reference::type_and_id;

pub fn str_at<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}

pub fn owned_at(value: &Value, pointer: &str) -> Option<String> {
    str_at(value, pointer).map(str::to_string)
}

/// A CodeableConcept as words: its text, else the first coding's display, else its code.
pub fn concept_text(concept: Option<&Value>) -> Option<String> {
    let concept = concept?;
    if let Some(text) = concept.get("text").and_then(Value::as_str) {
        return Some(text.to_string());
    }
    let coding = concept.get("coding")?.as_array()?.first()?;
    coding.get("display").or_else(|| coding.get("code")).and_then(Value::as_str).map(str::to_string)
}

/// The first element of an array of CodeableConcepts, as words.
pub fn first_concept_text(value: &Value, field: &str) -> Option<String> {
    concept_text(value.get(field).and_then(Value::as_array).and_then(|a| a.first()))
}

/// A HumanName list as "Given Family" (the official name if marked).
pub fn person_name(resource: &Value) -> Option<String> {
    let names = resource.get("name")?.as_array()?;
    let name = names.iter().find(|n| n.get("use").and_then(Value::as_str) == Some("official")).or(names.first())?;
    if let Some(text) = name.get("text").and_then(Value::as_str) {
        return Some(text.to_string());
    }
    let given = name.get("given").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str);
    let parts: Vec<&str> = name
        .get("prefix")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .chain(given)
        .chain(name.get("family").and_then(Value::as_str))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

pub fn address(patient: &Value) -> Option<String> {
    let address = patient.get("address")?.as_array()?.first()?;
    if let Some(text) = address.get("text").and_then(Value::as_str) {
        return Some(text.to_string());
    }
    let lines = address.get("line").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str);
    let parts: Vec<&str> = lines.chain(["city", "state", "postalCode"].iter().filter_map(|k| address.get(*k).and_then(Value::as_str))).collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// Names of referenced practitioners and locations, each looked up in the cache once per view.
pub struct Lookup<'a> {
    store: &'a Store,
    source: &'a str,
    seen: RefCell<HashMap<String, Option<String>>>,
}

impl<'a> Lookup<'a> {
    pub fn new(store: &'a Store, source: &'a str) -> Lookup<'a> {
        Lookup { store, source, seen: RefCell::new(HashMap::new()) }
    }

    /// A Reference as words: the cached resource's name, else the reference's own display.
    pub fn name_of(&self, reference: Option<&Value>) -> Result<Option<String>, StoreError> {
        self.name_in(self.source, reference)
    }

    /// The same, for a reference made in another source (a linked person's other records).
    pub fn name_in(&self, source: &str, reference: Option<&Value>) -> Result<Option<String>, StoreError> {
        let Some(reference) = reference else { return Ok(None) };
        let display = reference.get("display").and_then(Value::as_str).map(str::to_string);
        let Some(target) = reference.get("reference").and_then(Value::as_str) else { return Ok(display) };
        let key = format!("{source} {target}");
        if let Some(known) = self.seen.borrow().get(&key) {
            return Ok(known.clone().or(display));
        }
        let Some((kind, id)) = type_and_id(target) else { return Ok(display) };
        let name = match self.store.resource(source, &kind, &id)? {
            Some(json) => {
                let value: Value = serde_json::from_str(&json).map_err(|e| StoreError::BadResource(e.to_string()))?;
                match kind.as_str() {
                    "Location" | "Organization" => owned_at(&value, "/name"),
                    _ => person_name(&value),
                }
            }
            None => None,
        };
        self.seen.borrow_mut().insert(key, name.clone());
        Ok(name.or(display))
    }
}
