//! The FHIR R4 resource types Switchboard keeps in its cache, in sync order (referenced before referencing).

pub const SYNCED: &[&str] = &[
    "Organization",
    "Location",
    "Practitioner",
    "PractitionerRole",
    "Patient",
    "Schedule",
    "Slot",
    "Encounter",
    "Condition",
    "AllergyIntolerance",
    "MedicationRequest",
    "MedicationStatement",
    "Observation",
    "DiagnosticReport",
    "ServiceRequest",
    "Appointment",
    "Task",
    "Communication",
    "CommunicationRequest",
    // Staff decisions on who is who across sources, kept in the shared-work source.
    "Linkage",
];

/// Extra search parameters that narrow a type to what Switchboard shows.
pub fn sync_filter(resource_type: &str) -> &'static [(&'static str, &'static str)] {
    match resource_type {
        "Observation" => &[("category", "laboratory,vital-signs")],
        _ => &[],
    }
}

pub fn is_synced(resource_type: &str) -> bool {
    SYNCED.contains(&resource_type)
}

/// The search parameter that narrows a type to one patient's resources (given as `Patient/<id>`, or
/// the bare id for `_id`); `None` for types that are not about one patient (practitioners, slots).
pub fn patient_param(resource_type: &str) -> Option<&'static str> {
    match resource_type {
        "Organization" | "Location" | "Practitioner" | "PractitionerRole" | "Schedule" | "Slot" | "Linkage" => None,
        "Patient" => Some("_id"),
        _ => Some("patient"),
    }
}
