//! PID to Patient (the v2-to-FHIR guide's PID map, the parts a clinic's workspace shows and identity
//! matching reads).

use super::{time, Context};
use crate::segment::{Rep, Seg};
use serde_json::{json, Map, Value};

/// The Patient PID describes, and the elements it clears with the explicit null.
pub fn from_pid(pid: &Seg<'_, '_>, context: &Context<'_>) -> (Value, Vec<&'static str>) {
    let mut patient = Map::new();
    patient.insert("resourceType".into(), "Patient".into());
    let identifiers: Vec<Value> = pid.reps(3).iter().filter_map(|cx| identifier(cx, context)).collect();
    if !identifiers.is_empty() {
        patient.insert("identifier".into(), identifiers.into());
    }
    let names: Vec<Value> = pid.reps(5).iter().filter_map(name).collect();
    if !names.is_empty() {
        patient.insert("name".into(), names.into());
    }
    let telecom: Vec<Value> = pid.reps(13).iter().filter_map(|r| telecom(r, "home")).chain(pid.reps(14).iter().filter_map(|r| telecom(r, "work"))).collect();
    if !telecom.is_empty() {
        patient.insert("telecom".into(), telecom.into());
    }
    if let Some(gender) = pid.first(8).map(|r| gender(&r.get(1))) {
        patient.insert("gender".into(), gender.into());
    }
    if let Some(born) = time::date(&pid.text(7)) {
        patient.insert("birthDate".into(), born.into());
    }
    let addresses: Vec<Value> = pid.reps(11).iter().filter_map(address).collect();
    if !addresses.is_empty() {
        patient.insert("address".into(), addresses.into());
    }
    if let Some(died) = time::date_time(&pid.text(29), context.offset) {
        patient.insert("deceasedDateTime".into(), died.into());
    } else if pid.text(30) == "Y" {
        patient.insert("deceasedBoolean".into(), true.into());
    }
    let cleared = [(5, "name"), (7, "birthDate"), (8, "gender"), (11, "address"), (13, "telecom")]
        .into_iter()
        .filter(|(field, _)| pid.is_null(*field))
        .map(|(_, element)| element)
        .collect();
    (Value::Object(patient), cleared)
}

/// A CX identifier: the system from the assigning authority (an ISO OID or a URI it names, else the
/// clinic's map of namespaces, else a name of its own), and the identifier type (CX-5).
pub fn identifier(cx: &Rep<'_, '_>, context: &Context<'_>) -> Option<Value> {
    let value = cx.get(1);
    if value.is_empty() {
        return None;
    }
    let (namespace, universal, kind) = (cx.sub(4, 1), cx.sub(4, 2), cx.sub(4, 3));
    let system = match kind.as_str() {
        "ISO" if !universal.is_empty() => format!("urn:oid:{universal}"),
        "URI" | "URL" if !universal.is_empty() => universal,
        _ => (context.authority)(&namespace)
            .unwrap_or_else(|| format!("urn:switchboard:hl7:authority:{}", if namespace.is_empty() { "unnamed" } else { &namespace })),
    };
    let mut identifier = json!({"system": system, "value": value});
    let type_code = cx.get(5);
    if !type_code.is_empty() {
        identifier["type"] = json!({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": type_code}]});
    }
    Some(identifier)
}

/// An XPN name: family (its first subcomponent), given and middle names, prefix and suffix, and use.
fn name(xpn: &Rep<'_, '_>) -> Option<Value> {
    let family = xpn.sub(1, 1);
    let given: Vec<String> = [xpn.get(2), xpn.get(3)].into_iter().filter(|g| !g.is_empty()).collect();
    if family.is_empty() && given.is_empty() {
        return None;
    }
    let mut name = json!({"use": match xpn.get(7).as_str() { "M" => "maiden", "A" | "N" => "nickname", "L" | "" => "official", _ => "usual" }});
    if !family.is_empty() {
        name["family"] = family.into();
    }
    if !given.is_empty() {
        name["given"] = given.into();
    }
    for (component, element) in [(4, "suffix"), (5, "prefix")] {
        if !xpn.get(component).is_empty() {
            name[element] = json!([xpn.get(component)]);
        }
    }
    Some(name)
}

/// An XTN: a phone number (XTN-1, else country, area and local number) or an email (XTN-4).
fn telecom(xtn: &Rep<'_, '_>, default_use: &str) -> Option<Value> {
    let email = xtn.get(4);
    if xtn.get(3) == "Internet" || (xtn.get(2) == "NET" && !email.is_empty()) {
        return (!email.is_empty()).then(|| json!({"system": "email", "value": email}));
    }
    let parts = [xtn.get(5), xtn.get(6), xtn.get(7)];
    let number = if xtn.get(1).is_empty() { parts.iter().filter(|p| !p.is_empty()).map(String::as_str).collect::<Vec<_>>().join(" ") } else { xtn.get(1) };
    if number.is_empty() {
        return None;
    }
    let used = match (xtn.get(2).as_str(), xtn.get(3).as_str()) {
        (_, "CP") => "mobile",
        ("WPN", _) => "work",
        _ => default_use,
    };
    Some(json!({"system": "phone", "value": number, "use": used}))
}

fn gender(code: &str) -> &'static str {
    match code {
        "M" => "male",
        "F" => "female",
        "O" | "A" | "N" => "other",
        _ => "unknown",
    }
}

/// An XAD address: street lines, city, state, postal code and country.
fn address(xad: &Rep<'_, '_>) -> Option<Value> {
    let lines: Vec<String> = [xad.sub(1, 1), xad.get(2)].into_iter().filter(|l| !l.is_empty()).collect();
    let mut address = json!({});
    if !lines.is_empty() {
        address["line"] = lines.into();
    }
    for (component, element) in [(3, "city"), (4, "state"), (5, "postalCode"), (6, "country")] {
        if !xad.get(component).is_empty() {
            address[element] = xad.get(component).into();
        }
    }
    if address.as_object().is_some_and(|a| a.is_empty()) {
        return None;
    }
    address["use"] = match xad.get(7).as_str() {
        "B" | "O" => "work",
        "C" => "temp",
        _ => "home",
    }
    .into();
    Some(address)
}
