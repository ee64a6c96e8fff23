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
