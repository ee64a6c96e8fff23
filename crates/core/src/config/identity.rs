//! What each source is the system of record for (`roles` of a `[[source]]`), and how patients are
//! linked across sources (`[identity]`).

use serde::{Deserialize, Serialize};

/// What a source is the system of record for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SourceRole {
    /// Patients and their clinical data: visits, problems, allergies, medications.
    Patients,
    /// Schedule, Slot and Appointment.
    Scheduling,
    /// Lab results: Observation and DiagnosticReport.
    Results,
    /// The shared work: Task, Communication, CommunicationRequest, AuditEvent, Provenance.
    Work,
}

impl SourceRole {
    pub const ALL: [SourceRole; 4] = [SourceRole::Patients, SourceRole::Scheduling, SourceRole::Results, SourceRole::Work];

    pub fn word(self) -> &'static str {
        match self {
            SourceRole::Patients => "patients",
            SourceRole::Scheduling => "scheduling",
            SourceRole::Results => "results",
            SourceRole::Work => "work",
        }
    }

    pub fn parse(word: &str) -> Result<SourceRole, String> {
        SourceRole::ALL
            .into_iter()
            .find(|r| r.word() == word.trim())
            .ok_or_else(|| format!("{} is not one of patients, scheduling, results, work", super::quoted(word)))
    }
}

/// `[identity]`: identifier systems that name one person wherever they appear (an enterprise MRN),
/// and the two thresholds of the linking score.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentityConfig {
    pub same_person_systems: Vec<String>,
    pub auto_link_at: f64,
    pub review_at: f64,
}

pub const DEFAULT_AUTO_LINK_AT: f64 = 25.0;
pub const DEFAULT_REVIEW_AT: f64 = 12.0;

impl Default for IdentityConfig {
    fn default() -> Self {
        IdentityConfig { same_person_systems: Vec::new(), auto_link_at: DEFAULT_AUTO_LINK_AT, review_at: DEFAULT_REVIEW_AT }
    }
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIdentity {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    same_person_systems: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    auto_link_at: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    review_at: Option<f64>,
}

impl RawIdentity {
    pub(super) fn from(config: &IdentityConfig) -> Option<RawIdentity> {
        (config != &IdentityConfig::default()).then(|| RawIdentity {
            same_person_systems: config.same_person_systems.clone(),
            auto_link_at: (config.auto_link_at != DEFAULT_AUTO_LINK_AT).then_some(config.auto_link_at),
            review_at: (config.review_at != DEFAULT_REVIEW_AT).then_some(config.review_at),
        })
    }

    /// The section checked: thresholds in order and in range; (field, problem) when not.
    pub(super) fn check(self) -> Result<IdentityConfig, (&'static str, String)> {
        let auto_link_at = self.auto_link_at.unwrap_or(DEFAULT_AUTO_LINK_AT);
        let review_at = self.review_at.unwrap_or(DEFAULT_REVIEW_AT);
        if !(0.0..=100.0).contains(&review_at) {
            return Err(("identity.review_at", "must be between 0 and 100".into()));
        }
        if !(review_at..=100.0).contains(&auto_link_at) {
            return Err(("identity.auto_link_at", format!("must be between review_at ({review_at}) and 100")));
        }
        let same_person_systems: Vec<String> = self.same_person_systems.iter().map(|s| s.trim().to_string()).collect();
        if let Some(blank) = same_person_systems.iter().find(|s| s.is_empty() || s.contains(char::is_whitespace)) {
            return Err(("identity.same_person_systems", format!("{} is not an identifier system URI", super::quoted(blank))));
        }
        Ok(IdentityConfig { same_person_systems, auto_link_at, review_at })
    }
}

/// A source's `roles` list checked: known words, none twice, not empty.
pub(super) fn parse_roles(words: &[String]) -> Result<Vec<SourceRole>, String> {
    let mut roles = Vec::new();
    for word in words {
        let role = SourceRole::parse(word)?;
        if roles.contains(&role) {
            return Err(format!("`{}` is listed twice", role.word()));
        }
        roles.push(role);
    }
    if roles.is_empty() {
        return Err("lists no role; leave `roles` out for a source that holds everything".into());
    }
    Ok(roles)
}

/// Across sources: the shared work lives in one place, so every workstation sees one worklist.
pub(super) fn check_role_map(sources: &[super::SourceConfig]) -> Result<(), String> {
    let work: Vec<&str> = sources.iter().filter(|s| s.roles.contains(&SourceRole::Work)).map(|s| s.name.as_str()).collect();
    if work.len() > 1 {
        return Err(format!("the shared work (`work`) can have one source, not {} ({})", work.len(), work.join(", ")));
    }
    Ok(())
}
