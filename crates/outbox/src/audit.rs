//! Sending the audit log: each row becomes an AuditEvent shaped after the IHE Basic Audit Log Patterns
//! (PatientRead, Query, PatientQuery, Export, failed sign-in), and a source takes them in batches of one
//! transaction Bundle. Each event is a PUT of its own id, so a batch sent twice (an answer lost, a
//! killed process) leaves each event once.

use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use switchboard_core::AuditAction;
use switchboard_fhir::FhirClient;
use switchboard_store::{AuditRow, Store, StoreError};

/// Events per transaction Bundle.
pub const AUDIT_BATCH: u32 = 100;

const BALP: &str = "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.";
const DICOM: &str = "http://dicom.nema.org/resources/ontology/DCM";
const REST: &str = "http://hl7.org/fhir/restful-interaction";

/// What sending did: how many events the server took, why the rest wait (None when none do), and
/// whether they stay here because the source takes no AuditEvent writes and no repository is set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditReport {
    pub sent: u32,
    pub error: Option<String>,
    pub kept_here: bool,
}

/// Sends the unsent events of `source` (of every source with None) to the server `client` talks to,
/// named `to`, a batch at a time; a refused batch stays for the next round.
pub async fn send_audits(store: &mut Store, client: &FhirClient, source: Option<&str>, to: &str, now: DateTime<Utc>) -> Result<AuditReport, StoreError> {
    let mut report = AuditReport::default();
    loop {
        let batch = store.audits_to_send(source, AUDIT_BATCH)?;
        if batch.is_empty() {
            return Ok(report);
        }
        let entries: Vec<Value> =
            batch.iter().map(|row| json!({"resource": audit_event(row), "request": {"method": "PUT", "url": format!("AuditEvent/{}", row.id)}})).collect();
        let ids: Vec<String> = batch.into_iter().map(|row| row.id).collect();
        match client.transaction(&json!({"resourceType": "Bundle", "type": "transaction", "entry": entries})).await {
            Ok(_) => {
                store.audits_delivered(&ids, Ok(now))?;
                report.sent += ids.len() as u32;
            }
            Err(error) => {
                let words = format!("audit events not taken by {to}: {error}");
                store.audits_delivered(&ids, Err(&words))?;
                tracing::warn!(to, count = ids.len(), "audit events wait for the next round");
                report.error = Some(words);
                return Ok(report);
            }
        }
    }
}

fn coding(system: &str, code: &str, display: &str) -> Value {
    json!({"system": system, "code": code, "display": display})
}

/// The row as an AuditEvent.
pub fn audit_event(row: &AuditRow) -> Value {
    let (profile, kind, subtype, action) = shape(row);
    let failed = row.action.failed();
    let user = match row.user.starts_with("Practitioner/") {
        true => json!({"reference": row.user, "display": row.user_name}),
        false => json!({"display": row.user_name}),
    };
    let mut event = json!({
        "resourceType": "AuditEvent",
        "id": row.id,
        "type": kind,
        "subtype": [subtype],
        "action": action,
        "recorded": row.recorded,
        "outcome": if failed { "4" } else { "0" },
        "agent": [
            {
                "type": {"coding": [coding("http://terminology.hl7.org/CodeSystem/extra-security-role-type", "humanuser", "human user")]},
                "who": user,
                "requestor": true,
            },
            {
                "type": {"coding": [coding(DICOM, "110150", "Application")]},
                "who": {"display": "Switchboard"},
                "requestor": false,
                "network": {"address": row.workstation, "type": "1"},
            }
        ],
        "source": {
            "site": row.workstation,
            "observer": {"display": format!("Switchboard at {}", row.workstation)},
            "type": [coding("http://terminology.hl7.org/CodeSystem/security-source-type", "1", "User Device")],
        },
        "entity": entities(row),
    });
    if let Some(profile) = profile {
        event["meta"] = json!({"profile": [format!("{BALP}{profile}")]});
    }
    if failed {
        event["outcomeDesc"] = json!(row.detail);
    }
    event
}

/// The BALP profile (where one fits), type, subtype and action code of each kind of event.
fn shape(row: &AuditRow) -> (Option<&'static str>, Value, Value, &'static str) {
    let rest = coding("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest", "Restful Operation");
    let with_patient = row.patient.is_some();
    match row.action {
        AuditAction::View | AuditAction::CallPop => (with_patient.then_some("PatientRead"), rest, coding(REST, "read", "read"), "R"),
        AuditAction::Search | AuditAction::List => {
            (Some(if with_patient { "PatientQuery" } else { "Query" }), rest, coding(REST, "search-type", "search type"), "E")
        }
        AuditAction::Intake => (None, rest, coding(REST, "operation", "operation"), "E"),
        AuditAction::Export => (None, coding(DICOM, "110106", "Export"), coding(REST, "search-type", "search type"), "R"),
        AuditAction::Action | AuditAction::Refused => (None, rest, coding(REST, "update", "update"), "U"),
        AuditAction::SignInFailed => (None, coding(DICOM, "110114", "User Authentication"), coding(DICOM, "110122", "Login"), "E"),
    }
}

/// The patient (role Patient) and what was read or asked (a query's text, base64 as BALP has it).
fn entities(row: &AuditRow) -> Vec<Value> {
    let entity_type = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
    let role = "http://terminology.hl7.org/CodeSystem/object-role";
    let mut entities = Vec::new();
    if let Some(patient) = &row.patient {
        entities.push(json!({
            "what": {"reference": format!("Patient/{patient}")},
            "type": coding(entity_type, "1", "Person"),
            "role": coding(role, "1", "Patient"),
        }));
    }
    let mut what = json!({
        "type": coding(entity_type, "2", "System Object"),
        "description": format!("{}: {}", row.action, row.detail),
    });
    if matches!(row.action, AuditAction::Search | AuditAction::List | AuditAction::Export) {
        what["role"] = coding(role, "24", "Query");
        what["query"] = json!(base64::engine::general_purpose::STANDARD.encode(&row.detail));
    } else {
        what["role"] = coding(role, "4", "Domain Resource");
    }
    entities.push(what);
    entities
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(action: AuditAction, patient: Option<&str>, user: &str) -> AuditRow {
        AuditRow {
            seq: 1,
            id: "a1".into(),
            recorded: "2026-01-01T00:00:00.000Z".into(),
            user: user.into(),
            user_name: "Ann Lee".into(),
            workstation: "desk-1".into(),
            action,
            source: "ehr".into(),
            patient: patient.map(str::to_string),
            detail: "smith".into(),
            sent: None,
            error: None,
        }
    }

    #[test]
    fn a_patient_read_follows_balp_patient_read() {
        let event = audit_event(&row(AuditAction::View, Some("p1"), "Practitioner/ann"));
        assert_eq!(event["meta"]["profile"][0], json!(format!("{BALP}PatientRead")));
        assert_eq!((event["action"].as_str(), event["outcome"].as_str()), (Some("R"), Some("0")));
        assert_eq!(event["agent"][0]["who"]["reference"], "Practitioner/ann");
        assert_eq!(event["agent"][0]["requestor"], true);
        assert_eq!(event["entity"][0]["what"]["reference"], "Patient/p1");
        assert_eq!(event["entity"][0]["role"]["code"], "1");
        assert_eq!(event["source"]["site"], "desk-1");
    }

    #[test]
    fn a_search_carries_its_query_and_a_refusal_its_reason() {
        let search = audit_event(&row(AuditAction::Search, None, "ann"));
        assert_eq!(search["meta"]["profile"][0], json!(format!("{BALP}Query")));
        assert_eq!(search["entity"][0]["query"], base64::engine::general_purpose::STANDARD.encode("smith"));
        assert!(search["agent"][0]["who"].get("reference").is_none(), "without sign-in the user is a name, not a reference");
        let refused = audit_event(&row(AuditAction::Refused, Some("p1"), "ann"));
        assert_eq!((refused["outcome"].as_str(), refused["outcomeDesc"].as_str()), (Some("4"), Some("smith")));
    }
}
