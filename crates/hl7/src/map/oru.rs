//! ORU^R01 to DiagnosticReport and Observations (the v2-to-FHIR guide's OBR and OBX maps).

use super::{concept, deterministic_id, placeholder, time, Mapping};
use crate::segment::Seg;
use crate::Refusal;
use serde_json::{json, Value};

/// Each OBR with the OBX (and NTE) after it: one report and its results.
pub fn results(mapping: &Mapping<'_, '_, '_>) -> Result<Vec<Value>, Refusal> {
    let mut resources = Vec::new();
    let mut report: Option<Report> = None;
    let mut obx_seen = 0;
    for segment in mapping.segments {
        match segment.name() {
            "OBR" => {
                resources.extend(report.take().map(|r| r.finish()));
                report = Some(Report::open(segment, mapping)?);
            }
            "OBX" => {
                obx_seen += 1;
                let open = report.as_mut().ok_or_else(|| Refusal::error(100, format!("OBX {obx_seen} comes before any OBR")))?;
                let observation = observation(segment, open, mapping, obx_seen)?;
                open.results.push(observation);
            }
            "NTE" => {
                if let Some(open) = report.as_mut() {
                    let text: Vec<String> = segment.reps(3).iter().map(|r| r.whole()).collect();
                    let note = json!({"text": text.join("\n")});
                    match open.results.last_mut() {
                        Some(last) => {
                            last.as_object_mut().expect("an object").entry("note").or_insert_with(|| json!([])).as_array_mut().expect("an array").push(note)
                        }
                        None => open.notes.push(note),
                    }
                }
            }
            _ => {}
        }
    }
    resources.extend(report.take().map(|r| r.finish()));
    if resources.is_empty() {
        return Err(Refusal::error(100, "the message holds no OBR segment (no report)"));
    }
    Ok(resources.into_iter().flatten().collect())
}

/// A report being read: the DiagnosticReport and the results after its OBR.
struct Report {
    key: Vec<String>,
    report: Value,
    results: Vec<Value>,
    notes: Vec<Value>,
    status: String,
    effective: Option<String>,
}

impl Report {
    fn open(obr: &Seg<'_, '_>, mapping: &Mapping<'_, '_, '_>) -> Result<Report, Refusal> {
        let filler = obr
            .first(3)
            .or_else(|| obr.first(2))
            .ok_or_else(|| Refusal::error(101, "OBR-3 (the filler order number) and OBR-2 (the placer's) are both missing"))?;
        let code = obr.first(4).and_then(|r| concept(&r)).ok_or_else(|| Refusal::error(101, "OBR-4 (what was ordered) is missing"))?;
        let key = vec![mapping.header.sender(), filler.get(1), filler.get(2), obr.get(4, 1)];
        let offset = mapping.context.offset;
        let effective = time::date_time(&obr.text(7), offset);
        let status = report_status(&obr.text(25)).to_string();
        let mut report = json!({
            "resourceType": "DiagnosticReport",
            "id": deterministic_id(&key.iter().map(String::as_str).collect::<Vec<_>>()),
            "identifier": [{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "FILL"}]}, "system": order_system(&filler.get(2), mapping), "value": filler.get(1)}],
            "status": status,
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "LAB", "display": "Laboratory"}]}],
            "code": code,
            "subject": placeholder(),
        });
        if let Some(at) = &effective {
            report["effectiveDateTime"] = at.clone().into();
        }
        if let Some(issued) = time::date_time(&obr.text(22), offset).filter(|t| t.contains('T')) {
            report["issued"] = issued.into();
        }
        Ok(Report { key, report, results: Vec::new(), notes: Vec::new(), status, effective })
    }

    fn finish(mut self) -> Vec<Value> {
        self.report["result"] = self.results.iter().map(|o| json!({"reference": format!("Observation/{}", o["id"].as_str().unwrap_or_default())})).collect();
        if !self.notes.is_empty() {
            let text: Vec<&str> = self.notes.iter().filter_map(|n| n["text"].as_str()).collect();
            self.report["conclusion"] = text.join("\n").into();
        }
        let mut all = vec![self.report];
        all.extend(self.results);
        all
    }
}

/// The order number's system: its namespace (EI-2) under the sender.
fn order_system(namespace: &str, mapping: &Mapping<'_, '_, '_>) -> String {
    let owner = if namespace.is_empty() { mapping.header.sending_facility.as_str() } else { namespace };
    format!("urn:switchboard:hl7:order:{}", owner.replace(' ', "_"))
}

fn observation(obx: &Seg<'_, '_>, report: &Report, mapping: &Mapping<'_, '_, '_>, number: usize) -> Result<Value, Refusal> {
    let code = obx.first(3).and_then(|r| concept(&r)).ok_or_else(|| Refusal::error(101, format!("OBX-3 (the test code) is missing in OBX {number}")))?;
    let mut key: Vec<&str> = report.key.iter().map(String::as_str).collect();
    let (code_key, system_key, sub_id) = (obx.get(3, 1), obx.get(3, 3), obx.text(4));
    key.extend([code_key.as_str(), system_key.as_str(), sub_id.as_str()]);
    let status = match obx.text(11).as_str() {
        "" => report.status.clone(),
        code => result_status(code).to_string(),
    };
    let mut observation = json!({
        "resourceType": "Observation",
        "id": deterministic_id(&key),
        "status": status,
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory", "display": "Laboratory"}]}],
        "code": code,
        "subject": placeholder(),
    });
    if let Some(at) = time::date_time(&obx.text(14), mapping.context.offset).or_else(|| report.effective.clone()) {
        observation["effectiveDateTime"] = at.into();
    }
    if status != "cancelled" && status != "entered-in-error" {
        if let Some((element, value)) = value(obx, number)? {
            observation[element] = value;
        }
    }
    if let Some(range) = reference_range(&obx.text(7), obx) {
        observation["referenceRange"] = json!([range]);
    }
    let flags: Vec<Value> = obx.reps(8).iter().map(|r| r.get(1)).filter(|f| !f.is_empty()).map(|f| interpretation(&f)).collect();
    if !flags.is_empty() {
        observation["interpretation"] = flags.into();
    }
    let lab = obx.first(23).map(|r| r.get(1)).filter(|n| !n.is_empty()).unwrap_or_else(|| mapping.header.sending_facility.clone());
    if !lab.is_empty() {
        observation["performer"] = json!([{"display": lab}]);
    }
    Ok(observation)
}

/// OBX-5 by its type (OBX-2): the FHIR value element and its value.
fn value(obx: &Seg<'_, '_>, number: usize) -> Result<Option<(&'static str, Value)>, Refusal> {
    let reps = obx.reps(5);
    let Some(first) = reps.first() else { return Ok(None) };
    let unreadable = |kind: &str| Refusal::error(102, format!("OBX-5 in OBX {number} is not a {kind} value"));
    Ok(Some(match obx.text(2).as_str() {
        "NM" => ("valueQuantity", quantity(&first.get(1), obx).ok_or_else(|| unreadable("numeric"))?),
        "SN" => structured_numeric(first, obx).ok_or_else(|| unreadable("structured numeric"))?,
        "CWE" | "CE" | "CNE" => ("valueCodeableConcept", concept(first).ok_or_else(|| unreadable("coded"))?),
        "DT" | "DTM" | "TS" => {
            ("valueDateTime", time::date_time(&first.get(1), chrono::FixedOffset::east_opt(0).expect("UTC")).ok_or_else(|| unreadable("date"))?.into())
        }
        // ST, TX, FT and anything else readable as text: the repetitions are lines.
        _ => ("valueString", reps.iter().map(|r| r.whole()).collect::<Vec<_>>().join("\n").into()),
    }))
}

/// A number with OBX-6's unit, as UCUM when the unit is one (coded so, or a common lab unit).
fn quantity(number: &str, obx: &Seg<'_, '_>) -> Option<Value> {
    let value: f64 = number.trim().parse().ok().filter(|v: &f64| v.is_finite())?;
    let mut quantity = json!({"value": value});
    let unit = obx.get(6, 1);
    if !unit.is_empty() {
        let display = Some(obx.get(6, 2)).filter(|d| !d.is_empty()).unwrap_or_else(|| unit.clone());
        quantity["unit"] = display.into();
        if obx.get(6, 3) == "UCUM" || UCUM_UNITS.contains(&unit.as_str()) {
            quantity["system"] = "http://unitsofmeasure.org".into();
            quantity["code"] = unit.into();
        }
    }
    Some(quantity)
}

/// Lab units that are already UCUM as labs write them.
const UCUM_UNITS: &[&str] = &[
    "mmol/L",
    "mg/dL",
    "g/dL",
    "g/L",
    "mg/L",
    "ug/L",
    "ng/mL",
    "pg/mL",
    "U/L",
    "[IU]/L",
    "mU/L",
    "m[IU]/L",
    "%",
    "fL",
    "pg",
    "10*3/uL",
    "10*6/uL",
    "10*9/L",
    "10*12/L",
    "mL/min/{1.73_m2}",
    "umol/L",
    "nmol/L",
    "pmol/L",
    "meq/L",
    "mm[Hg]",
    "s",
    "min",
    "h",
    "kg",
    "cm",
    "Cel",
    "/min",
];

/// SN: comparator^number, or number^separator^number (a ratio with `:` or `/`, a range with `-`).
fn structured_numeric(rep: &crate::segment::Rep<'_, '_>, obx: &Seg<'_, '_>) -> Option<(&'static str, Value)> {
    let (comparator, first, separator, second) = (rep.get(1), rep.get(2), rep.get(3), rep.get(4));
    match separator.as_str() {
        "" => {
            let mut q = quantity(&first, obx)?;
            if let c @ ("<" | ">" | "<=" | ">=") = comparator.as_str() {
                q["comparator"] = c.into();
            }
            Some(("valueQuantity", q))
        }
        ":" | "/" => Some(("valueRatio", json!({"numerator": {"value": first.parse::<f64>().ok()?}, "denominator": {"value": second.parse::<f64>().ok()?}}))),
        "-" => Some(("valueRange", json!({"low": quantity(&first, obx)?, "high": quantity(&second, obx)?}))),
        _ => None,
    }
}

/// OBX-7: "low-high", "<high", ">low", or text.
fn reference_range(raw: &str, obx: &Seg<'_, '_>) -> Option<Value> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let bound = |n: &str| quantity(n, obx);
    let parsed = if let Some(high) = raw.strip_prefix('<').map(|s| s.trim_start_matches('=')) {
        bound(high).map(|h| json!({"high": h}))
    } else if let Some(low) = raw.strip_prefix('>').map(|s| s.trim_start_matches('=')) {
        bound(low).map(|l| json!({"low": l}))
    } else {
        // The dash between the bounds, not a negative low bound's sign.
        raw.char_indices().skip(1).find(|(_, c)| *c == '-').and_then(|(at, _)| Some(json!({"low": bound(&raw[..at])?, "high": bound(&raw[at + 1..])?})))
    };
    Some(parsed.unwrap_or_else(|| json!({"text": raw})))
}

/// OBX-8 as an ObservationInterpretation code (table 0078 shares the codes).
fn interpretation(flag: &str) -> Value {
    let display = match flag {
        "H" => "High",
        "L" => "Low",
        "HH" => "Critical high",
        "LL" => "Critical low",
        "A" => "Abnormal",
        "AA" => "Critical abnormal",
        "N" => "Normal",
        ">" => "Significantly high",
        "<" => "Significantly low",
        _ => flag,
    };
    json!({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code": flag, "display": display}]})
}

/// OBX-11 (table 0085) as an Observation status: a correction updates the same Observation.
fn result_status(code: &str) -> &'static str {
    match code {
        "F" => "final",
        "C" => "corrected",
        "P" | "R" | "S" => "preliminary",
        "X" => "cancelled",
        "D" | "W" => "entered-in-error",
        "I" | "O" => "registered",
        _ => "unknown",
    }
}

/// OBR-25 (table 0123) as a DiagnosticReport status.
fn report_status(code: &str) -> &'static str {
    match code {
        "F" => "final",
        "C" => "corrected",
        "P" | "R" | "S" | "A" => "partial",
        "X" => "cancelled",
        "I" | "O" => "registered",
        _ => "unknown",
    }
}
