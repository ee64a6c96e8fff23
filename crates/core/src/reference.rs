//! FHIR references ("Type/id") read the same way everywhere.

/// `Patient/1`, `Patient/1/_history/2` or `https://host/fhir/Patient/1` -> ("Patient", "1").
pub fn type_and_id(reference: &str) -> Option<(String, String)> {
    let path = reference.split(['?', '#']).next()?;
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let at = match parts.iter().rposition(|p| *p == "_history") {
        Some(h) if h >= 2 => h - 2,
        _ => parts.len().checked_sub(2)?,
    };
    let (kind, id) = (parts[at], parts[at + 1]);
    kind.starts_with(|c: char| c.is_ascii_uppercase()).then(|| (kind.to_string(), id.to_string()))
}

/// The id in a reference to a resource of `kind`; `None` for a reference to another type.
pub fn id_of(reference: &str, kind: &str) -> Option<String> {
    type_and_id(reference).filter(|(k, _)| k == kind).map(|(_, id)| id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_split_into_type_and_id() {
        assert_eq!(type_and_id("Patient/1"), Some(("Patient".into(), "1".into())));
        assert_eq!(type_and_id("http://h/fhir/Patient/1/_history/3"), Some(("Patient".into(), "1".into())));
        assert_eq!(type_and_id("1"), None);
        assert_eq!(id_of("Slot/s-1", "Slot").as_deref(), Some("s-1"));
        assert_eq!(id_of("Slot/s-1", "Schedule"), None);
    }
}
