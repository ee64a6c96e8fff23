//! The configured sources as staff and IT see them, and adding or editing one.

use crate::context::App;
use crate::error::AppError;
use crate::live_demo::DemoState;
use serde::Serialize;
use switchboard_core::config::{parse_fhir_url, valid_source_name};
use switchboard_core::{Config, SourceAuth, SourceConfig};
use switchboard_store::Store;

/// A checked source entry from what a person typed.
pub fn source_entry(name: &str, fhir: &str) -> Result<SourceConfig, AppError> {
    if !valid_source_name(name) {
        return Err(AppError::Invalid("a source name must be 1-40 letters, digits, '-' or '_'".to_string()));
    }
    let fhir = parse_fhir_url(fhir).map_err(|problem| AppError::Invalid(format!("FHIR URL: {problem}")))?;
    Ok(SourceConfig::new(name, fhir))
}

/// Every configured source with how its last sync went.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS), serde(rename_all = "camelCase"))]
pub struct SourceView {
    pub name: String,
    pub fhir: String,
    pub page_size: u32,
    pub last_synced: Option<String>,
    pub last_error: Option<String>,
    /// A person signs in to it (`auth = "user"`).
    pub signs_in: bool,
    /// Who is signed in to it at this workstation (their Practitioner, else their user name).
    pub signed_in_as: Option<String>,
}

/// What the window needs to show times and numbers the clinic's way.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS), serde(rename_all = "camelCase"))]
pub struct ClinicInfo {
    /// The clinic's IANA time zone, in which every time is shown: the rules' `[clinic] timezone`, the
    /// demo clinic's own, or none (the workstation's zone) when neither says.
    pub time_zone: Option<String>,
    /// The region phone numbers without a country code belong to (`phone_region`).
    pub phone_region: String,
    /// How the demo clinic runs, when the app is on it.
    pub demo: Option<DemoState>,
    /// Idle minutes before the window hides patient data (`[session] idle_lock_minutes`).
    pub idle_lock_minutes: u32,
    /// Who the window acts as: the signed-in person, else the workstation's user at this host.
    pub acting_as: String,
    /// The signed-in person's role, which then sets the window's (None: chosen in the window).
    pub role: Option<switchboard_core::StaffRole>,
    /// Whether a signed-in person may set and use an unlock PIN (`[session] unlock_pin`).
    pub unlock_pin: bool,
    /// The signed-in Practitioner, whom every claim names (None: the claim form asks who).
    pub claims_as: Option<String>,
    /// Whether search also asks the server (a source keeps a partial cache).
    pub asks_server: bool,
    /// Whether patients are linked across sources (two or more are configured): the window offers
    /// the review of links.
    pub links_sources: bool,
}

impl App {
    /// The clinic's time zone and phone region. A rules file that does not load names no zone (the
    /// Rules page says why).
    pub fn clinic_info(&self, demo: Option<DemoState>) -> ClinicInfo {
        let configured = self.rules().ok().map(|rules| rules.clinic).filter(|clinic| clinic.timezone_set).map(|clinic| clinic.timezone_name);
        let demo_zone = self.demo_clinic.then(|| switchboard_demo::DEMO_TIME_ZONE.to_string());
        ClinicInfo {
            time_zone: configured.or(demo_zone),
            phone_region: self.config.phone_region.clone(),
            demo: demo.filter(|_| self.demo_clinic),
            idle_lock_minutes: self.config.session.idle_lock_minutes,
            acting_as: crate::audit::shown(&self.actor()),
            role: self.role().filter(|_| self.roles_enforced()),
            unlock_pin: self.config.session.unlock_pin && self.signed_in().is_some(),
            claims_as: self.actor().practitioner,
            asks_server: self.has_partial_source(),
            links_sources: self.config.sources.len() > 1,
        }
    }

    /// Adds or replaces a source in the config file (read fresh, so a concurrent edit is kept).
    /// Returns whether one of that name was replaced. The caller reloads.
    pub fn save_source(&self, source: SourceConfig) -> Result<bool, AppError> {
        let mut config = Config::load(&self.home.config_file())?;
        let replaced = config.sources.iter().any(|s| s.name == source.name);
        config.sources.retain(|s| s.name != source.name);
        config.sources.push(source);
        self.write_config(&config)?;
        Ok(replaced)
    }

    /// Removes a source from the config file and forgets its token.
    pub fn remove_source(&self, name: &str) -> Result<(), AppError> {
        let mut config = Config::load(&self.home.config_file())?;
        let before = config.sources.len();
        config.sources.retain(|s| s.name != name);
        if config.sources.len() == before {
            return Err(AppError::NotFound(format!("no source named `{name}` is configured")));
        }
        crate::secrets::store_source_token(&self.home, name, None)?;
        self.write_config(&config)
    }

    fn write_config(&self, config: &Config) -> Result<(), AppError> {
        let file = self.home.config_file();
        config.save(&file).map_err(|e| AppError::Internal(format!("cannot write {}: {e}", file.display())))
    }

    pub fn source_views(&self, store: &Store) -> Result<Vec<SourceView>, AppError> {
        let statuses = store.source_statuses()?;
        Ok(self
            .config
            .sources
            .iter()
            .map(|s| {
                let status = statuses.iter().find(|st| st.name == s.name);
                SourceView {
                    name: s.name.clone(),
                    fhir: s.fhir.to_string(),
                    page_size: s.page_size,
                    last_synced: status.and_then(|st| st.last_synced.clone()),
                    last_error: status.and_then(|st| st.last_error.clone()),
                    signs_in: matches!(s.auth, SourceAuth::User { .. }),
                    signed_in_as: match s.auth {
                        SourceAuth::User { .. } => crate::secrets::session(&self.home, &s.name).ok().flatten().map(|p| p.fhir_user.unwrap_or(p.subject)),
                        SourceAuth::Token | SourceAuth::Backend { .. } => None,
                    },
                }
            })
            .collect())
    }
}

impl App {
    /// How a source would be synced now, from its CapabilityStatement and the config (`source show`).
    pub fn strategy(&self, source: &str, runtime: &tokio::runtime::Runtime) -> Result<switchboard_sync::Strategy, AppError> {
        let config = self.source(source)?;
        let client = self.client(source)?;
        let (capabilities, _) = runtime.block_on(client.capabilities())?;
        let types = switchboard_sync::SyncOptions::default().types;
        switchboard_sync::choose(&capabilities, &types, config.sync, config.export_group.as_deref(), config.partial)
            .map_err(|words| AppError::Invalid(format!("`{source}` cannot be synced: {words}")))
    }
}
