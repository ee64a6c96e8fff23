//! FHIR Bulk Data Access (`$export`): kick-off, status polls, NDJSON downloads streamed line by line,
//! and the job's deletion. The status and file addresses come from the server; a token goes only to
//! the configured server's origin.

use crate::client::FhirClient;
use crate::error::{status_error, FhirError};
use reqwest::header::{ACCEPT, AUTHORIZATION};
use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use url::Url;

/// How long to wait between polls when the server does not say (`Retry-After`).
pub const DEFAULT_POLL: Duration = Duration::from_secs(2);

/// One output (or error) file of a finished export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportFile {
    #[serde(rename = "type")]
    pub resource_type: String,
    pub url: String,
}

/// The manifest of a finished export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The server's time the export reflects: the next round's `_since`.
    #[serde(rename = "transactionTime")]
    pub transaction_time: String,
    #[serde(default, rename = "requiresAccessToken")]
    pub requires_access_token: bool,
    #[serde(default)]
    pub output: Vec<ExportFile>,
    /// NDJSON files of OperationOutcomes: what the server could not export.
    #[serde(default)]
    pub error: Vec<ExportFile>,
    /// NDJSON files of Bundles listing resources deleted since `_since`.
    #[serde(default)]
    pub deleted: Vec<ExportFile>,
}

/// Where a running export stands.
#[derive(Debug, Clone, PartialEq)]
pub enum ExportStatus {
    /// Still running: the server's progress words, and how long it asks to be left before the next poll.
    Running {
        progress: Option<String>,
        wait: Duration,
    },
    Done(Manifest),
}

impl FhirClient {
    /// Starts an export at `kickoff` (a `$export` URL with its parameters) and returns the address to
    /// poll. The server must answer `202 Accepted` with a `Content-Location`.
    pub async fn export_kickoff(&self, kickoff: &Url) -> Result<Url, FhirError> {
        let reply = self.send(Method::GET, kickoff, None, &[("Prefer", "respond-async".into())]).await?;
        if reply.status != StatusCode::ACCEPTED {
            return Err(FhirError::BadResponse { detail: format!("the export kick-off answered HTTP {} instead of 202 Accepted", reply.status.as_u16()) });
        }
        let location =
            reply.content_location.ok_or_else(|| FhirError::BadResponse { detail: "the export kick-off gave no Content-Location to poll".into() })?;
        self.same_origin(&location)
    }

    /// Asks an export's status once.
    pub async fn export_status(&self, status: &Url) -> Result<ExportStatus, FhirError> {
        let reply = self.send(Method::GET, status, None, &[]).await?;
        if reply.status == StatusCode::ACCEPTED {
            let wait = reply.retry_after.unwrap_or(DEFAULT_POLL);
            return Ok(ExportStatus::Running { progress: reply.progress.map(|p| p.chars().take(100).collect()), wait });
        }
        let manifest: Manifest =
            serde_json::from_str(&reply.body).map_err(|e| FhirError::BadResponse { detail: format!("the export's manifest cannot be read: {e}") })?;
        Ok(ExportStatus::Done(manifest))
    }

    /// Deletes a finished (or abandoned) export job; one the server no longer knows is fine.
    pub async fn export_delete(&self, status: &Url) -> Result<(), FhirError> {
        match self.send(Method::DELETE, status, None, &[]).await {
            Ok(_) | Err(FhirError::Status { status: 404 | 410, .. }) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// Downloads an NDJSON file and hands each non-empty line to `line`, as it arrives: memory stays
    /// flat whatever the file's size. The token is sent only when the manifest requires one, and only to
    /// the configured server's origin.
    pub async fn export_download<E: From<FhirError>>(&self, file: &str, requires_token: bool, mut line: impl FnMut(&str) -> Result<(), E>) -> Result<u64, E> {
        let url = Url::parse(file).map_err(|e| FhirError::BadResponse { detail: format!("an export file's address is not a URL: {e}") })?;
        let mut request = self.http.get(url.clone()).header(ACCEPT, "application/fhir+ndjson");
        if requires_token {
            if url.origin() != self.base().origin() {
                return Err(FhirError::Elsewhere { what: "an export file that needs the token", host: host_of(&url) }.into());
            }
            if let Some(token) = self.bearer().await? {
                request = request.header(AUTHORIZATION, format!("Bearer {token}"));
            }
        }
        // A file may take long: no whole-request timeout, but a stall between chunks is one.
        let mut response = request.timeout(Duration::from_secs(3600)).send().await.map_err(|e| self.transport_error(&e))?;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            return Err(status_error(status.as_u16(), "application/fhir+json", &body).into());
        }
        let mut pending: Vec<u8> = Vec::new();
        let mut lines = 0u64;
        let stall = self.options.timeout;
        loop {
            let chunk = match tokio::time::timeout(stall, response.chunk()).await {
                Err(_) => return Err(FhirError::Timeout { seconds: stall.as_secs() }.into()),
                Ok(chunk) => chunk.map_err(|e| self.body_error(&e))?,
            };
            let Some(chunk) = chunk else { break };
            pending.extend_from_slice(&chunk);
            while let Some(end) = pending.iter().position(|b| *b == b'\n') {
                lines += hand_over(&pending[..end], &mut line)?;
                pending.drain(..=end);
            }
            if pending.len() > self.options.max_response_bytes {
                return Err(FhirError::TooLarge { limit_mb: self.options.max_response_bytes.div_ceil(1024 * 1024) }.into());
            }
        }
        lines += hand_over(&pending, &mut line)?;
        Ok(lines)
    }

    /// A status address from the server, refused unless it is on the configured server (a token
    /// goes with every poll).
    fn same_origin(&self, address: &str) -> Result<Url, FhirError> {
        let url = self.base().join(address).map_err(|e| FhirError::BadResponse { detail: format!("the export's status address is not a URL: {e}") })?;
        match url.origin() == self.base().origin() {
            true => Ok(url),
            false => Err(FhirError::Elsewhere { what: "the export's status", host: host_of(&url) }),
        }
    }
}

fn host_of(url: &Url) -> String {
    url.host_str().unwrap_or("an unnamed host").chars().take(100).collect()
}

/// One NDJSON line, if it holds anything: returns how many lines were handed over (0 or 1).
fn hand_over<E: From<FhirError>>(bytes: &[u8], line: &mut impl FnMut(&str) -> Result<(), E>) -> Result<u64, E> {
    let text = std::str::from_utf8(bytes).map_err(|_| FhirError::BadResponse { detail: "an export file line is not UTF-8 text".into() })?;
    let text = text.trim();
    if text.is_empty() {
        return Ok(0);
    }
    line(text)?;
    Ok(1)
}
