//! What every command needs: where the files are, the config, the cache and FHIR clients.

use crate::error::CliError;
use std::sync::Arc;
use switchboard_core::{Clock, Config, Home, SourceConfig, SystemClock};
use switchboard_fhir::{ClientOptions, FhirClient};
use switchboard_store::{Store, KEYRING_SERVICE};

pub struct Context {
    pub home: Home,
    pub config: Config,
    pub clock: Arc<dyn Clock>,
}

impl Context {
    /// Reads `SWITCHBOARD_HOME` (or the OS directories) and the config file.
    pub fn from_env() -> Result<Context, CliError> {
        let home = Home::from_env().map_err(|e| CliError::Other(e.to_string()))?;
        let config = Config::load(&home.config_file())?;
        Ok(Context { home, config, clock: Arc::new(SystemClock) })
    }

    pub fn open_store(&self) -> Result<Store, CliError> {
        Ok(Store::open(&self.home, &self.config.phone_region)?)
    }

    /// The active rules: the built-in set, overridden by `rules.toml` beside the config file.
    pub fn rules(&self) -> Result<switchboard_rules::RuleSet, CliError> {
        Ok(switchboard_rules::load_rules(&self.home.config_dir.join("rules.toml"))?)
    }

    /// Dates like 03/05/1980 read month first in the US.
    pub fn month_first(&self) -> bool {
        self.config.phone_region == "US"
    }

    pub fn client_for(&self, source: &SourceConfig, strict: bool) -> Result<FhirClient, CliError> {
        let options = ClientOptions { bearer_token: source_token(&self.home, &source.name)?, strict, ..ClientOptions::default() };
        Ok(FhirClient::new(source.fhir.clone(), options)?)
    }
}

fn call_token_entry(home: &Home) -> Result<keyring::Entry, CliError> {
    let account = format!("call-listener-token:{}", home.config_dir.display());
    keyring::Entry::new(KEYRING_SERVICE, &account).map_err(|e| CliError::Other(format!("the OS keyring cannot be used: {e}")))
}

/// The call listener's shared token, from the OS keyring; made (32 random bytes, hex) on first use or
/// when `rotate` asks for a new one.
pub fn call_token(home: &Home, rotate: bool) -> Result<String, CliError> {
    let entry = call_token_entry(home)?;
    if !rotate {
        match entry.get_password() {
            Ok(token) => return Ok(token),
            Err(keyring::Error::NoEntry) => {}
            Err(e) => return Err(CliError::Other(format!("the OS keyring cannot be read: {e}"))),
        }
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| CliError::Other(format!("no randomness: {e}")))?;
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    entry.set_password(&token).map_err(|e| CliError::Other(format!("the OS keyring cannot be written: {e}")))?;
    Ok(token)
}

/// The language model of `[intake]`, when one is configured.
pub fn llm_config(config: &switchboard_core::Config) -> Option<switchboard_intake::llm::LlmConfig> {
    let url = config.intake.llm_url.as_ref()?;
    let model = config.intake.llm_model.clone().unwrap_or_else(|| "default".into());
    Some(switchboard_intake::llm::LlmConfig { url: url.to_string(), model, timeout: std::time::Duration::from_secs(20) })
}

/// The outbox action of a confirmed intake: the caller's words and the summary as staff left it, and
/// a Task for the team the reading routes to, due by its urgency.
pub fn intake_action(patient: String, note: &str, summary: &str, intake: &switchboard_intake::Intake, now: chrono::DateTime<chrono::Utc>) -> switchboard_outbox::Action {
    let (owner, priority, minutes) = intake.task_terms();
    let due = (now + chrono::Duration::minutes(minutes)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    switchboard_outbox::Action::Intake { patient, note: note.trim().to_string(), summary: summary.trim().to_string(), owner: owner.into(), priority: priority.into(), due }
}

/// Who is logged as the agent on calls: `[phone] agent`, else `SWITCHBOARD_USER`, else the OS user.
pub fn agent_name(config: &switchboard_core::Config) -> String {
    config.phone.agent.clone().or_else(|| std::env::var("SWITCHBOARD_USER").ok()).or_else(|| std::env::var("USER").ok()).unwrap_or_else(|| "this workstation".into())
}

fn token_entry(home: &Home, source: &str) -> Result<keyring::Entry, CliError> {
    let account = format!("source-token:{}:{source}", home.config_dir.display());
    keyring::Entry::new(KEYRING_SERVICE, &account).map_err(|e| CliError::Other(format!("the OS keyring cannot be used: {e}")))
}

/// A source's bearer token from the OS keyring, if one was stored.
pub fn source_token(home: &Home, source: &str) -> Result<Option<String>, CliError> {
    match token_entry(home, source)?.get_password() {
        Ok(token) => Ok(Some(token)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(CliError::Other(format!("the OS keyring cannot be read: {e}"))),
    }
}

pub fn store_source_token(home: &Home, source: &str, token: Option<&str>) -> Result<(), CliError> {
    let entry = token_entry(home, source)?;
    let result = match token {
        Some(token) => entry.set_password(token),
        None => match entry.delete_credential() {
            Err(keyring::Error::NoEntry) => Ok(()),
            other => other,
        },
    };
    result.map_err(|e| CliError::Other(format!("the OS keyring cannot be written: {e}")))
}
