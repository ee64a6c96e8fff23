//! The HTTP side: one `reqwest` client per server, with timeouts, gzip, retries and backoff.

use crate::capability::Capabilities;
use crate::error::{bad_json, status_error, FhirError};
use crate::page::Page;
use crate::token::TokenSource;
use reqwest::header::{HeaderMap, ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_LOCATION, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

const FHIR_JSON: &str = "application/fhir+json";
/// Redirects followed for one read, all on the configured server's origin.
const MAX_REDIRECTS: usize = 5;

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// A `Retry-After` longer than this is not waited out: the request fails instead.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_attempts: 5, base_delay: Duration::from_millis(250), max_delay: Duration::from_secs(8), max_retry_after: Duration::from_secs(120) }
    }
}

impl RetryPolicy {
    /// Exponential backoff with full jitter.
    fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self.base_delay.saturating_mul(1 << attempt.min(16)).min(self.max_delay);
        ceiling.mul_f64(0.5 + fastrand::f64() / 2.0)
    }
}

#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub retry: RetryPolicy,
    pub bearer_token: Option<String>,
    /// A renewing token (a sign-in or a backend grant), used instead of `bearer_token` when set.
    pub tokens: Option<Arc<dyn TokenSource>>,
    /// Sends `Prefer: handling=strict`, so an unknown search parameter is an error rather than ignored.
    pub strict: bool,
    /// A response body (after decompression) larger than this is refused.
    pub max_response_bytes: usize,
}

/// The default cap on one response, decompressed.
pub const DEFAULT_MAX_RESPONSE_MB: usize = 64;

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            bearer_token: None,
            tokens: None,
            strict: false,
            max_response_bytes: DEFAULT_MAX_RESPONSE_MB * 1024 * 1024,
        }
    }
}

#[derive(Debug, Clone)]
pub struct FhirClient {
    pub(crate) http: reqwest::Client,
    base: Url,
    pub(crate) options: ClientOptions,
}

pub(crate) struct Reply {
    pub status: StatusCode,
    content_type: String,
    pub body: String,
    pub retry_after: Option<Duration>,
    location: Option<String>,
    /// `Content-Location` (where a Bulk Data export's status is polled).
    pub content_location: Option<String>,
    /// `X-Progress` (a Bulk Data export's own words on how far it is).
    pub progress: Option<String>,
    /// The renewing token this request carried (to name it when refused).
    token: Option<String>,
}

impl FhirClient {
    /// `base` must end with `/` (see `switchboard_core::config::parse_fhir_url`).
    pub fn new(base: Url, options: ClientOptions) -> Result<FhirClient, FhirError> {
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.connect_timeout)
            .user_agent(concat!("Switchboard/", env!("CARGO_PKG_VERSION")))
            .gzip(true)
            // Redirects are followed by `send`, which knows the configured origin and the method.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| FhirError::Request(e.to_string()))?;
        Ok(FhirClient { http, base, options })
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    /// `GET [base]/metadata`.
    pub async fn capabilities(&self) -> Result<(Capabilities, Value), FhirError> {
        let statement = self.get_json(&self.url("metadata")?).await?;
        Ok((Capabilities::from_statement(&statement), statement))
    }

    /// `[base]/Type?params`, with values percent-encoded (a `+` in a time zone must not become a space).
    pub fn search_url(&self, resource_type: &str, params: &[(&str, &str)]) -> Result<Url, FhirError> {
        let mut url = self.url(resource_type)?;
        if !params.is_empty() {
            url.query_pairs_mut().extend_pairs(params);
        }
        Ok(url)
    }

    /// `[base]/Type/_history?params`.
    pub fn history_url(&self, resource_type: &str, params: &[(&str, &str)]) -> Result<Url, FhirError> {
        let mut url = self.url(&format!("{resource_type}/_history"))?;
        url.query_pairs_mut().extend_pairs(params);
        Ok(url)
    }

    /// One Bundle page. `url` is a search URL or a `next` link followed verbatim.
    pub async fn get_page(&self, url: &Url) -> Result<Page, FhirError> {
        if url.origin() != self.base.origin() {
            // A token must never be sent to a host the clinic did not configure.
            return Err(FhirError::ForeignLink { url: url.as_str().chars().take(200).collect() });
        }
        let reply = self.send(Method::GET, url, None, &[]).await?;
        Page::parse(&reply.body, url)
    }

    pub async fn get_json(&self, url: &Url) -> Result<Value, FhirError> {
        let reply = self.send(Method::GET, url, None, &[]).await?;
        serde_json::from_str(&reply.body).map_err(|e| bad_json(&e))
    }

    /// POSTs a transaction or batch Bundle to the base and returns the response Bundle.
    pub async fn transaction(&self, bundle: &Value) -> Result<Value, FhirError> {
        let body = serde_json::to_string(bundle).map_err(|e| FhirError::Request(e.to_string()))?;
        let reply = self.send(Method::POST, &self.base, Some(body), &[]).await?;
        serde_json::from_str(&reply.body).map_err(|e| bad_json(&e))
    }

    /// `DELETE [base]/Type/id`.
    pub async fn delete(&self, resource_type: &str, id: &str) -> Result<(), FhirError> {
        self.send(Method::DELETE, &self.url(&format!("{resource_type}/{id}"))?, None, &[]).await.map(|_| ())
    }

    /// `PUT [base]/Type/id`: an update, version-aware with `if_match` (a versionId), or a create with a
    /// client-chosen id.
    pub async fn update(&self, resource: &Value, if_match: Option<&str>) -> Result<Value, FhirError> {
        let (kind, id) = match (resource["resourceType"].as_str(), resource["id"].as_str()) {
            (Some(kind), Some(id)) => (kind, id),
            _ => return Err(FhirError::Request("an update needs resourceType and id".to_string())),
        };
        let body = serde_json::to_string(resource).map_err(|e| FhirError::Request(e.to_string()))?;
        let headers: Vec<(&str, String)> = if_match.map(|v| ("If-Match", format!("W/\"{v}\""))).into_iter().collect();
        let reply = self.send(Method::PUT, &self.url(&format!("{kind}/{id}"))?, Some(body), &headers).await?;
        serde_json::from_str(&reply.body).map_err(|e| bad_json(&e))
    }

    /// `POST [base]/Type`, conditional on `if_none_exist` (`identifier=system|value`): a retry after a
    /// lost response finds the first one instead of creating a second.
    pub async fn create(&self, resource: &Value, if_none_exist: &str) -> Result<Value, FhirError> {
        let kind = resource["resourceType"].as_str().ok_or_else(|| FhirError::Request("a create needs resourceType".into()))?;
        let body = serde_json::to_string(resource).map_err(|e| FhirError::Request(e.to_string()))?;
        let headers = [("If-None-Exist", if_none_exist.to_string()), ("Prefer", "return=representation".to_string())];
        let reply = self.send(Method::POST, &self.url(kind)?, Some(body), &headers).await?;
        serde_json::from_str(&reply.body).map_err(|e| bad_json(&e))
    }

    /// `GET [base]/Type/id`.
    pub async fn read(&self, resource_type: &str, id: &str) -> Result<Value, FhirError> {
        self.get_json(&self.url(&format!("{resource_type}/{id}"))?).await
    }

    pub(crate) fn url(&self, path: &str) -> Result<Url, FhirError> {
        self.base.join(path).map_err(|e| FhirError::Request(format!("bad path {path}: {e}")))
    }

    /// Sends, following a read's redirects only while they stay on the configured server's origin (a
    /// write's not at all): another host's data must not replace the clinic's, nor a token go there.
    pub(crate) async fn send(&self, method: Method, url: &Url, body: Option<String>, headers: &[(&str, String)]) -> Result<Reply, FhirError> {
        let mut url = url.clone();
        for _ in 0..=MAX_REDIRECTS {
            let reply = self.send_retrying(method.clone(), &url, body.clone(), headers).await?;
            if !reply.status.is_redirection() {
                return Ok(reply);
            }
            let next = reply.location.as_deref().and_then(|l| url.join(l).ok());
            let what = if method == Method::GET { "a read" } else { "a write" };
            match next {
                Some(next) if method == Method::GET && next.origin() == self.base.origin() => url = next,
                Some(next) => return Err(FhirError::Redirected { what, to: next.host_str().unwrap_or("an unnamed host").chars().take(100).collect() }),
                None => return Err(FhirError::Redirected { what, to: "nowhere (no usable Location)".into() }),
            }
        }
        Err(FhirError::Redirected { what: "a read", to: format!("yet another page after {MAX_REDIRECTS} redirects") })
    }

    /// Sends with retries: transient failures back off exponentially; 429 and 503 wait `Retry-After`.
    async fn send_retrying(&self, method: Method, url: &Url, body: Option<String>, headers: &[(&str, String)]) -> Result<Reply, FhirError> {
        let policy = &self.options.retry;
        let mut attempt = 0;
        let mut renewed = false;
        loop {
            attempt += 1;
            let (error, retry_after) = match self.send_once(method.clone(), url, body.clone(), headers).await {
                // A refused token is renewed once, at once (it expired early, or was revoked).
                Ok(reply) if reply.status == StatusCode::UNAUTHORIZED && !renewed && reply.token.is_some() => {
                    if let (Some(tokens), Some(token)) = (&self.options.tokens, &reply.token) {
                        tokens.refused(token);
                    }
                    renewed = true;
                    attempt -= 1;
                    continue;
                }
                Ok(reply) if reply.status.is_success() || reply.status.is_redirection() => return Ok(reply),
                Ok(reply) => {
                    let error = match status_error(reply.status.as_u16(), &reply.content_type, &reply.body) {
                        FhirError::RateLimited { message, .. } => FhirError::RateLimited { attempts: attempt, message },
                        other => other,
                    };
                    (error, reply.retry_after)
                }
                Err(error) => (error, None),
            };
            if !error.is_retryable() || attempt >= policy.max_attempts || matches!(error, FhirError::SignInNeeded { .. }) {
                tracing::warn!(code = error.code(), attempt, path = url.path(), "FHIR request failed");
                return Err(error);
            }
            let wait = match retry_after {
                Some(wait) if wait > policy.max_retry_after => return Err(error),
                Some(wait) => wait,
                None => policy.backoff(attempt - 1),
            };
            tracing::debug!(code = error.code(), attempt, wait_ms = wait.as_millis() as u64, "retrying FHIR request");
            tokio::time::sleep(wait).await;
        }
    }

    async fn send_once(&self, method: Method, url: &Url, body: Option<String>, headers: &[(&str, String)]) -> Result<Reply, FhirError> {
        let mut request = self.http.request(method, url.clone()).header(ACCEPT, FHIR_JSON);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let token = self.bearer().await?;
        if let Some(token) = &token {
            request = request.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        if self.options.strict {
            request = request.header("Prefer", "handling=strict");
        }
        if let Some(body) = body {
            request = request.header(CONTENT_TYPE, FHIR_JSON).body(body);
        }
        let mut response = request.send().await.map_err(|e| self.transport_error(&e))?;
        let status = response.status();
        let headers = response.headers();
        let retry_after = retry_after(headers);
        let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_ascii_lowercase();
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        let (location, content_location, progress) = (header(LOCATION.as_str()), header(CONTENT_LOCATION.as_str()), header("x-progress"));
        let limit = self.options.max_response_bytes;
        let too_large = || FhirError::TooLarge { limit_mb: limit.div_ceil(1024 * 1024) };
        let claimed = headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|n| n.parse::<u64>().ok());
        if claimed.is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        // Read chunk by chunk (decompressed), so an endless body or a gzip bomb stops at the limit.
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.body_error(&e))? {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        let body = String::from_utf8(body).map_err(|_| FhirError::BadResponse { detail: "the body is not UTF-8 text".into() })?;
        let token = token.filter(|_| self.options.tokens.is_some());
        Ok(Reply { status, content_type, body, retry_after, location, content_location, progress, token })
    }

    /// The token requests carry: the renewing one when there is one, else the fixed bearer token.
    pub(crate) async fn bearer(&self) -> Result<Option<String>, FhirError> {
        match &self.options.tokens {
            Some(tokens) => Ok(Some(tokens.token().await?)),
            None => Ok(self.options.bearer_token.clone()),
        }
    }

    pub(crate) fn body_error(&self, error: &reqwest::Error) -> FhirError {
        if error.is_timeout() {
            return FhirError::Timeout { seconds: self.options.timeout.as_secs() };
        }
        let detail = "the connection closed before the whole response arrived (truncated body)".to_string();
        FhirError::Unreachable { base: self.base.to_string(), detail }
    }

    pub(crate) fn transport_error(&self, error: &reqwest::Error) -> FhirError {
        if error.is_timeout() {
            return FhirError::Timeout { seconds: self.options.timeout.as_secs() };
        }
        let detail = if error.is_connect() {
            "connection refused or the host is unreachable".to_string()
        } else {
            // The innermost cause is the readable one ("connection reset by peer", ...).
            let mut source: &dyn std::error::Error = error;
            while let Some(inner) = source.source() {
                source = inner;
            }
            source.to_string()
        };
        FhirError::Unreachable { base: self.base.to_string(), detail }
    }
}

/// `Retry-After` as delta-seconds or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"));
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = RetryPolicy { base_delay: Duration::from_millis(100), max_delay: Duration::from_secs(1), ..Default::default() };
        for _ in 0..50 {
            let first = policy.backoff(0);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            assert!(policy.backoff(10) <= Duration::from_secs(1));
            assert!(policy.backoff(3) >= Duration::from_millis(400));
        }
    }

    #[test]
    fn search_urls_percent_encode_time_zones() {
        let client = FhirClient::new(Url::parse("http://h/fhir/").unwrap(), ClientOptions::default()).unwrap();
        let url = client.search_url("Patient", &[("_lastUpdated", "ge2026-01-01T00:00:00+01:00")]).unwrap();
        assert_eq!(url.as_str(), "http://h/fhir/Patient?_lastUpdated=ge2026-01-01T00%3A00%3A00%2B01%3A00");
    }
}
