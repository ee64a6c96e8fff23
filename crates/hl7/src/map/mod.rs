//! From a decoded message to FHIR resources, per message type. The patient is not known here: the
//! resources name a placeholder, which the receiver replaces once identity matching has found the
//! person's record (`place_patient`).

mod adt;
mod oru;
mod patient;
mod siu;
mod time;

use crate::segment::Seg;
use crate::text::{self, Separators};
use crate::{Header, Refusal, Refused};
use chrono::FixedOffset;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// What the resources call the patient until the receiver knows their record.
const PATIENT_PLACEHOLDER: &str = "Patient/hl7-pid";

/// What kind of change a message brings.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    /// ORU^R01: reports and their results.
    Results,
    /// ADT A01, A03, A04, A08, A28, A31: the patient's registration; `creates` when the event
    /// registers someone (A01, A04, A28) rather than updating a known record.
    Registration { creates: bool },
    /// ADT A40: the records named by these identifiers (MRG-1) merge into the PID's patient.
    Merge { retired: Vec<Value> },
    /// SIU S12 to S15, S17, S26: one appointment's state.
    Schedule,
}

/// A message read and mapped.
#[derive(Debug, Clone)]
pub struct Inbound {
    pub header: Header,
    pub content: Content,
    /// The patient as PID describes them, without an id.
    pub patient: Value,
    /// Top-level Patient elements the sender cleared with the explicit null `""`.
    pub cleared: Vec<&'static str>,
    /// The resources the message makes, with deterministic ids, about the placeholder patient.
    pub resources: Vec<Value>,
}

/// What the mapping needs from the receiver's configuration.
pub struct Context<'a> {
    /// The offset of times sent without one (the v2-to-FHIR guide leaves it to the receiver).
    pub offset: FixedOffset,
    /// The identifier system for an assigning authority's namespace (CX-4.1), when the clinic maps it.
    pub authority: &'a dyn Fn(&str) -> Option<String>,
}

/// Reads a message: its header, its type, and the resources it maps to.
pub fn read(bytes: &[u8], context: &Context<'_>) -> Result<Inbound, Refused> {
    let refused = |header: Option<&Header>, refusal: Refusal| Refused { header: header.cloned().map(Box::new), refusal };
    let (text, charset) = text::decode(bytes).map_err(|r| refused(None, r))?;
    let parsed = hl7_parser::Message::parse(&text)
        .map_err(|e| refused(None, Refusal::reject(100, format!("the message could not be split into segments and fields ({})", parse_problem(&e)))))?;
    let separators = Separators::of(&parsed);
    let segments: Vec<Seg<'_, '_>> = parsed.segments().map(|segment| Seg { segment, separators, charset }).collect();
    let header = header(&segments[0]);
    let fail = |refusal: Refusal| refused(Some(&header), refusal);
    if header.control_id.is_empty() {
        return Err(fail(Refusal::error(101, "MSH-10 (the message control id) is missing")));
    }
    let pid = segments.iter().find(|s| s.name() == "PID");
    let mapping = Mapping { header: &header, segments: &segments, context };
    let (content, resources) = match (header.message_type.as_str(), header.event.as_str()) {
        ("ORU", "R01") => (Content::Results, oru::results(&mapping).map_err(fail)?),
        ("ADT", "A01" | "A04" | "A28") => (Content::Registration { creates: true }, Vec::new()),
        ("ADT", "A03" | "A08" | "A31") => (Content::Registration { creates: false }, Vec::new()),
        ("ADT", "A40") => (Content::Merge { retired: adt::retired(&mapping).map_err(fail)? }, Vec::new()),
        ("SIU", "S12" | "S13" | "S14" | "S15" | "S17" | "S26") => (Content::Schedule, siu::appointment(&mapping).map_err(fail)?),
        ("ORU" | "ADT" | "SIU", event) => return Err(fail(Refusal::reject(201, format!("{} events {event} are not taken", header.message_type)))),
        (other, _) => return Err(fail(Refusal::reject(200, format!("{other} messages are not taken (ORU^R01, ADT and SIU are)")))),
    };
    let pid = pid.ok_or_else(|| fail(Refusal::error(100, "the PID segment (the patient) is missing")))?;
    let (patient, cleared) = patient::from_pid(pid, context);
    if patient["identifier"].as_array().is_none_or(|ids| ids.is_empty()) && patient["name"].is_null() {
        return Err(fail(Refusal::error(101, "PID-3 (the patient's identifiers) and PID-5 (the name) are both missing")));
    }
    Ok(Inbound { header, content, patient, cleared, resources })
}

/// Where the parse stopped, without quoting the message (it holds PHI).
fn parse_problem(error: &hl7_parser::parser::ParseError) -> String {
    match error {
        hl7_parser::parser::ParseError::FailedToParse { position, .. } => format!("stopped at character {position}"),
        hl7_parser::parser::ParseError::IncompleteInput(_) => "it ends too early".into(),
    }
}

fn header(msh: &Seg<'_, '_>) -> Header {
    Header {
        sending_app: msh.text(3),
        sending_facility: msh.text(4),
        receiving_app: msh.text(5),
        receiving_facility: msh.text(6),
        control_id: msh.text(10),
        message_type: msh.get(9, 1),
        event: msh.get(9, 2),
        version: msh.text(12),
    }
}

/// What a message type's mapping reads.
pub(crate) struct Mapping<'a, 'b, 'm> {
    pub header: &'a Header,
    pub segments: &'a [Seg<'b, 'm>],
    pub context: &'a Context<'a>,
}

/// A FHIR id from the parts that name a thing in the sender's world: the same parts give the same id
/// on every workstation and every resend, so a corrected result updates the first one.
pub fn deterministic_id(parts: &[&str]) -> String {
    let digest = Sha256::digest(parts.join("\u{1f}").as_bytes());
    let hex: String = digest.iter().take(20).map(|b| format!("{b:02x}")).collect();
    format!("hl7-{hex}")
}

/// Points the resources at the patient's record (`Patient/<id>` in the target source).
pub fn place_patient(resources: &mut [Value], reference: &str) {
    fn walk(value: &mut Value, reference: &str) {
        match value {
            Value::Object(map) => {
                if map.get("reference").and_then(Value::as_str) == Some(PATIENT_PLACEHOLDER) {
                    map.insert("reference".into(), Value::String(reference.to_string()));
                }
                map.values_mut().for_each(|v| walk(v, reference));
            }
            Value::Array(items) => items.iter_mut().for_each(|v| walk(v, reference)),
            _ => {}
        }
    }
    resources.iter_mut().for_each(|r| walk(r, reference));
}

fn placeholder() -> Value {
    serde_json::json!({"reference": PATIENT_PLACEHOLDER})
}

/// A coded element (CWE or CE) as a CodeableConcept: the first triplet, the alternate, and the text.
fn concept(rep: &crate::segment::Rep<'_, '_>) -> Option<Value> {
    let mut codings = Vec::new();
    for (code, display, system) in [(1, 2, 3), (4, 5, 6)] {
        let code = rep.get(code);
        if !code.is_empty() {
            let mut coding = serde_json::json!({"code": code, "system": code_system(&rep.get(system))});
            if !rep.get(display).is_empty() {
                coding["display"] = rep.get(display).into();
            }
            codings.push(coding);
        }
    }
    let text = [rep.get(9), rep.get(2), rep.get(5)].into_iter().find(|t| !t.is_empty());
    if codings.is_empty() && text.is_none() {
        return None;
    }
    let mut concept = serde_json::json!({"coding": codings});
    if let Some(text) = text {
        concept["text"] = text.into();
    }
    Some(concept)
}

/// The FHIR system of a v2 coding system name (table 0396), for the ones clinics send most.
fn code_system(name: &str) -> String {
    match name {
        "LN" => "http://loinc.org".into(),
        "SCT" | "SNM" => "http://snomed.info/sct".into(),
        "UCUM" => "http://unitsofmeasure.org".into(),
        "I10" | "I10C" => "http://hl7.org/fhir/sid/icd-10-cm".into(),
        "CPT" | "C4" => "http://www.ama-assn.org/go/cpt".into(),
        "RXNORM" | "RXN" => "http://www.nlm.nih.gov/research/umls/rxnorm".into(),
        "" => "urn:switchboard:hl7:local".into(),
        local => format!("urn:switchboard:hl7:codes:{local}"),
    }
}
