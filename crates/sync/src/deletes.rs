//! Deletions are invisible to `_lastUpdated` searches. Where the server offers `history-type`, the
//! type's `_history?_since` shows them; otherwise the cache's ids are reconciled with the server's.

use crate::pull::{server_count, Ctx, DeleteDetection, SyncError};
use std::collections::{HashMap, HashSet};
use switchboard_core::resource_types;
use switchboard_fhir::{Capabilities, PageTrail};
use switchboard_store::Store;

/// The ids of cached resources of this type that the server has deleted.
pub(crate) async fn deleted_on_server(
    store: &Store,
    ctx: &Ctx<'_>,
    capabilities: &Capabilities,
    resource_type: &str,
    since: Option<&str>,
) -> Result<Vec<String>, SyncError> {
    Ok(match since {
        Some(since) if ctx.options.deletes == DeleteDetection::Auto && capabilities.supports(resource_type, "history-type") => {
            deleted_in_history(ctx, resource_type, since).await?
        }
        // A first sync (or one resumed after an interruption) and servers without history: reconcile ids.
        _ => ids_missing_on_server(store, ctx, resource_type).await?,
    })
}

/// Ids whose newest history entry since `since` is a delete. History lists newest first.
async fn deleted_in_history(ctx: &Ctx<'_>, resource_type: &str, since: &str) -> Result<Vec<String>, SyncError> {
    let page_size = ctx.options.page_size.to_string();
    let mut next = Some(ctx.client.history_url(resource_type, &[("_since", since), ("_count", &page_size)]).map_err(|e| ctx.fhir_error(resource_type, e))?);
    let mut newest: HashMap<String, bool> = HashMap::new();
    let mut trail = PageTrail::new(ctx.options.max_pages);
    while let Some(url) = next.take() {
        trail.follow(&url).map_err(|e| ctx.fhir_error(resource_type, e))?;
        let page = ctx.client.get_page(&url).await.map_err(|e| ctx.fhir_error(resource_type, e))?;
        for entry in page.history.into_iter().filter(|e| e.resource_type == resource_type) {
            newest.entry(entry.id).or_insert(entry.deleted);
        }
        next = page.next;
    }
    Ok(newest.into_iter().filter(|(_, deleted)| *deleted).map(|(id, _)| id).collect())
}

/// When the cache holds more of a type than the server reports, the ids the server no longer has.
/// None when the counts agree (nothing can have been deleted that the cache still holds).
async fn ids_missing_on_server(store: &Store, ctx: &Ctx<'_>, resource_type: &str) -> Result<Vec<String>, SyncError> {
    let local = store.count_of(ctx.source, resource_type)? as u64;
    let Some(remote) = server_count(ctx, resource_type, None).await? else { return Ok(Vec::new()) };
    if local <= remote {
        return Ok(Vec::new());
    }
    let page_size = (ctx.options.page_size * 5).min(1000).to_string();
    let mut params: Vec<(&str, &str)> = resource_types::sync_filter(resource_type).to_vec();
    params.extend([("_elements", "id"), ("_count", page_size.as_str())]);
    let mut next = Some(ctx.client.search_url(resource_type, &params).map_err(|e| ctx.fhir_error(resource_type, e))?);
    let mut on_server = HashSet::new();
    let mut trail = PageTrail::new(ctx.options.max_pages);
    while let Some(url) = next.take() {
        trail.follow(&url).map_err(|e| ctx.fhir_error(resource_type, e))?;
        let mut page = ctx.client.get_page(&url).await.map_err(|e| ctx.fhir_error(resource_type, e))?;
        page.keep_only(resource_type);
        for raw in &page.resources {
            let value: serde_json::Value =
                serde_json::from_str(raw.get()).map_err(|e| SyncError::BadResource { resource_type: resource_type.to_string(), detail: e.to_string() })?;
            if let Some(id) = value.get("id").and_then(|v| v.as_str()) {
                on_server.insert(id.to_string());
            }
        }
        next = page.next;
    }
    Ok(store.ids_of(ctx.source, resource_type)?.into_iter().filter(|id| !on_server.contains(id)).collect())
}
