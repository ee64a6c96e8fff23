//! Errors from talking to a FHIR server, in words a person can act on. Messages carry the server's own
//! words where it gave some (OperationOutcome `diagnostics` / `details.text`), never a resource body.

use serde_json::Value;
use switchboard_core::config::shortened;

#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum FhirError {
    #[error("cannot reach the FHIR server at {base}: {detail}")]
    Unreachable { base: String, detail: String },
    #[error("the FHIR server did not answer within {seconds} s")]
    Timeout { seconds: u64 },
    #[error("the FHIR server is rate-limiting requests (HTTP 429: {message}); gave up after {attempts} attempts")]
    RateLimited { attempts: u32, message: String },
    #[error("the FHIR server refused the request (HTTP {status}): {message}")]
    Status { status: u16, message: String },
    #[error("the FHIR server did not accept the sign-in (HTTP 401): {message}; sign in again, or check the source's token")]
    Unauthorized { message: String },
    #[error("the FHIR server does not allow this (HTTP 403): {message}; ask IT to grant the access this role needs")]
    Forbidden { message: String },
    #[error("sign in again: {reason}")]
    SignInNeeded { reason: String },
    #[error("the FHIR server sent a response that is not usable FHIR JSON: {detail}")]
    BadResponse { detail: String },
    #[error("the FHIR server's next-page link points to another server ({url}); refusing to follow it")]
    ForeignLink { url: String },
    #[error("the FHIR server put {what} on another host ({host}); refused, since the token would go there")]
    Elsewhere { what: &'static str, host: String },
    #[error("the FHIR server redirected {what} to {to}; not followed")]
    Redirected { what: &'static str, to: String },
    #[error("the FHIR server sent a response larger than {limit_mb} MB (after decompression); refused")]
    TooLarge { limit_mb: usize },
    #[error("the FHIR server's next-page link points back to a page already read (a paging loop); stopped")]
    PagingLoop,
    #[error("the search went past {max} pages; stopped (raise `max_pages` for this source if the server really holds that much)")]
    TooManyPages { max: usize },
    #[error("invalid FHIR request: {0}")]
    Request(String),
}

impl FhirError {
    /// Worth another attempt later (the server or the network may recover).
    pub fn is_retryable(&self) -> bool {
        match self {
            // A sign-in needed waits for the person, like an outage: what is queued stays queued.
            FhirError::Unreachable { .. } | FhirError::Timeout { .. } | FhirError::RateLimited { .. } | FhirError::SignInNeeded { .. } => true,
            FhirError::Status { status, .. } => matches!(status, 408 | 429 | 500 | 502 | 503 | 504),
            _ => false,
        }
    }

    /// The server as a whole is not taking requests now (down, overloaded, rate-limiting, or waiting
    /// for a sign-in), rather than refusing this one request: the next request would fail the same way.
    pub fn is_server_wide(&self) -> bool {
        match self {
            FhirError::Unreachable { .. } | FhirError::Timeout { .. } | FhirError::RateLimited { .. } | FhirError::SignInNeeded { .. } => true,
            FhirError::Status { status, .. } => matches!(status, 429 | 502 | 503 | 504),
            _ => false,
        }
    }

    /// A short machine-readable code for the boundary error shape.
    pub fn code(&self) -> &'static str {
        match self {
            FhirError::Unreachable { .. } => "fhir.unreachable",
            FhirError::Timeout { .. } => "fhir.timeout",
            FhirError::RateLimited { .. } => "fhir.rate_limited",
            FhirError::Status { .. } => "fhir.status",
            FhirError::Unauthorized { .. } => "fhir.unauthorized",
            FhirError::Forbidden { .. } => "fhir.forbidden",
            FhirError::SignInNeeded { .. } => "fhir.sign_in_needed",
            FhirError::BadResponse { .. } => "fhir.bad_response",
            FhirError::ForeignLink { .. } => "fhir.foreign_link",
            FhirError::Elsewhere { .. } => "fhir.elsewhere",
            FhirError::Redirected { .. } => "fhir.redirected",
            FhirError::TooLarge { .. } => "fhir.too_large",
            FhirError::PagingLoop => "fhir.paging_loop",
            FhirError::TooManyPages { .. } => "fhir.too_many_pages",
            FhirError::Request(_) => "fhir.request",
        }
    }
}

/// Builds the error for a non-success status from whatever body came with it.
/// The server's own words are quoted by their start only.
pub(crate) fn status_error(status: u16, content_type: &str, body: &str) -> FhirError {
    let message = shortened(&describe_error_body(status, content_type, body), 300);
    match status {
        401 => FhirError::Unauthorized { message },
        429 => FhirError::RateLimited { attempts: 1, message },
        403 => FhirError::Forbidden { message },
        _ => FhirError::Status { status, message },
    }
}

/// The human words of an error body: OperationOutcome issues, an HTML page's title, or the status reason.
pub(crate) fn describe_error_body(status: u16, content_type: &str, body: &str) -> String {
    let reason = reqwest::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("error");
    if let Ok(value) = serde_json::from_str::<Value>(body) {
        if let Some(words) = operation_outcome_text(&value) {
            return words;
        }
    }
    let looks_html = content_type.contains("html") || body.trim_start().starts_with('<');
    if looks_html {
        let title = html_title(body).map(|t| format!(" \"{t}\"")).unwrap_or_default();
        return format!("{reason}; the server (or a proxy in front of it) sent an HTML page{title} instead of FHIR JSON");
    }
    reason.to_string()
}

/// Joins the issues of an OperationOutcome into one sentence.
pub fn operation_outcome_text(value: &Value) -> Option<String> {
    if value.get("resourceType")?.as_str()? != "OperationOutcome" {
        return None;
    }
    let words: Vec<String> = value
        .get("issue")?
        .as_array()?
        .iter()
        .filter_map(|issue| {
            let text = issue
                .get("diagnostics")
                .and_then(Value::as_str)
                .or_else(|| issue.pointer("/details/text").and_then(Value::as_str))
                .or_else(|| issue.get("code").and_then(Value::as_str))?;
            let severity = issue.get("severity").and_then(Value::as_str).unwrap_or("error");
            Some(format!("{severity}: {}", text.trim()))
        })
        .collect();
    (!words.is_empty()).then(|| words.join("; "))
}

fn html_title(body: &str) -> Option<String> {
    let lower = body.to_ascii_lowercase();
    let start = lower.find("<title>")? + "<title>".len();
    let end = start + lower[start..].find("</title>")?;
    let title: String = body[start..end].split_whitespace().collect::<Vec<_>>().join(" ");
    (!title.is_empty()).then(|| title.chars().take(120).collect())
}

/// What went wrong with a body that should have been FHIR JSON.
pub(crate) fn bad_json(error: &serde_json::Error) -> FhirError {
    let detail = if error.is_eof() {
        "the response was cut off before it ended (truncated body)".to_string()
    } else {
        format!("invalid JSON at line {}, column {}", error.line(), error.column())
    };
    FhirError::BadResponse { detail }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_outcome_words_are_used() {
        let body = r#"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid",
            "diagnostics":"Unknown search parameter 'foo'"},{"severity":"warning","code":"x","details":{"text":"Slow"}}]}"#;
        let err = status_error(400, "application/fhir+json", body);
        assert_eq!(err.to_string(), "the FHIR server refused the request (HTTP 400): error: Unknown search parameter 'foo'; warning: Slow");
        assert!(!err.is_retryable());
    }

    #[test]
    fn html_pages_are_named_as_such() {
        let err = status_error(502, "text/html", "<html><head><title>502 Bad\n Gateway</title></head></html>");
        assert!(err.to_string().contains("HTML page \"502 Bad Gateway\""), "{err}");
        assert!(err.is_retryable());
    }

    #[test]
    fn truncated_and_invalid_json_differ() {
        let eof = serde_json::from_str::<Value>("{\"resourceType\": \"Bun").unwrap_err();
        assert!(bad_json(&eof).to_string().contains("truncated"));
        let junk = serde_json::from_str::<Value>("{]").unwrap_err();
        assert!(bad_json(&junk).to_string().contains("invalid JSON at line 1"));
    }
}
