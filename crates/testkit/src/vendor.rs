//! Vendor-shaped limits for the proxy in front of Helios, the way production EHR APIs (Oracle Health,
//! Epic, athenahealth) restrict a client: clinical searches need a patient, Appointment a date window
//! with a patient, practitioner or location, Slot a schedule; Bulk Data only at Group level, one export
//! per client at a time, output files that expire. Helios itself allows everything, so these limits are
//! a double by necessity; the data behind them is the real server's.

use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Types searched only with one of these parameters (each a required combination).
const RESTRICTED: &[(&str, &[&[&str]])] = &[
    ("Patient", &[&["_id"], &["identifier"], &["name"], &["family"], &["birthdate"], &["phone"]]),
    ("Encounter", &[&["patient"], &["subject"]]),
    ("Condition", &[&["patient"], &["subject"]]),
    ("AllergyIntolerance", &[&["patient"]]),
    ("MedicationRequest", &[&["patient"], &["subject"]]),
    ("MedicationStatement", &[&["patient"], &["subject"]]),
    ("Observation", &[&["patient"], &["subject"]]),
    ("DiagnosticReport", &[&["patient"], &["subject"]]),
    ("ServiceRequest", &[&["patient"], &["subject"]]),
    ("Appointment", &[&["patient", "date"], &["practitioner", "date"], &["location", "date"]]),
    ("Slot", &[&["schedule"], &["schedule.actor"]]),
];

const COMBINATION: &str = "http://hl7.org/fhir/StructureDefinition/capabilitystatement-search-parameter-combination";

#[derive(Default)]
pub(crate) struct Vendor {
    /// How long an export's files stay after the manifest is first served; `None`: for ever.
    files_expire_after: Option<Duration>,
    /// The status address of the export running for this client.
    running: Option<String>,
    manifest_served: Option<Instant>,
    /// Requests refused so far, as "METHOD target".
    pub refused: Vec<String>,
}

impl Vendor {
    pub fn new(files_expire_after: Option<Duration>) -> Vendor {
        Vendor { files_expire_after, ..Vendor::default() }
    }

    /// The vendor's answer when it refuses the request: (status, OperationOutcome).
    pub fn refuse(&mut self, method: &str, target: &str) -> Option<(u16, Value)> {
        let refusal = self.check(method, target);
        if refusal.is_some() {
            self.refused.push(format!("{method} {target}"));
        }
        refusal
    }

    fn check(&mut self, method: &str, target: &str) -> Option<(u16, Value)> {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let names: Vec<&str> = query.split('&').filter_map(|pair| pair.split('=').next()).collect();
        let kind = path.trim_start_matches('/').split('/').next_back().unwrap_or_default();
        if path.contains("$export") {
            if !path.contains("/Group/") {
                return Some((400, outcome("not-supported", "Only Group-level export is supported for this client")));
            }
            if self.running.is_some() {
                return Some((429, outcome("throttled", "An export is already in progress for this client; only one may run at a time")));
            }
            return None;
        }
        if method == "DELETE" && self.running.as_deref().is_some_and(|status| target.contains(status)) {
            self.running = None;
            self.manifest_served = None;
            return None;
        }
        if method == "GET" && is_output_file(target) {
            let expired = self.files_expire_after.zip(self.manifest_served).is_some_and(|(after, served)| served.elapsed() > after);
            return expired.then(|| (404, outcome("not-found", "The requested export file has expired; start a new export")));
        }
        let combinations = RESTRICTED.iter().find(|(t, _)| *t == kind).map(|(_, c)| *c)?;
        if method != "GET" {
            return None;
        }
        let met = combinations.iter().any(|set| set.iter().all(|p| names.contains(p)));
        (!met).then(|| {
            let wanted: Vec<String> = combinations.iter().map(|set| set.join(" and ")).collect();
            (400, outcome("required", &format!("A {kind} search requires {}", wanted.join(", or "))))
        })
    }

    /// Notes what the server answered: a kick-off's status address, a finished export's manifest; and
    /// rewrites the CapabilityStatement to say what this vendor allows.
    pub fn observe(&mut self, method: &str, target: &str, status: u16, location: Option<&str>, body: &mut Vec<u8>) {
        if target.contains("$export") && status == 202 {
            self.running = location.map(|l| l.split("://").nth(1).and_then(|rest| rest.find('/').map(|i| rest[i..].to_string())).unwrap_or_default());
        }
        let polled = self.running.as_deref().is_some_and(|status| target.contains(status));
        if method == "GET" && polled && status == 200 && self.manifest_served.is_none() {
            self.manifest_served = Some(Instant::now());
        }
        if method == "GET" && target.starts_with("/metadata") && status == 200 {
            if let Ok(mut statement) = serde_json::from_slice::<Value>(body) {
                restrict_statement(&mut statement);
                *body = statement.to_string().into_bytes();
            }
        }
    }
}

fn is_output_file(target: &str) -> bool {
    target.contains("/export-file/")
}

fn outcome(code: &str, words: &str) -> Value {
    json!({"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": code, "diagnostics": words}]})
}

/// The statement with the required search combinations added and only Group export left.
fn restrict_statement(statement: &mut Value) {
    if let Some(operations) = statement.pointer_mut("/rest/0/operation").and_then(Value::as_array_mut) {
        operations.retain(|o| !o["name"].as_str().is_some_and(|n| n.contains("export")));
        operations.push(json!({"name": "group-export", "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export"}));
    }
    for resource in statement.pointer_mut("/rest/0/resource").and_then(Value::as_array_mut).into_iter().flatten() {
        let kind = resource["type"].as_str().unwrap_or_default().to_string();
        if let Some(operations) = resource.get_mut("operation").and_then(Value::as_array_mut) {
            operations.retain(|o| !(kind == "Patient" && o["name"].as_str().is_some_and(|n| n.contains("export"))));
        }
        let Some((_, combinations)) = RESTRICTED.iter().find(|(t, _)| *t == kind) else { continue };
        let extensions: Vec<Value> = combinations
            .iter()
            .map(|set| json!({"url": COMBINATION, "extension": set.iter().map(|p| json!({"url": "required", "valueString": p})).collect::<Vec<_>>()}))
            .collect();
        resource["extension"] = Value::Array(extensions);
    }
}
