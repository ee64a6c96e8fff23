//! An audit record repository on loopback: a double for the FHIR endpoint a clinic sends AuditEvents
//! to (IHE RESTful ATNA). Helios 0.2.7 keeps AuditEvent to itself (read and search only), and no other
//! FHIR server installs here. It answers `metadata`, transaction Bundles of `PUT AuditEvent/<id>`,
//! and `GET AuditEvent` (every event, one page), and keeps each event by id.

use crate::loopback::{serve, Request};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

type Events = Arc<Mutex<BTreeMap<String, Value>>>;

pub struct AuditRepository {
    pub port: u16,
    events: Events,
}

impl AuditRepository {
    /// Serves until the process ends.
    pub fn start() -> AuditRepository {
        let events = Events::default();
        let kept = events.clone();
        let port = serve(move |request| answer(request, &kept));
        AuditRepository { port, events }
    }

    /// The events it holds, by id.
    pub fn events(&self) -> BTreeMap<String, Value> {
        self.events.lock().unwrap().clone()
    }
}

const METADATA: &str = r#"{"resourceType":"CapabilityStatement","status":"active","kind":"instance","fhirVersion":"4.0.1","format":["json"],
"software":{"name":"audit record repository (test double)"},"rest":[{"mode":"server","resource":[{"type":"AuditEvent",
"interaction":[{"code":"create"},{"code":"update"},{"code":"read"},{"code":"search-type"}]}],"interaction":[{"code":"transaction"}]}]}"#;

fn answer(request: Request, events: &Events) -> (&'static str, String) {
    match (request.method.as_str(), request.path.as_str()) {
        ("GET", "/metadata") => ("200 OK", METADATA.to_string()),
        ("GET", "/AuditEvent") => {
            let entries: Vec<Value> = events.lock().unwrap().values().map(|e| json!({"resource": e, "search": {"mode": "match"}})).collect();
            ("200 OK", json!({"resourceType": "Bundle", "type": "searchset", "entry": entries}).to_string())
        }
        ("POST", "") => match transaction(&request.body, events) {
            Ok(answer) => ("200 OK", answer.to_string()),
            Err(why) => (
                "400 Bad Request",
                json!({"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "invalid", "diagnostics": why}]}).to_string(),
            ),
        },
        _ => ("404 Not Found", json!({"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "not-found"}]}).to_string()),
    }
}

/// All or nothing: every entry must be a PUT of an AuditEvent to its own id.
fn transaction(body: &[u8], events: &Events) -> Result<Value, String> {
    let bundle: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let mut taken = Vec::new();
    for entry in bundle["entry"].as_array().ok_or("no entries")? {
        let url = entry["request"]["url"].as_str().unwrap_or_default();
        let id = url.strip_prefix("AuditEvent/").ok_or_else(|| format!("{url} is not an AuditEvent"))?;
        if entry["request"]["method"] != "PUT" || entry["resource"]["resourceType"] != "AuditEvent" || entry["resource"]["id"] != id {
            return Err(format!("entry for {url} is not a PUT of that AuditEvent"));
        }
        taken.push((id.to_string(), entry["resource"].clone()));
    }
    let mut events = events.lock().unwrap();
    let answers: Vec<Value> = taken
        .into_iter()
        .map(|(id, event)| {
            let status = if events.insert(id, event).is_some() { "200 OK" } else { "201 Created" };
            json!({"response": {"status": status}})
        })
        .collect();
    Ok(json!({"resourceType": "Bundle", "type": "transaction-response", "entry": answers}))
}
