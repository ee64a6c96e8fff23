//! Search beyond a partial cache: what a person typed is asked of each partial source's server, and
//! the patients it finds are kept in the cache (and seen), so opening one fetches the rest of them.
//! The network half takes no cache, so typing and local search go on while the server answers.

use crate::context::App;
use crate::error::AppError;
use switchboard_core::AuditAction;
use switchboard_fhir::FhirClient;
use switchboard_store::{server_search_params, AuditEntry, PatientHit, Store, StoreError};
use tokio::runtime::Runtime;

/// Patients asked for per source and search.
const FOUND_AT_MOST: &str = "20";

/// Patients a server found: the source and each Patient's raw JSON.
pub struct Found {
    pub source: String,
    pub patients: Vec<String>,
}

impl App {
    /// Whether any source keeps a partial cache (the search box then also asks the server).
    pub fn has_partial_source(&self) -> bool {
        self.config.sources.iter().any(|s| s.partial)
    }

    /// The question `text` puts to each partial source's server: what to ask and whom. Holds no cache
    /// and no borrow of the app, so the window can await it with nothing locked.
    pub fn server_search(&self, text: &str) -> Result<ServerSearch, AppError> {
        let params = server_search_params(text, self.month_first(), self.clock.now().date_naive());
        let mut servers = Vec::new();
        for source in self.config.sources.iter().filter(|s| s.partial && !params.is_empty()) {
            servers.push((source.name.clone(), self.client(&source.name)?));
        }
        Ok(ServerSearch { servers, params })
    }

    /// Keeps what the servers found in the cache, seen now, with the search's audit event in the same
    /// transaction, and returns the cache's results for `text` (the local ones and the found ones together).
    pub fn keep_found(&self, store: &mut Store, text: &str, found: &[Found]) -> Result<Vec<PatientHit>, AppError> {
        let now = self.clock.now();
        let mut writer = store.writer(&now.to_rfc3339())?;
        for source in found {
            let mut ids = Vec::new();
            for raw in &source.patients {
                writer.upsert(&source.source, raw).map_err(|e| match e {
                    StoreError::BadResource(detail) => AppError::Invalid(format!("`{}` sent an unusable Patient: {detail}", source.source)),
                    other => other.into(),
                })?;
                let patient: serde_json::Value = serde_json::from_str(raw).unwrap_or_default();
                ids.extend(patient["id"].as_str().map(str::to_string));
            }
            writer.mark_seen(&source.source, &ids, now)?;
        }
        // The search's audit event goes in with what it found.
        let detail = format!("{} (asked the server)", text.trim());
        writer.audit(&self.actor(), &AuditEntry { action: AuditAction::Search, source: self.audit_source(None), patient: None, detail }, now)?;
        writer.commit()?;
        Ok(store.search_text(text, self.month_first(), now.date_naive())?)
    }

    /// Both halves at once (the CLI and tests).
    pub fn search_servers(&self, store: &mut Store, runtime: &Runtime, text: &str) -> Result<Vec<PatientHit>, AppError> {
        let found = runtime.block_on(self.server_search(text)?.ask())?;
        self.keep_found(store, text, &found)
    }
}

/// A Patient search to put to the partial sources' servers (`App::server_search`).
pub struct ServerSearch {
    servers: Vec<(String, FhirClient)>,
    params: Vec<(&'static str, String)>,
}

impl ServerSearch {
    /// Asks each server; returns the Patients each found.
    pub async fn ask(self) -> Result<Vec<Found>, AppError> {
        let mut found = Vec::new();
        for (source, client) in self.servers {
            let mut query: Vec<(&str, &str)> = self.params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            query.push(("_count", FOUND_AT_MOST));
            let mut page = client.get_page(&client.search_url("Patient", &query)?).await?;
            page.keep_only("Patient");
            found.push(Found { source, patients: page.resources.iter().map(|r| r.get().to_string()).collect() });
        }
        Ok(found)
    }
}
