//! An audit record repository on loopback: a double for the FHIR endpoint a clinic sends AuditEvents
//! to (IHE RESTful ATNA). Helios 0.2.7 keeps AuditEvent to itself (read and search only), and no other
//! FHIR server installs here. It answers `metadata`, transaction Bundles of `PUT AuditEvent/<id>`,
//! and `GET AuditEvent` (every event, one page), and keeps each event by id.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

type Events = Arc<Mutex<BTreeMap<String, Value>>>;

pub struct AuditRepository {
    pub port: u16,
    events: Events,
}

impl AuditRepository {
    /// Serves until the process ends.
    pub fn start() -> AuditRepository {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let events = Events::default();
        let kept = events.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let events = kept.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &events);
                });
            }
        });
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

fn serve(mut stream: TcpStream, events: &Events) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let mut parts = request_line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let path = target.split('?').next().unwrap_or("/").trim_end_matches('/');
    let (status, answer) = match (method, path) {
        ("GET", "/metadata") => ("200 OK", METADATA.to_string()),
        ("GET", "/AuditEvent") => {
            let entries: Vec<Value> = events.lock().unwrap().values().map(|e| json!({"resource": e, "search": {"mode": "match"}})).collect();
            ("200 OK", json!({"resourceType": "Bundle", "type": "searchset", "entry": entries}).to_string())
        }
        ("POST", "") => match transaction(&body, events) {
            Ok(answer) => ("200 OK", answer.to_string()),
            Err(why) => (
                "400 Bad Request",
                json!({"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "invalid", "diagnostics": why}]}).to_string(),
            ),
        },
        _ => ("404 Not Found", json!({"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "not-found"}]}).to_string()),
    };
    let head = format!("HTTP/1.1 {status}\r\nContent-Type: application/fhir+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", answer.len());
    stream.write_all(head.as_bytes())?;
    stream.write_all(answer.as_bytes())
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
