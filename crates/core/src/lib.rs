//! Shared vocabulary of the Switchboard core: the synced FHIR resource types, the injectable clock,
//! where Switchboard keeps its files, and the sources config file.

pub mod actor;
pub mod clock;
pub mod config;
pub mod home;
pub mod reference;
pub mod resource_types;
pub mod vocab;

pub use actor::Actor;
pub use clock::{Clock, FixedClock, SystemClock};
pub use config::{Config, ConfigError, SourceAuth, SourceConfig, SyncMethod};
pub use home::Home;
pub use vocab::{status, AuditAction, CallDisposition, LocalId, OutboxState, StaffRole, TaskPriority};

/// The identifier system of what rules make: the value is `<rule id>:<dedupe key>`, the same on every
/// workstation, so a conditional create makes one resource however many workstations send it.
pub const RULE_SYSTEM: &str = "urn:switchboard:rule";
