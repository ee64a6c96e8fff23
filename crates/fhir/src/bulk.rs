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

    /// Opens an NDJSON file for reading a batch of lines at a time, as they arrive: memory stays flat
    /// whatever the file's size. The token is sent only when the manifest requires one, and only to
    /// the configured server's origin.
    pub async fn export_open(&self, file: &str, requires_token: bool) -> Result<ExportReader, FhirError> {
        let url = Url::parse(file).map_err(|e| FhirError::BadResponse { detail: format!("an export file's address is not a URL: {e}") })?;
        let mut request = self.http.get(url.clone()).header(ACCEPT, "application/fhir+ndjson");
        if requires_token {
            if url.origin() != self.base().origin() {
                return Err(FhirError::Elsewhere { what: "an export file that needs the token", host: host_of(&url) });
            }
            if let Some(token) = self.bearer().await? {
                request = request.header(AUTHORIZATION, format!("Bearer {token}"));
            }
        }
        // A file may take long: no whole-request timeout, but a stall between chunks is one.
        let response = request.timeout(Duration::from_secs(3600)).send().await.map_err(|e| self.transport_error(&e))?;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            return Err(status_error(status.as_u16(), "application/fhir+json", &body));
        }
        Ok(ExportReader { client: self.clone(), response: Some(response), pending: Vec::new() })
    }

    /// Downloads an NDJSON file and hands each non-empty line to `line`, as it arrives.
    pub async fn export_download<E: From<FhirError>>(&self, file: &str, requires_token: bool, mut line: impl FnMut(&str) -> Result<(), E>) -> Result<u64, E> {
        let mut reader = self.export_open(file, requires_token).await?;
        let mut lines = 0u64;
        while let Some(batch) = reader.next_batch(1000).await? {
            for text in &batch {
                line(text)?;
            }
            lines += batch.len() as u64;
        }
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
/// An NDJSON file being read (`FhirClient::export_open`).
pub struct ExportReader {
    client: FhirClient,
    /// None once the body has ended.
    response: Option<reqwest::Response>,
    /// Bytes of a line not yet ended.
    pending: Vec<u8>,
}

impl ExportReader {
    /// Up to `max` more non-empty lines (fewer only at the end); `None` when the file is done.
    pub async fn next_batch(&mut self, max: usize) -> Result<Option<Vec<String>>, FhirError> {
        let mut lines = Vec::new();
        while lines.len() < max {
            if let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
                push_line(&self.pending[..end], &mut lines)?;
                self.pending.drain(..=end);
                continue;
            }
            let Some(response) = self.response.as_mut() else {
                push_line(&std::mem::take(&mut self.pending), &mut lines)?;
                break;
            };
            let stall = self.client.options.timeout;
            let chunk = match tokio::time::timeout(stall, response.chunk()).await {
                Err(_) => return Err(FhirError::Timeout { seconds: stall.as_secs() }),
                Ok(chunk) => chunk.map_err(|e| self.client.body_error(&e))?,
            };
            match chunk {
                Some(chunk) => self.pending.extend_from_slice(&chunk),
                None => self.response = None,
            }
            if self.pending.len() > self.client.options.max_response_bytes {
                return Err(FhirError::TooLarge { limit_mb: self.client.options.max_response_bytes.div_ceil(1024 * 1024) });
            }
        }
        Ok((!lines.is_empty()).then_some(lines))
    }
}

fn push_line(bytes: &[u8], lines: &mut Vec<String>) -> Result<(), FhirError> {
    let text = std::str::from_utf8(bytes).map_err(|_| FhirError::BadResponse { detail: "an export file line is not UTF-8 text".into() })?;
    let text = text.trim();
    if !text.is_empty() {
        lines.push(text.to_string());
    }
    Ok(())
}
