//! The sources config file (`config.toml` in the config directory). It lists the clinic's FHIR endpoints.
//! A bad file is refused whole, with an error that names the file, the line and the field.
//! Bearer tokens are not kept here: they live in the OS keyring.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};
use toml::Spanned;
use url::Url;

mod hl7;
mod identity;
pub use hl7::{Hl7Config, Hl7Tls, DEFAULT_HL7_LISTEN};
pub use identity::{IdentityConfig, SourceRole, DEFAULT_AUTO_LINK_AT, DEFAULT_REVIEW_AT};

pub const DEFAULT_PAGE_SIZE: u32 = 200;
pub const DEFAULT_PHONE_REGION: &str = "US";
/// The local call listener's port unless `[phone] port` says otherwise.
pub const DEFAULT_CALL_PORT: u16 = 47800;

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Region used to read phone numbers written without a country code (ISO 3166 alpha-2).
    pub phone_region: String,
    pub sources: Vec<SourceConfig>,
    pub phone: PhoneConfig,
    pub intake: IntakeConfig,
    pub audit: AuditConfig,
    pub session: SessionConfig,
    pub roles: RolesConfig,
    pub identity: IdentityConfig,
    pub hl7: Hl7Config,
}

/// `[roles]`: which PractitionerRole codes make each role (`nurse = ["224535009", "nurse"]`), and
/// `[roles.allow]`: action kinds a role may take beyond its own (`frontdesk = ["task_complete"]`).
/// Without it, sign-in sets no role and no action is refused by role.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RolesConfig {
    pub codes: std::collections::BTreeMap<crate::StaffRole, Vec<String>>,
    pub allow: std::collections::BTreeMap<crate::StaffRole, Vec<String>>,
}

impl RolesConfig {
    /// The role the codes give: the most trusted one any code maps to.
    pub fn role_of(&self, codes: &[String]) -> Option<crate::StaffRole> {
        self.codes.iter().rev().find(|(_, mapped)| mapped.iter().any(|m| codes.contains(m))).map(|(role, _)| *role)
    }
}

/// The window locks after this many idle minutes unless `[session] idle_lock_minutes` says otherwise.
pub const DEFAULT_IDLE_LOCK_MINUTES: u32 = 10;
/// The shortest and longest idle time a clinic may set.
pub const IDLE_LOCK_MINUTES: std::ops::RangeInclusive<u32> = 1..=30;

/// `[session]`: how the window protects what is on screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    /// Minutes without a key press or pointer move before every screen's patient data is hidden.
    pub idle_lock_minutes: u32,
    /// Whether a signed-in person may unlock with a short PIN they set, instead of signing in again.
    pub unlock_pin: bool,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig { idle_lock_minutes: DEFAULT_IDLE_LOCK_MINUTES, unlock_pin: false }
    }
}

/// `[audit]`: where the audit log is sent. Without a repository, each event goes to its patient's
/// source when that server takes AuditEvent writes, and otherwise stays in this workstation's log.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditConfig {
    /// The clinic's audit record repository: a FHIR endpoint that takes AuditEvents (IHE RESTful ATNA).
    pub repository: Option<Url>,
}

/// The keyring name of the audit repository's bearer token (kept like a source's).
pub const AUDIT_REPOSITORY: &str = "audit-repository";

/// `[phone]`: the local listener phone systems report calls to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneConfig {
    /// 127.0.0.1 port of the listener.
    pub port: u16,
    /// `listen = false` turns the listener off (and with it screen pops and single-instance hand-over).
    pub listen: bool,
    /// The name logged as the agent on calls taken at this workstation (default: the OS user).
    pub agent: Option<String>,
}

impl Default for PhoneConfig {
    fn default() -> Self {
        PhoneConfig { port: DEFAULT_CALL_PORT, listen: true, agent: None }
    }
}

/// `[intake]`: the optional language model of the intake assistant (off unless `llm_url` is set).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IntakeConfig {
    /// An OpenAI-compatible chat completions URL, e.g. a local server's /v1/chat/completions.
    pub llm_url: Option<Url>,
    pub llm_model: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceConfig {
    pub name: String,
    pub fhir: Url,
    pub page_size: u32,
    /// Pages followed per search at most.
    pub max_pages: usize,
    /// One response, decompressed, at most this many MB.
    pub max_page_mb: usize,
    /// Lets a token go over plain http:// to a host other than this machine (warned on every sync).
    pub allow_insecure_http: bool,
    /// How requests to it are authorised.
    pub auth: SourceAuth,
    /// How its data is read: chosen from its CapabilityStatement, or fixed here.
    pub sync: SyncMethod,
    /// The Group whose members a Group-level export reads (`Group/<id>/$export`).
    pub export_group: Option<String>,
    /// The longest wait between polls of a running export (the server's `Retry-After` up to this).
    pub export_poll_seconds: u64,
    /// The cache holds only the patients staff meet (today's and the coming days' schedule, open
    /// tasks, recent calls, anyone opened or found); search asks the server for the rest.
    pub partial: bool,
    /// The days ahead whose schedule counts as "in view", and the days back whose calls do.
    pub focus_days: u32,
    /// A partial source's patients not opened or in view for this many days leave the cache.
    pub retention_days: u32,
    /// What it is the system of record for; empty when `roles` is left out (it holds everything, and
    /// what is done about its patients goes back to it).
    pub roles: Vec<SourceRole>,
}

pub const DEFAULT_FOCUS_DAYS: u32 = 7;
pub const DEFAULT_RETENTION_DAYS: u32 = 30;

/// Seconds between export polls at most, unless `export_poll_seconds` says otherwise.
pub const DEFAULT_EXPORT_POLL_SECONDS: u64 = 120;

/// `sync` of a source: `auto` reads the CapabilityStatement and prefers searches across the server
/// when it allows them; `search` and `export` fix the choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SyncMethod {
    #[default]
    Auto,
    Search,
    Export,
}

impl SyncMethod {
    pub fn word(self) -> &'static str {
        match self {
            SyncMethod::Auto => "auto",
            SyncMethod::Search => "search",
            SyncMethod::Export => "export",
        }
    }
}

/// `auth` of a source: a fixed bearer token kept in the keyring (or none), a person's SMART sign-in, or
/// this workstation as a SMART backend client; the last two as `client_id` (the id the clinic's
/// authorization server registered Switchboard under).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SourceAuth {
    #[default]
    Token,
    User {
        client_id: String,
    },
    Backend {
        client_id: String,
    },
}

impl SourceAuth {
    /// The config file's word for it, and the client id.
    fn raw(&self) -> (Option<&'static str>, Option<String>) {
        match self {
            SourceAuth::Token => (None, None),
            SourceAuth::User { client_id } => (Some("user"), Some(client_id.clone())),
            SourceAuth::Backend { client_id } => (Some("backend"), Some(client_id.clone())),
        }
    }
}

/// Pages per search unless `max_pages` says otherwise: with 100 per page, a million of one type.
pub const DEFAULT_MAX_PAGES: usize = 10_000;
/// MB per response unless `max_page_mb` says otherwise.
pub const DEFAULT_MAX_PAGE_MB: usize = 64;

impl SourceConfig {
    /// A source with the default limits.
    pub fn new(name: impl Into<String>, fhir: Url) -> SourceConfig {
        SourceConfig {
            name: name.into(),
            fhir,
            page_size: DEFAULT_PAGE_SIZE,
            max_pages: DEFAULT_MAX_PAGES,
            max_page_mb: DEFAULT_MAX_PAGE_MB,
            allow_insecure_http: false,
            auth: SourceAuth::Token,
            sync: SyncMethod::Auto,
            export_group: None,
            export_poll_seconds: DEFAULT_EXPORT_POLL_SECONDS,
            partial: false,
            focus_days: DEFAULT_FOCUS_DAYS,
            retention_days: DEFAULT_RETENTION_DAYS,
            roles: Vec::new(),
        }
    }

    /// Whether it serves `role`: declared, or holding everything.
    pub fn serves(&self, role: SourceRole) -> bool {
        self.roles.is_empty() || self.roles.contains(&role)
    }

    /// Plain http:// to a host other than this machine: a token sent there can be read on the way.
    pub fn is_insecure_remote(&self) -> bool {
        let loopback = match self.fhir.host() {
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        self.fhir.scheme() == "http" && !loopback
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            phone_region: DEFAULT_PHONE_REGION.to_string(),
            sources: Vec::new(),
            phone: PhoneConfig::default(),
            intake: IntakeConfig::default(),
            audit: AuditConfig::default(),
            session: SessionConfig::default(),
            roles: RolesConfig::default(),
            identity: IdentityConfig::default(),
            hl7: Hl7Config::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub field: Option<String>,
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "config file {}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ", field `{field}`")?;
        }
        write!(f, ": {}", self.problem)
    }
}

impl std::error::Error for ConfigError {}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    phone_region: Option<Spanned<String>>,
    #[serde(default, rename = "source")]
    sources: Vec<RawSource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    phone: Option<RawPhone>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    intake: Option<RawIntake>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    audit: Option<RawAudit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    session: Option<RawSession>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    roles: Option<RawRoles>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    identity: Option<identity::RawIdentity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hl7: Option<hl7::RawHl7>,
}

#[derive(Deserialize, Serialize)]
struct RawRoles {
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    allow: std::collections::BTreeMap<String, Vec<String>>,
    #[serde(flatten)]
    codes: std::collections::BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawSession {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    idle_lock_minutes: Option<Spanned<u32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unlock_pin: Option<bool>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawAudit {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    repository: Option<Spanned<String>>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawPhone {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    port: Option<Spanned<u16>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    listen: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    agent: Option<String>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawIntake {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    llm_url: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    llm_model: Option<String>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    name: Spanned<String>,
    fhir: Spanned<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    page_size: Option<Spanned<u32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_pages: Option<Spanned<usize>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_page_mb: Option<Spanned<usize>>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    allow_insecure_http: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    auth: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sync: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    export_group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    export_poll_seconds: Option<Spanned<usize>>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    partial: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    focus_days: Option<Spanned<usize>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retention_days: Option<Spanned<usize>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    roles: Option<Spanned<Vec<String>>>,
}

impl Config {
    /// Loads the file, or the empty default when it does not exist.
    pub fn load(file: &Path) -> Result<Config, ConfigError> {
        match std::fs::read_to_string(file) {
            Ok(text) => Config::parse(file, &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(ConfigError { file: file.to_path_buf(), line: None, field: None, problem: format!("cannot be read: {e}") }),
        }
    }

    pub fn parse(file: &Path, text: &str) -> Result<Config, ConfigError> {
        let error = |span: Option<std::ops::Range<usize>>, field: Option<&str>, problem: String| ConfigError {
            file: file.to_path_buf(),
            line: span.map(|s| line_of(text, s.start)),
            field: field.map(str::to_string),
            problem,
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let message = e.message().to_string();
            // The parser may quote the value; a long one is cut to its start.
            let field = field_in_message(&message).map(|f| f.chars().take(60).collect::<String>());
            error(e.span(), field.as_deref(), shortened(&message, 300))
        })?;
        let phone_region = match raw.phone_region {
            Some(region) => {
                let value = region.get_ref().trim().to_ascii_uppercase();
                if value.len() != 2 || !value.chars().all(|c| c.is_ascii_alphabetic()) {
                    return Err(error(
                        Some(region.span()),
                        Some("phone_region"),
                        format!("{} is not a two-letter country code such as US or MX", quoted(region.get_ref())),
                    ));
                }
                value
            }
            None => DEFAULT_PHONE_REGION.to_string(),
        };
        let mut sources: Vec<SourceConfig> = Vec::new();
        for raw_source in raw.sources {
            let name = raw_source.name.get_ref().trim().to_string();
            if !valid_source_name(&name) {
                return Err(error(Some(raw_source.name.span()), Some("name"), "a source name must be 1-40 letters, digits, '-' or '_'".to_string()));
            }
            if sources.iter().any(|s| s.name == name) {
                return Err(error(Some(raw_source.name.span()), Some("name"), format!("source `{name}` is listed twice")));
            }
            let fhir = parse_fhir_url(raw_source.fhir.get_ref()).map_err(|problem| error(Some(raw_source.fhir.span()), Some("fhir"), problem))?;
            let page_size = match raw_source.page_size {
                Some(size) if !(1..=1000).contains(size.get_ref()) => {
                    return Err(error(Some(size.span()), Some("page_size"), "must be between 1 and 1000".to_string()))
                }
                Some(size) => size.into_inner(),
                None => DEFAULT_PAGE_SIZE,
            };
            let bounded = |value: Option<Spanned<usize>>, field: &str, range: std::ops::RangeInclusive<usize>, default: usize| match value {
                Some(v) if !range.contains(v.get_ref()) => {
                    Err(error(Some(v.span()), Some(field), format!("must be between {} and {}", range.start(), range.end())))
                }
                Some(v) => Ok(v.into_inner()),
                None => Ok(default),
            };
            let max_pages = bounded(raw_source.max_pages, "max_pages", 1..=1_000_000, DEFAULT_MAX_PAGES)?;
            let max_page_mb = bounded(raw_source.max_page_mb, "max_page_mb", 1..=1024, DEFAULT_MAX_PAGE_MB)?;
            let auth = match raw_source.auth {
                None => SourceAuth::Token,
                Some(auth) => match (auth.get_ref().as_str(), raw_source.client_id.filter(|id| !id.trim().is_empty())) {
                    ("token", _) => SourceAuth::Token,
                    ("user", Some(client_id)) => SourceAuth::User { client_id: client_id.trim().to_string() },
                    ("backend", Some(client_id)) => SourceAuth::Backend { client_id: client_id.trim().to_string() },
                    ("user" | "backend", None) => {
                        let problem = "a source with auth = \"user\" or \"backend\" needs the `client_id` the clinic registered".to_string();
                        return Err(error(Some(auth.span()), Some("client_id"), problem));
                    }
                    (other, _) => return Err(error(Some(auth.span()), Some("auth"), format!("{} is not one of token, user, backend", quoted(other)))),
                },
            };
            let sync = match raw_source.sync {
                None => SyncMethod::Auto,
                Some(word) => match word.get_ref().as_str() {
                    "auto" => SyncMethod::Auto,
                    "search" => SyncMethod::Search,
                    "export" => SyncMethod::Export,
                    other => return Err(error(Some(word.span()), Some("sync"), format!("{} is not one of auto, search, export", quoted(other)))),
                },
            };
            let export_group = raw_source.export_group.map(|g| g.trim().trim_start_matches("Group/").to_string()).filter(|g| !g.is_empty());
            if let Some(group) = export_group.as_deref().filter(|g| !g.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')) {
                return Err(error(None, Some("export_group"), format!("{} is not a FHIR id (letters, digits, - and .)", quoted(group))));
            }
            let export_poll_seconds = bounded(raw_source.export_poll_seconds, "export_poll_seconds", 1..=600, DEFAULT_EXPORT_POLL_SECONDS as usize)? as u64;
            let focus_days = bounded(raw_source.focus_days, "focus_days", 1..=60, DEFAULT_FOCUS_DAYS as usize)? as u32;
            let retention_days = bounded(raw_source.retention_days, "retention_days", 1..=3650, DEFAULT_RETENTION_DAYS as usize)? as u32;
            let (allow_insecure_http, partial) = (raw_source.allow_insecure_http, raw_source.partial);
            let roles = match raw_source.roles {
                Some(words) => identity::parse_roles(words.get_ref()).map_err(|problem| error(Some(words.span()), Some("roles"), problem))?,
                None => Vec::new(),
            };
            sources.push(SourceConfig {
                name,
                fhir,
                page_size,
                max_pages,
                max_page_mb,
                allow_insecure_http,
                auth,
                sync,
                export_group,
                export_poll_seconds,
                partial,
                focus_days,
                retention_days,
                roles,
            });
        }
        identity::check_role_map(&sources).map_err(|problem| error(None, Some("roles"), problem))?;
        let identity = match raw.identity {
            Some(section) => section.check().map_err(|(field, problem)| error(None, Some(field), problem))?,
            None => IdentityConfig::default(),
        };
        let hl7 = raw.hl7.unwrap_or_default().check(&sources).map_err(|(field, problem)| error(None, Some(field), problem))?;
        let phone = match raw.phone {
            Some(phone) => PhoneConfig {
                port: match phone.port {
                    Some(port) if *port.get_ref() < 1024 => return Err(error(Some(port.span()), Some("port"), "must be between 1024 and 65535".to_string())),
                    Some(port) => port.into_inner(),
                    None => DEFAULT_CALL_PORT,
                },
                listen: phone.listen.unwrap_or(true),
                agent: phone.agent.map(|a| a.trim().to_string()).filter(|a| !a.is_empty()),
            },
            None => PhoneConfig::default(),
        };
        let intake = match raw.intake {
            Some(intake) => IntakeConfig {
                llm_url: match intake.llm_url {
                    Some(url) => Some(parse_http_url(url.get_ref()).map_err(|problem| error(Some(url.span()), Some("llm_url"), problem))?),
                    None => None,
                },
                llm_model: intake.llm_model,
            },
            None => IntakeConfig::default(),
        };
        let audit = AuditConfig {
            repository: match raw.audit.and_then(|a| a.repository) {
                Some(url) => Some(parse_fhir_url(url.get_ref()).map_err(|problem| error(Some(url.span()), Some("repository"), problem))?),
                None => None,
            },
        };
        if let Some(name) = sources.iter().map(|s| s.name.as_str()).find(|name| *name == AUDIT_REPOSITORY) {
            return Err(error(None, Some("name"), format!("`{name}` is the audit repository's name; choose another for the source")));
        }
        let unlock_pin = raw.session.as_ref().and_then(|s| s.unlock_pin).unwrap_or(false);
        let session = SessionConfig {
            unlock_pin,
            idle_lock_minutes: match raw.session.and_then(|s| s.idle_lock_minutes) {
                Some(minutes) if !IDLE_LOCK_MINUTES.contains(minutes.get_ref()) => {
                    let range = format!("must be between {} and {} minutes", IDLE_LOCK_MINUTES.start(), IDLE_LOCK_MINUTES.end());
                    return Err(error(Some(minutes.span()), Some("idle_lock_minutes"), range));
                }
                Some(minutes) => minutes.into_inner(),
                None => DEFAULT_IDLE_LOCK_MINUTES,
            },
        };
        let mut roles = RolesConfig::default();
        let raw_roles = raw.roles.map(|r| (r.codes, r.allow)).unwrap_or_default();
        for (table, entries, section) in [(&mut roles.codes, raw_roles.0, "roles"), (&mut roles.allow, raw_roles.1, "roles.allow")] {
            for (name, values) in entries {
                let role: crate::StaffRole = name.parse().map_err(|problem: String| error(None, Some(&format!("{section}.{name}")), problem))?;
                table.insert(role, values);
            }
        }
        Ok(Config { phone_region, sources, phone, intake, audit, session, roles, identity, hl7 })
    }

    /// Writes the file atomically (temporary file, then rename), so a crash never leaves half a config.
    pub fn save(&self, file: &Path) -> std::io::Result<()> {
        let raw = RawConfig {
            phone_region: Some(Spanned::new(0..0, self.phone_region.clone())),
            sources: self
                .sources
                .iter()
                .map(|s| RawSource {
                    name: Spanned::new(0..0, s.name.clone()),
                    fhir: Spanned::new(0..0, s.fhir.to_string()),
                    page_size: (s.page_size != DEFAULT_PAGE_SIZE).then(|| Spanned::new(0..0, s.page_size)),
                    max_pages: (s.max_pages != DEFAULT_MAX_PAGES).then(|| Spanned::new(0..0, s.max_pages)),
                    max_page_mb: (s.max_page_mb != DEFAULT_MAX_PAGE_MB).then(|| Spanned::new(0..0, s.max_page_mb)),
                    allow_insecure_http: s.allow_insecure_http,
                    auth: s.auth.raw().0.map(|word| Spanned::new(0..0, word.to_string())),
                    client_id: s.auth.raw().1,
                    sync: (s.sync != SyncMethod::Auto).then(|| Spanned::new(0..0, s.sync.word().to_string())),
                    export_group: s.export_group.clone(),
                    export_poll_seconds: (s.export_poll_seconds != DEFAULT_EXPORT_POLL_SECONDS).then(|| Spanned::new(0..0, s.export_poll_seconds as usize)),
                    partial: s.partial,
                    focus_days: (s.focus_days != DEFAULT_FOCUS_DAYS).then(|| Spanned::new(0..0, s.focus_days as usize)),
                    retention_days: (s.retention_days != DEFAULT_RETENTION_DAYS).then(|| Spanned::new(0..0, s.retention_days as usize)),
                    roles: (!s.roles.is_empty()).then(|| Spanned::new(0..0, s.roles.iter().map(|r| r.word().to_string()).collect())),
                })
                .collect(),
            phone: (self.phone != PhoneConfig::default()).then(|| RawPhone {
                port: (self.phone.port != DEFAULT_CALL_PORT).then(|| Spanned::new(0..0, self.phone.port)),
                listen: (!self.phone.listen).then_some(false),
                agent: self.phone.agent.clone(),
            }),
            intake: (self.intake != IntakeConfig::default()).then(|| RawIntake {
                llm_url: self.intake.llm_url.as_ref().map(|u| Spanned::new(0..0, u.to_string())),
                llm_model: self.intake.llm_model.clone(),
            }),
            audit: self.audit.repository.as_ref().map(|url| RawAudit { repository: Some(Spanned::new(0..0, url.to_string())) }),
            roles: (self.roles != RolesConfig::default()).then(|| RawRoles {
                allow: self.roles.allow.iter().map(|(role, kinds)| (role.to_string(), kinds.clone())).collect(),
                codes: self.roles.codes.iter().map(|(role, codes)| (role.to_string(), codes.clone())).collect(),
            }),
            session: (self.session != SessionConfig::default()).then(|| RawSession {
                idle_lock_minutes: Some(Spanned::new(0..0, self.session.idle_lock_minutes)),
                unlock_pin: self.session.unlock_pin.then_some(true),
            }),
            identity: identity::RawIdentity::from(&self.identity),
            hl7: hl7::RawHl7::from(&self.hl7),
        };
        let text = toml::to_string_pretty(&raw).map_err(std::io::Error::other)?;
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = file.with_extension("toml.tmp");
        std::fs::write(&tmp, format!("# Switchboard sources. Tokens are kept in the OS keyring, not here.\n{text}"))?;
        std::fs::rename(tmp, file)
    }

    pub fn source(&self, name: &str) -> Option<&SourceConfig> {
        self.sources.iter().find(|s| s.name == name)
    }
}

pub fn valid_source_name(name: &str) -> bool {
    (1..=40).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A value someone supplied, as an error message quotes it: at most 60 characters.
pub fn quoted(text: &str) -> String {
    format!("`{}`", shortened(text, 60))
}

/// The text, or its first `max` characters and how long it was.
pub fn shortened(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}… ({} characters)", &text[..cut], text.chars().count()),
        None => text.to_string(),
    }
}

/// An http or https URL without credentials in it (a user name or password there would be stored in
/// the config file and printed); the message never repeats them.
fn parse_http_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text.trim()).map_err(|e| format!("{} is not a URL ({e})", quoted(&without_userinfo(text))))?;
    if !url.username().is_empty() || url.password().is_some() {
        let mut shown = url.clone();
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        return Err(format!(
            "{} must not carry a user name or password; keep a token in the OS keyring (`switchboard source add NAME --fhir URL --token-stdin`)",
            quoted(shown.as_str())
        ));
    }
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(format!("{} must start with http:// or https://", quoted(text)));
    }
    Ok(url)
}

/// The text with anything between `://` and an `@` before the host removed, for messages about a
/// string that did not parse as a URL.
fn without_userinfo(text: &str) -> String {
    match (text.find("://"), text.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}{}", &text[..scheme + 3], &text[at + 1..]),
        _ => text.to_string(),
    }
}

/// A FHIR base URL: http or https, no query or fragment, with a trailing slash so relative joins work.
pub fn parse_fhir_url(text: &str) -> Result<Url, String> {
    let mut url = parse_http_url(text)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{} must be a base URL without ?query or #fragment", quoted(text)));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// serde names the field in its messages as "unknown field `x`" or "missing field `x`".
fn field_in_message(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(message[start..end].to_string())
}

#[cfg(test)]
mod tests;
