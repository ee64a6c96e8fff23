//! How a source is read, chosen from its CapabilityStatement and the config: searches across the
//! whole server, or Bulk Data `$export` at the level the server offers; and which types are read per
//! patient in view first (those the server searches only with a patient, or every patient's data in a
//! partial cache).

use switchboard_core::{resource_types, SyncMethod};
use switchboard_fhir::Capabilities;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportLevel {
    System,
    Patient,
    Group(String),
}

impl ExportLevel {
    /// The kick-off path below the base.
    pub fn path(&self) -> String {
        match self {
            ExportLevel::System => "$export".into(),
            ExportLevel::Patient => "Patient/$export".into(),
            ExportLevel::Group(id) => format!("Group/{id}/$export"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    Search,
    Export(ExportLevel),
}

/// The method chosen for a source, and the facts it was chosen from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Strategy {
    pub method: Method,
    /// Why, in words.
    pub why: String,
    /// Types the server lets a sync search without a patient.
    pub server_wide: Vec<String>,
    /// Types it searches only with a patient (or other required parameters).
    pub patient_scoped: Vec<String>,
    /// Types it does not offer to search at all.
    pub not_offered: Vec<String>,
    /// Export levels the CapabilityStatement names.
    pub export_levels: Vec<&'static str>,
    /// What a search sync asks for: the server-wide types, and the patient-scoped ones too when the
    /// config fixes `sync = "search"` (the clinic knows its server takes them).
    pub search_types: Vec<String>,
    /// What is read per patient in view (and Slot per schedule, Appointment per practitioner, with a
    /// date window), before the rest.
    pub focus_types: Vec<String>,
}

/// Types that hold the shared work: read across the server even for a partial cache, since they say
/// who is in view.
const SHARED_WORK: &[&str] = &["Task", "Communication", "CommunicationRequest"];

/// Chooses how to read `types` from a server. `Err` names why the configured method cannot work.
pub fn choose(capabilities: &Capabilities, types: &[String], method: SyncMethod, group: Option<&str>, partial: bool) -> Result<Strategy, String> {
    let mut strategy = Strategy {
        method: Method::Search,
        why: String::new(),
        server_wide: vec![],
        patient_scoped: vec![],
        not_offered: vec![],
        export_levels: vec![],
        search_types: vec![],
        focus_types: vec![],
    };
    for kind in types {
        match (capabilities.searchable_server_wide(kind), capabilities.supports(kind, "search-type")) {
            (true, _) => strategy.server_wide.push(kind.clone()),
            (false, true) => strategy.patient_scoped.push(kind.clone()),
            (false, false) => strategy.not_offered.push(kind.clone()),
        }
    }
    for (offered, level) in [(capabilities.system_export, "system"), (capabilities.patient_export, "patient"), (capabilities.group_export, "group")] {
        if offered {
            strategy.export_levels.push(level);
        }
    }
    // A configured Group is used even when the CapabilityStatement does not list Group export (many do not).
    let export = match group {
        Some(id) => Some(ExportLevel::Group(id.to_string())),
        None if capabilities.system_export => Some(ExportLevel::System),
        None if capabilities.patient_export => Some(ExportLevel::Patient),
        None => None,
    };
    let restricted = strategy.patient_scoped.join(", ");
    if partial {
        return Ok(partial_cache(strategy, types, method));
    }
    (strategy.method, strategy.why) = match (method, export) {
        (SyncMethod::Search, _) => (Method::Search, "searches across the server, as `sync = \"search\"` in config.toml says".to_string()),
        (SyncMethod::Export, Some(level)) => {
            let why = format!("Bulk Data export at {}, as `sync = \"export\"` in config.toml says", level.path());
            (Method::Export(level), why)
        }
        (SyncMethod::Export, None) => {
            return Err("`sync = \"export\"`, but the server's CapabilityStatement offers no system or Patient export; set `export_group` to the Group IT made for Switchboard".into())
        }
        (SyncMethod::Auto, _) if strategy.patient_scoped.is_empty() => {
            (Method::Search, "the server lets every type be searched without a patient, so a sync searches for what changed".to_string())
        }
        (SyncMethod::Auto, Some(level)) => {
            let why = format!("the server searches {restricted} only with a patient, and offers Bulk Data export: export at {}", level.path());
            (Method::Export(level), why)
        }
        (SyncMethod::Auto, None) => {
            let why = format!("the server searches {restricted} only with a patient and offers no export: those are read per patient in view");
            (Method::Search, why)
        }
    };
    strategy.search_types = strategy.server_wide.clone();
    if method == SyncMethod::Search {
        strategy.search_types.extend(strategy.patient_scoped.iter().cloned());
    } else {
        strategy.focus_types = strategy.patient_scoped.clone();
    }
    Ok(strategy)
}

/// A partial cache: every patient's own data is read per patient in view, never across the server.
fn partial_cache(mut strategy: Strategy, types: &[String], method: SyncMethod) -> Strategy {
    let per_patient =
        |kind: &str| (resource_types::patient_param(kind).is_some() && !SHARED_WORK.contains(&kind)) || strategy.patient_scoped.iter().any(|t| t == kind);
    let (focus, wide): (Vec<String>, Vec<String>) = types.iter().filter(|t| !strategy.not_offered.contains(t)).cloned().partition(|t| per_patient(t));
    strategy.focus_types = focus;
    strategy.search_types = wide;
    strategy.why = "`partial = true` in config.toml: the cache holds the patients in view (the schedule, open tasks, recent calls, anyone opened or found) and search asks the server for the rest".into();
    if method == SyncMethod::Export {
        strategy.why.push_str("; `sync = \"export\"` is not used, since an export would bring everyone");
    }
    strategy
}

impl Strategy {
    /// The strategy in lines, for `switchboard source show`.
    pub fn describe(&self) -> String {
        let list = |types: &[String]| if types.is_empty() { "none".to_string() } else { types.join(", ") };
        let levels = if self.export_levels.is_empty() { "none".to_string() } else { self.export_levels.join(", ") };
        format!(
            "method: {}\nwhy: {}\nsearchable across the server: {}\nsearchable only per patient: {}\nnot offered: {}\nexport levels offered: {levels}\nread per patient in view first: {}",
            match &self.method {
                Method::Search => "search".to_string(),
                Method::Export(level) => format!("export ({})", level.path()),
            },
            self.why,
            list(&self.server_wide),
            list(&self.patient_scoped),
            list(&self.not_offered),
            list(&self.focus_types),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn server(patient_only: bool, system_export: bool) -> Capabilities {
        let combination = json!([{"url": "http://hl7.org/fhir/StructureDefinition/capabilitystatement-search-parameter-combination",
            "extension": [{"url": "required", "valueString": "patient"}]}]);
        let observation = if patient_only {
            json!({"type": "Observation", "interaction": [{"code": "search-type"}], "extension": combination})
        } else {
            json!({"type": "Observation", "interaction": [{"code": "search-type"}]})
        };
        let operations = if system_export { json!([{"name": "export"}]) } else { json!([]) };
        Capabilities::from_statement(&json!({"rest": [{"operation": operations, "resource": [
            {"type": "Patient", "interaction": [{"code": "search-type"}]}, observation]}]}))
    }

    fn types() -> Vec<String> {
        vec!["Patient".into(), "Observation".into(), "Slot".into()]
    }

    #[test]
    fn an_open_server_is_searched_and_a_restricted_one_exported() {
        let open = choose(&server(false, true), &types(), SyncMethod::Auto, None, false).unwrap();
        assert_eq!(open.method, Method::Search);
        assert_eq!((open.server_wide.len(), open.not_offered), (2, vec!["Slot".to_string()]));
        let restricted = choose(&server(true, true), &types(), SyncMethod::Auto, None, false).unwrap();
        assert_eq!(restricted.method, Method::Export(ExportLevel::System));
        assert!(restricted.why.contains("Observation only with a patient"), "{}", restricted.why);
        let grouped = choose(&server(true, false), &types(), SyncMethod::Auto, Some("g1"), false).unwrap();
        assert_eq!(grouped.method, Method::Export(ExportLevel::Group("g1".into())));
        assert!(grouped.describe().contains("export (Group/g1/$export)"));
    }

    #[test]
    fn the_config_overrides_and_an_impossible_choice_is_refused_in_words() {
        assert_eq!(choose(&server(true, true), &types(), SyncMethod::Search, None, false).unwrap().method, Method::Search);
        assert_eq!(choose(&server(false, true), &types(), SyncMethod::Export, None, false).unwrap().method, Method::Export(ExportLevel::System));
        assert!(choose(&server(false, false), &types(), SyncMethod::Export, None, false).unwrap_err().contains("export_group"));
        let stuck = choose(&server(true, false), &types(), SyncMethod::Auto, None, false).unwrap();
        assert_eq!((stuck.method, stuck.search_types), (Method::Search, vec!["Patient".to_string()]));
        assert_eq!(stuck.focus_types, vec!["Observation".to_string()], "what needs a patient is read per patient");
        let forced = choose(&server(true, false), &types(), SyncMethod::Search, None, false).unwrap();
        assert_eq!(forced.search_types, vec!["Patient".to_string(), "Observation".to_string()]);
        assert!(forced.focus_types.is_empty());
    }

    #[test]
    fn a_partial_cache_reads_every_patients_data_per_patient_and_the_shared_work_across_the_server() {
        let types: Vec<String> = ["Patient", "Practitioner", "Observation", "Task"].map(String::from).to_vec();
        let searchable = |kind: &str| json!({"type": kind, "interaction": [{"code": "search-type"}]});
        let statement = json!({"rest": [{"operation": [{"name": "export"}], "resource": types.iter().map(|t| searchable(t)).collect::<Vec<_>>()}]});
        let partial = choose(&Capabilities::from_statement(&statement), &types, SyncMethod::Export, None, true).unwrap();
        assert_eq!(partial.method, Method::Search, "a partial cache never exports everyone");
        assert_eq!(partial.focus_types, vec!["Patient".to_string(), "Observation".to_string()]);
        assert_eq!(partial.search_types, vec!["Practitioner".to_string(), "Task".to_string()]);
        assert!(partial.why.contains("partial") && partial.why.contains("export"), "{}", partial.why);
    }
}
