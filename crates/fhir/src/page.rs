//! One page of a searchset or history Bundle. Resources stay as the server's raw JSON text, so unknown
//! elements and extensions survive untouched.

use crate::error::{bad_json, FhirError};
use serde::Deserialize;
use serde_json::value::RawValue;
use switchboard_core::config::shortened;
use switchboard_core::reference::type_and_id;
use url::Url;

#[derive(Debug)]
pub struct Page {
    /// Raw resource JSON of each entry in `search.mode = match` (or without a mode).
    pub resources: Vec<Box<RawValue>>,
    /// The next page's URL, exactly as the server gave it (resolved against the request URL if relative).
    pub next: Option<Url>,
    pub total: Option<u64>,
    /// History entries (only for `_history` bundles).
    pub history: Vec<HistoryEntry>,
}

/// An entry of a history Bundle, reduced to what deletion detection needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub resource_type: String,
    pub id: String,
    pub deleted: bool,
}

#[derive(Deserialize)]
struct RawBundle {
    #[serde(rename = "resourceType")]
    resource_type: String,
    #[serde(rename = "type", default)]
    bundle_type: Option<String>,
    #[serde(default)]
    total: Option<u64>,
    #[serde(default)]
    link: Vec<RawLink>,
    #[serde(default)]
    entry: Vec<RawEntry>,
}

#[derive(Deserialize)]
struct RawLink {
    relation: String,
    url: String,
}

#[derive(Deserialize)]
struct RawEntry {
    #[serde(rename = "fullUrl", default)]
    full_url: Option<String>,
    #[serde(default)]
    resource: Option<Box<RawValue>>,
    #[serde(default)]
    search: Option<RawSearch>,
    #[serde(default)]
    request: Option<RawRequest>,
}

#[derive(Deserialize)]
struct RawSearch {
    #[serde(default)]
    mode: Option<String>,
}

#[derive(Deserialize)]
struct RawRequest {
    method: String,
    url: String,
}

#[derive(Deserialize)]
struct TypeAndId {
    #[serde(rename = "resourceType")]
    resource_type: String,
    #[serde(default)]
    id: Option<String>,
}

impl Page {
    pub fn parse(body: &str, request_url: &Url) -> Result<Page, FhirError> {
        let bundle: RawBundle = serde_json::from_str(body).map_err(|e| bad_json(&e))?;
        if bundle.resource_type != "Bundle" {
            return Err(FhirError::BadResponse { detail: format!("expected a Bundle, got a {}", shortened(&bundle.resource_type, 60)) });
        }
        let next = match bundle.link.iter().find(|l| l.relation == "next") {
            Some(link) => Some(request_url.join(&link.url).map_err(|e| FhirError::BadResponse { detail: format!("the next-page link is not a URL ({e})") })?),
            None => None,
        };
        let is_history = bundle.bundle_type.as_deref() == Some("history");
        let mut resources = Vec::new();
        let mut history = Vec::new();
        for entry in bundle.entry {
            if is_history {
                history.push(history_entry(&entry)?);
                continue;
            }
            let is_match = entry.search.as_ref().and_then(|s| s.mode.as_deref()).is_none_or(|m| m == "match");
            if let (true, Some(resource)) = (is_match, entry.resource) {
                resources.push(resource);
            }
        }
        Ok(Page { resources, next, total: bundle.total, history })
    }
}

impl Page {
    /// Drops the entries whose type the search did not ask for (a search for one type returns only
    /// that type; this client asks for no `_include`) and returns the types it dropped.
    pub fn keep_only(&mut self, resource_type: &str) -> Vec<String> {
        let mut dropped = Vec::new();
        self.resources.retain(|raw| match serde_json::from_str::<TypeAndId>(raw.get()) {
            Ok(ids) if ids.resource_type == resource_type => true,
            Ok(ids) => {
                dropped.push(ids.resource_type.chars().take(64).collect());
                false
            }
            Err(_) => {
                dropped.push("an entry without a resourceType".to_string());
                false
            }
        });
        dropped
    }
}

/// The pages of one search as they are followed: a `next` link already seen is a paging loop, and a
/// search stops at a bound on pages.
pub struct PageTrail {
    seen: std::collections::HashSet<String>,
    max_pages: usize,
}

/// The default bound on pages per search: with 100 per page, a million resources of one type.
pub const DEFAULT_MAX_PAGES: usize = 10_000;

impl PageTrail {
    pub fn new(max_pages: usize) -> PageTrail {
        PageTrail { seen: std::collections::HashSet::new(), max_pages }
    }

    /// Records the next page to fetch, or says why it must not be.
    pub fn follow(&mut self, url: &Url) -> Result<(), FhirError> {
        if self.seen.len() >= self.max_pages {
            return Err(FhirError::TooManyPages { max: self.max_pages });
        }
        if !self.seen.insert(url.as_str().to_string()) {
            return Err(FhirError::PagingLoop);
        }
        Ok(())
    }
}

fn history_entry(entry: &RawEntry) -> Result<HistoryEntry, FhirError> {
    let unusable = || FhirError::BadResponse { detail: "a history entry names no resource".to_string() };
    if let Some(resource) = &entry.resource {
        let ids: TypeAndId = serde_json::from_str(resource.get()).map_err(|e| bad_json(&e))?;
        let deleted = entry.request.as_ref().is_some_and(|r| r.method.eq_ignore_ascii_case("DELETE"));
        return Ok(HistoryEntry { resource_type: ids.resource_type, id: ids.id.ok_or_else(unusable)?, deleted });
    }
    // A deleted version has no resource: the type and id come from request.url or fullUrl.
    let reference = entry.request.as_ref().map(|r| r.url.as_str()).or(entry.full_url.as_deref()).ok_or_else(unusable)?;
    let (resource_type, id) = type_and_id(reference).ok_or_else(unusable)?;
    Ok(HistoryEntry { resource_type, id, deleted: true })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("http://h/fhir/Patient?_count=2").unwrap()
    }

    #[test]
    fn keeps_raw_matches_and_resolves_relative_next() {
        let body = r#"{"resourceType":"Bundle","type":"searchset","total":3,
          "link":[{"relation":"self","url":"x"},{"relation":"next","url":"Patient?page=2&_count=2"}],
          "entry":[{"resource":{"resourceType":"Patient","id":"1","extension":[{"url":"u","valueString":"kept"}]},"search":{"mode":"match"}},
                   {"resource":{"resourceType":"OperationOutcome"},"search":{"mode":"outcome"}}]}"#;
        let page = Page::parse(body, &url()).unwrap();
        assert_eq!(page.resources.len(), 1);
        assert!(page.resources[0].get().contains("\"valueString\":\"kept\""));
        assert_eq!(page.next.unwrap().as_str(), "http://h/fhir/Patient?page=2&_count=2");
        assert_eq!(page.total, Some(3));
    }

    #[test]
    fn absolute_next_links_are_kept_verbatim() {
        let body = r#"{"resourceType":"Bundle","link":[{"relation":"next","url":"http://other/x?ct=a%2Bb"}]}"#;
        assert_eq!(Page::parse(body, &url()).unwrap().next.unwrap().as_str(), "http://other/x?ct=a%2Bb");
    }

    #[test]
    fn history_entries_mark_deletes() {
        let body = r#"{"resourceType":"Bundle","type":"history","entry":[
          {"fullUrl":"http://h/fhir/Patient/7","request":{"method":"DELETE","url":"Patient/7"}},
          {"resource":{"resourceType":"Patient","id":"8"},"request":{"method":"PUT","url":"Patient/8"}}]}"#;
        let page = Page::parse(body, &url()).unwrap();
        assert_eq!(
            page.history,
            vec![
                HistoryEntry { resource_type: "Patient".into(), id: "7".into(), deleted: true },
                HistoryEntry { resource_type: "Patient".into(), id: "8".into(), deleted: false },
            ]
        );
    }

    #[test]
    fn non_bundles_are_refused() {
        let err = Page::parse(r#"{"resourceType":"Patient","id":"1"}"#, &url()).unwrap_err();
        assert!(err.to_string().contains("expected a Bundle"));
    }
}
