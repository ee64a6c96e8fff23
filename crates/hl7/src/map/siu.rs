//! SIU to Appointment: the appointment's id from the filler's (else the placer's) appointment number,
//! its status from the event, its time, service, reason, provider and place.

use super::{concept, deterministic_id, placeholder, time, Mapping};
use crate::Refusal;
use serde_json::{json, Value};

pub fn appointment(mapping: &Mapping<'_, '_, '_>) -> Result<Vec<Value>, Refusal> {
    let find = |name: &str| mapping.segments.iter().find(|s| s.name() == name);
    let sch = find("SCH").ok_or_else(|| Refusal::error(100, "the SCH segment (the appointment) is missing"))?;
    let number = sch
        .first(2)
        .or_else(|| sch.first(1))
        .ok_or_else(|| Refusal::error(101, "SCH-2 (the filler's appointment id) and SCH-1 (the placer's) are both missing"))?;
    let status = match mapping.header.event.as_str() {
        "S15" => "cancelled",
        "S17" => "entered-in-error",
        "S26" => "noshow",
        _ => "booked",
    };
    let offset = mapping.context.offset;
    let mut appointment = json!({
        "resourceType": "Appointment",
        "id": deterministic_id(&[&mapping.header.sender(), &number.get(1), &number.get(2)]),
        "identifier": [{"system": format!("urn:switchboard:hl7:appointment:{}", mapping.header.sending_facility.replace(' ', "_")), "value": number.get(1)}],
        "status": status,
        "participant": [{"actor": placeholder(), "status": "accepted"}],
    });
    let ais = find("AIS");
    // The start: AIS-4 (with AIS-7 duration in AIS-8 units, minutes by default), else SCH-11's.
    let start = ais.and_then(|s| time::date_time(&s.text(4), offset)).or_else(|| time::date_time(&sch.get(11, 4), offset));
    let minutes = ais.and_then(|s| s.text(7).parse::<i64>().ok()).map(|n| match ais.map(|s| s.get(8, 1)).as_deref() {
        Some("h" | "HR" | "hr") => n * 60,
        _ => n,
    });
    let end = time::date_time(&sch.get(11, 5), offset).or_else(|| add_minutes(start.as_ref()?, minutes?));
    if let (Some(start), Some(end)) = (&start, &end) {
        appointment["start"] = start.clone().into();
        appointment["end"] = end.clone().into();
    } else if status == "booked" {
        return Err(Refusal::error(101, "the appointment's start (AIS-4, or SCH-11.4) is missing or has no duration (AIS-7) or end"));
    }
    if let Some(service) = ais.and_then(|s| s.first(3)).and_then(|r| concept(&r)) {
        appointment["serviceType"] = json!([service]);
    }
    if let Some(kind) = sch.first(8).and_then(|r| concept(&r)) {
        appointment["appointmentType"] = kind;
    }
    if let Some(reason) = sch.first(7).and_then(|r| concept(&r)) {
        appointment["description"] = reason["text"].clone();
        appointment["reasonCode"] = json!([reason]);
    }
    let participants = appointment["participant"].as_array_mut().expect("an array");
    // AIP-3 is a person (id^family^given), AIL-3 a place (point of care^room^bed^facility).
    let provider = find("AIP").and_then(|s| s.first(3)).map(|r| [r.get(3), r.get(2)].into_iter().filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" "));
    let place = find("AIL").and_then(|s| s.first(3)).map(|r| [r.get(1), r.get(2)].into_iter().filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" "));
    for name in [provider, place].into_iter().flatten().filter(|n| !n.is_empty()) {
        participants.push(json!({"actor": {"display": name}, "status": "accepted"}));
    }
    Ok(vec![appointment])
}

fn add_minutes(start: &str, minutes: i64) -> Option<String> {
    let at = chrono::DateTime::parse_from_rfc3339(start).ok()?;
    Some((at + chrono::Duration::minutes(minutes)).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false))
}
