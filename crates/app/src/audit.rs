//! Who is at the keyboard, and the audit of what they read and do. Every read of patient data that a
//! screen or a verb shows goes through here, so it is recorded in the cache before it is shown.

use crate::context::App;
use crate::error::AppError;
use switchboard_core::config::AUDIT_REPOSITORY;
use switchboard_core::{Actor, AuditAction};
use switchboard_fhir::FhirClient;
use switchboard_outbox::audit::{send_audits, AuditReport};
use switchboard_outbox::{drain, DrainReport};
use switchboard_store::{AuditEntry, PatientView, Store};
use tokio::runtime::Runtime;

/// One source's delivery round: its queued actions, then its audit events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivered {
    pub source: String,
    pub actions: DrainReport,
    pub audits: AuditReport,
}

/// How the window names the actor: the Practitioner when signed in, else "name at host".
pub(crate) fn shown(actor: &Actor) -> String {
    actor.practitioner.clone().unwrap_or_else(|| format!("{} at {}", actor.name, actor.workstation))
}

impl App {
    /// Who acts from this workstation: the signed-in person, else the agent name at this host.
    pub fn actor(&self) -> Actor {
        match self.signed_in() {
            Some(session) => Actor { practitioner: session.fhir_user.clone(), ..Actor::at_workstation(session.subject.clone()) },
            None => Actor::at_workstation(self.agent_name()),
        }
    }

    /// Where an event goes: the patient's source, else the clinic's first source, else the demo's.
    pub(crate) fn audit_source(&self, patient_source: Option<&str>) -> String {
        patient_source.or(self.config.sources.first().map(|s| s.name.as_str())).unwrap_or(switchboard_demo::DEMO_SOURCE).to_string()
    }

    /// Records one event; `patient` is (source, id) when it is about one patient.
    pub fn audit(&self, store: &mut Store, action: AuditAction, patient: Option<(&str, &str)>, detail: &str) -> Result<(), AppError> {
        let entry =
            AuditEntry { action, source: self.audit_source(patient.map(|p| p.0)), patient: patient.map(|p| p.1.to_string()), detail: detail.to_string() };
        store.audit(&self.actor(), &entry, self.clock.now())?;
        Ok(())
    }

    /// A patient's workspace, recorded as read by the actor.
    pub fn open_patient(&self, store: &mut Store, source: &str, id: &str) -> Result<Option<PatientView>, AppError> {
        Ok(store.open_patient(&self.actor(), source, id, self.clock.now())?)
    }

    /// Delivers every source's due actions, then the audit log (see `send_audit_log`).
    pub fn deliver(&self, store: &mut Store, runtime: &Runtime) -> Result<Vec<Delivered>, AppError> {
        let mut rounds = Vec::new();
        for source in &self.config.sources {
            let client = self.client(&source.name)?;
            let actions = runtime.block_on(drain(store, &client, &source.name, self.clock.as_ref()))?;
            let audits = match self.config.audit.repository {
                Some(_) => AuditReport::default(),
                None => self.send_audit_log(store, runtime, &source.name, &client)?,
            };
            rounds.push(Delivered { source: source.name.clone(), actions, audits });
        }
        if self.config.audit.repository.is_some() {
            let client = self.client(AUDIT_REPOSITORY)?;
            let audits = runtime.block_on(send_audits(store, &client, None, "the audit repository", self.clock.now()))?;
            rounds.push(Delivered { source: AUDIT_REPOSITORY.into(), actions: DrainReport::default(), audits });
        }
        Ok(rounds)
    }

    /// Sends a source's events to it when its CapabilityStatement offers AuditEvent writes (asked once);
    /// otherwise they stay in this workstation's log, and the report says so.
    fn send_audit_log(&self, store: &mut Store, runtime: &Runtime, source: &str, client: &FhirClient) -> Result<AuditReport, AppError> {
        let known = self.takes_audits.lock().unwrap_or_else(|p| p.into_inner()).get(source).copied();
        let takes = match known {
            Some(takes) => takes,
            None => match runtime.block_on(client.capabilities()) {
                Ok((capabilities, _)) => {
                    let takes = capabilities.supports("AuditEvent", "update") || capabilities.supports("AuditEvent", "create");
                    self.takes_audits.lock().unwrap_or_else(|p| p.into_inner()).insert(source.to_string(), takes);
                    takes
                }
                Err(error) => {
                    let words = format!("audit events wait: {source}'s capabilities could not be read ({error})");
                    return Ok(AuditReport { error: Some(words), ..AuditReport::default() });
                }
            },
        };
        if !takes {
            return Ok(AuditReport { kept_here: true, ..AuditReport::default() });
        }
        Ok(runtime.block_on(send_audits(store, client, Some(source), source, self.clock.now()))?)
    }
}
