//! What delivery sends and what a conflict resolves to, and the server reads reconciliation needs
//! (a trait, so each kind's reconciliation is tested against recorded server states).

use serde_json::Value;
use switchboard_fhir::{FhirClient, FhirError};

/// One change to send: an update guarded by the version it was based on, or a conditional create.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Update(Value),
    Create { resource: Value, condition: String },
}

/// After a version conflict, what the server's current state means for the intent.
#[derive(Debug, PartialEq)]
pub enum Resolution {
    /// Already as intended: these are the server's copies.
    Done(Vec<Value>),
    /// No longer possible, in words, with the server's copies.
    Blocked(String, Vec<Value>),
    /// Still possible: send these changes, made on the server's current copies.
    Reapply(Vec<Change>),
}

/// Where a resource on the server stands against an intent.
pub(crate) enum Standing {
    /// Already as intended (an earlier attempt landed, or a colleague did the same).
    Done,
    /// Still open to the change.
    Open,
    /// Cannot take the change; the words say why.
    Blocked(String),
}

impl Standing {
    /// The resolution for an action that changes one resource: `reapply` is the change on a fresh copy.
    pub(crate) fn resolve(self, current: Value, reapply: impl FnOnce(&mut Value)) -> Resolution {
        match self {
            Standing::Done => Resolution::Done(vec![current]),
            Standing::Blocked(words) => Resolution::Blocked(words, vec![current]),
            Standing::Open => {
                let mut next = current;
                reapply(&mut next);
                Resolution::Reapply(vec![Change::Update(next)])
            }
        }
    }
}

/// What reconciliation reads from the server.
pub trait Server {
    /// The resource as the server holds it now.
    fn read(&self, kind: &str, id: &str) -> impl std::future::Future<Output = Result<Value, FhirError>>;
    /// The resource of `kind` carrying `identifier` (`system|value`), if there is one.
    fn find(&self, kind: &str, identifier: &str) -> impl std::future::Future<Output = Result<Option<Value>, FhirError>>;
}

impl Server for FhirClient {
    async fn read(&self, kind: &str, id: &str) -> Result<Value, FhirError> {
        FhirClient::read(self, kind, id).await
    }

    async fn find(&self, kind: &str, identifier: &str) -> Result<Option<Value>, FhirError> {
        let page = self.get_page(&self.search_url(kind, &[("identifier", identifier)])?).await?;
        Ok(page.resources.first().and_then(|raw| serde_json::from_str(raw.get()).ok()))
    }
}

/// The resource a conditional create in `changes` made, if the server has it.
pub(crate) async fn created_by(server: &impl Server, changes: &[Change]) -> Result<Option<Value>, FhirError> {
    let created = changes.iter().find_map(|c| match c {
        Change::Create { resource, condition } => Some((resource["resourceType"].as_str().unwrap_or_default(), condition)),
        Change::Update(_) => None,
    });
    match created {
        Some((kind, condition)) => server.find(kind, condition.trim_start_matches("identifier=")).await,
        None => Ok(None),
    }
}

/// A conditional create does not conflict; a version conflict on one is the server's own error.
pub(crate) fn create_refused() -> Resolution {
    Resolution::Blocked("the server refused the create with a version conflict".into(), Vec::new())
}

/// Server states recorded for reconciliation tests: no network.
#[cfg(test)]
pub(crate) mod recorded {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(Default)]
    pub struct Recorded {
        /// "Type/id" to the resource.
        pub resources: BTreeMap<String, Value>,
        /// "Type|system|value" to what carries that identifier.
        pub found: BTreeMap<String, Value>,
    }

    impl Recorded {
        pub fn with(resources: &[Value]) -> Recorded {
            let mut recorded = Recorded::default();
            for r in resources {
                recorded.resources.insert(format!("{}/{}", r["resourceType"].as_str().unwrap(), r["id"].as_str().unwrap()), r.clone());
            }
            recorded
        }
    }

    impl Server for Recorded {
        async fn read(&self, kind: &str, id: &str) -> Result<Value, FhirError> {
            self.resources.get(&format!("{kind}/{id}")).cloned().ok_or(FhirError::Status { status: 404, message: format!("{kind}/{id} is gone") })
        }

        async fn find(&self, kind: &str, identifier: &str) -> Result<Option<Value>, FhirError> {
            Ok(self.found.get(&format!("{kind}|{identifier}")).cloned())
        }
    }

    /// Runs a future to its end on this thread (the recorded server never waits).
    pub fn settle<T>(future: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(future)
    }
}
