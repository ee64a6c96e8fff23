//! The loaded application: where the files are, the config, the clock, and per source its bearer
//! token (read from the keyring once) and its FHIR client (built once).

use crate::error::AppError;
use crate::secrets;
use crate::secrets::StoredSession;
use crate::signin::{BackendTokens, UserTokens};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};
use switchboard_core::config::AUDIT_REPOSITORY;
use switchboard_core::{Clock, Config, Home, SourceAuth, SourceConfig, SystemClock};
use switchboard_fhir::{ClientOptions, FhirClient, TokenSource};
use switchboard_store::Store;
use url::Url;

pub struct App {
    pub home: Home,
    pub config: Config,
    pub clock: Arc<dyn Clock>,
    /// No clinic is configured: the app is on the demo clinic (live or offline).
    pub demo_clinic: bool,
    /// Each source's client, made on first use: the keyring is read once per source (again only after
    /// a failed read), and not at all by a verb that never talks to a server.
    clients: Mutex<BTreeMap<String, FhirClient>>,
    /// Per source, whether its CapabilityStatement offers AuditEvent writes (read once).
    pub(crate) takes_audits: Mutex<BTreeMap<String, bool>>,
    /// The person signed in at this workstation, read from the keyring on first use.
    pub(crate) signed_in: OnceLock<Option<StoredSession>>,
}

impl App {
    /// Reads `SWITCHBOARD_HOME` (or the OS directories) and the config file.
    pub fn from_env() -> Result<App, AppError> {
        let home = Home::from_env().map_err(|e| AppError::Internal(e.to_string()))?;
        let config = Config::load(&home.config_file())?;
        Ok(App::new(home, config, Arc::new(SystemClock)))
    }

    pub fn new(home: Home, config: Config, clock: Arc<dyn Clock>) -> App {
        App {
            demo_clinic: config.sources.is_empty(),
            home,
            config,
            clock,
            clients: Mutex::default(),
            takes_audits: Mutex::default(),
            signed_in: OnceLock::new(),
        }
    }

    /// On the demo clinic, with its live server at `server`: the server becomes the demo's source.
    pub fn with_live_demo(mut self, server: Option<&Url>) -> App {
        if let (true, Some(server)) = (self.demo_clinic, server) {
            self.config.sources = vec![SourceConfig::new(switchboard_demo::DEMO_SOURCE, server.clone())];
        }
        self
    }

    pub fn open_store(&self) -> Result<Store, AppError> {
        Ok(Store::open(&self.home, &self.config.phone_region)?)
    }

    /// The active rules: the built-in set, overridden by `rules.toml` beside the config file.
    pub fn rules(&self) -> Result<switchboard_rules::RuleSet, AppError> {
        let mut rules = switchboard_rules::load_rules(&self.home.config_dir.join("rules.toml"))?;
        rules.work = self.work_routing();
        Ok(rules)
    }

    /// Dates like 03/05/1980 read month first in the US.
    pub fn month_first(&self) -> bool {
        self.config.phone_region == "US"
    }

    pub fn source(&self, name: &str) -> Result<&SourceConfig, AppError> {
        self.config.source(name).ok_or_else(|| AppError::NotFound(format!("no source named `{name}` is configured")))
    }

    /// The source's client, with its token from the keyring (read the first time only).
    pub fn client(&self, name: &str) -> Result<FhirClient, AppError> {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(client) = clients.get(name) {
            return Ok(client.clone());
        }
        let client = self.new_client(&self.endpoint(name)?, false)?;
        clients.insert(name.to_string(), client.clone());
        Ok(client)
    }

    /// A configured source, or the audit repository by its reserved name.
    fn endpoint(&self, name: &str) -> Result<SourceConfig, AppError> {
        match (&self.config.audit.repository, name == AUDIT_REPOSITORY) {
            (Some(url), true) => Ok(SourceConfig::new(AUDIT_REPOSITORY, url.clone())),
            _ => self.source(name).cloned(),
        }
    }

    /// A client that sends `Prefer: handling=strict` (`switchboard sync --strict`), made for one use.
    pub fn strict_client(&self, name: &str) -> Result<FhirClient, AppError> {
        self.new_client(self.source(name)?, true)
    }

    /// A client for the source. A token is sent over plain http:// only to this machine, unless the
    /// source says `allow_insecure_http = true`.
    fn new_client(&self, source: &SourceConfig, strict: bool) -> Result<FhirClient, AppError> {
        let (bearer_token, tokens) = match &source.auth {
            SourceAuth::Token => (secrets::source_token(&self.home, &source.name)?, None),
            SourceAuth::User { client_id } => (None, Some(Arc::new(UserTokens::for_source(&self.home, source, client_id)) as Arc<dyn TokenSource>)),
            SourceAuth::Backend { client_id } => {
                let key = secrets::backend_key(&self.home, &source.name, false)?;
                (None, Some(Arc::new(BackendTokens::new(source, client_id, key)) as Arc<dyn TokenSource>))
            }
        };
        let sends_token = bearer_token.is_some() || tokens.is_some();
        if sends_token && source.is_insecure_remote() && !source.allow_insecure_http {
            return Err(AppError::Invalid(format!(
                "source `{}` would send its token over plain http:// to another host; use https://, or set allow_insecure_http = true for it",
                source.name
            )));
        }
        let options = ClientOptions { bearer_token, tokens, strict, max_response_bytes: source.max_page_mb * 1024 * 1024, ..ClientOptions::default() };
        Ok(FhirClient::new(source.fhir.clone(), options)?)
    }

    /// Who is logged as the agent on calls: `[phone] agent`, else `SWITCHBOARD_USER`, else the OS user.
    pub fn agent_name(&self) -> String {
        let config = &self.config.phone.agent;
        config.clone().or_else(|| std::env::var("SWITCHBOARD_USER").ok()).or_else(|| std::env::var("USER").ok()).unwrap_or_else(|| "this workstation".into())
    }

    /// The language model of `[intake]`, when one is configured.
    pub fn llm_config(&self) -> Option<switchboard_intake::llm::LlmConfig> {
        let url = self.config.intake.llm_url.as_ref()?;
        let model = self.config.intake.llm_model.clone().unwrap_or_else(|| "default".into());
        Some(switchboard_intake::llm::LlmConfig { url: url.to_string(), model, timeout: std::time::Duration::from_secs(20) })
    }
}

/// The async runtime for one CLI verb (the worker keeps its own for its life).
pub fn runtime() -> Result<tokio::runtime::Runtime, AppError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| AppError::Internal(format!("cannot start the async runtime: {e}")))
}
