//! Putting the demo clinic somewhere: straight into the local cache, or onto a FHIR server.

use crate::clinic::{generate, DemoOptions};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};
use switchboard_fhir::{FhirClient, FhirError};
use switchboard_store::{Store, StoreError};

/// The source name of demo data loaded straight into the cache.
pub const DEMO_SOURCE: &str = "demo";
const CACHE_BATCH: usize = 5_000;
const BUNDLE_ENTRIES: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("seeding the FHIR server failed: {0}")]
    Fhir(#[from] FhirError),
    #[error("the FHIR server rejected part of the demo transaction: {0}")]
    Rejected(String),
}

/// Fills the cache with the demo clinic as source `demo`, replacing an earlier demo load.
/// `progress` is called with the count of resources written so far. Returns the total.
pub fn load_into_store(store: &mut Store, options: &DemoOptions, now: &str, progress: &mut dyn FnMut(u64)) -> Result<u64, DemoError> {
    let mut batch: Vec<String> = Vec::with_capacity(CACHE_BATCH);
    let mut written = 0u64;
    let mut failure = None;
    let flush = |batch: &mut Vec<String>, store: &mut Store| -> Result<(), StoreError> {
        let mut writer = store.writer(now)?;
        writer.without_change_feed();
        for raw in batch.drain(..) {
            writer.upsert(DEMO_SOURCE, &raw)?;
        }
        writer.commit()
    };
    generate(options, &mut |mut resource| {
        if failure.is_some() {
            return;
        }
        resource["meta"] = json!({"versionId": "1", "lastUpdated": now});
        batch.push(resource.to_string());
        if batch.len() == CACHE_BATCH {
            written += batch.len() as u64;
            if let Err(e) = flush(&mut batch, store) {
                failure = Some(e);
            }
            progress(written);
        }
    });
    if let Some(e) = failure {
        return Err(e.into());
    }
    written += batch.len() as u64;
    flush(&mut batch, store)?;
    progress(written);
    store.record_sync_start(DEMO_SOURCE, "builtin:demo-clinic", now)?;
    store.record_sync_done(DEMO_SOURCE, now, Some("Switchboard demo clinic"))?;
    Ok(written)
}

/// Loads the demo clinic unless the cache already holds it. Returns how many resources were written.
pub fn ensure_demo_loaded(store: &mut Store, patients: u32, now: DateTime<Utc>) -> Result<u64, DemoError> {
    if store.source_statuses()?.iter().any(|s| s.name == DEMO_SOURCE) {
        return Ok(0);
    }
    let options = DemoOptions { patients, seed: 1, today: now.date_naive() };
    load_into_store(store, &options, &now.to_rfc3339_opts(SecondsFormat::Millis, true), &mut |_| {})
}

/// Seeds a FHIR server with the demo clinic through transaction Bundles of PUTs (client-chosen ids, so
/// seeding twice updates rather than duplicates). Returns the number of resources sent.
pub async fn seed_server(client: &FhirClient, options: &DemoOptions, progress: &mut dyn FnMut(u64)) -> Result<u64, DemoError> {
    let mut resources = Vec::new();
    generate(options, &mut |resource| resources.push(resource));
    seed_resources(client, &resources, progress).await
}

/// Seeds each system's server with its share of the demo clinic spread over `servers.len()` systems
/// (EHR, scheduler, lab; see `sources`). Returns who is who.
pub async fn seed_sources(servers: &[&FhirClient], options: &DemoOptions) -> Result<Vec<crate::sources::Person>, DemoError> {
    let names = [crate::sources::EHR, crate::sources::SCHEDULER, crate::sources::LAB];
    let mut shares: Vec<Vec<Value>> = vec![Vec::new(); servers.len()];
    let persons = crate::sources::generate_sources(options, servers.len(), &mut |source, resource| {
        if let Some(at) = names.iter().position(|n| *n == source) {
            shares[at].push(resource);
        }
    });
    for (client, share) in servers.iter().zip(&shares) {
        seed_resources(client, share, &mut |_| {}).await?;
    }
    Ok(persons)
}

/// Sends resources (with their ids) as transaction Bundles of PUTs.
pub async fn seed_resources(client: &FhirClient, resources: &[Value], progress: &mut dyn FnMut(u64)) -> Result<u64, DemoError> {
    let mut sent = 0u64;
    for chunk in resources.chunks(BUNDLE_ENTRIES) {
        let entries: Vec<Value> = chunk
            .iter()
            .map(|r| {
                let url = format!("{}/{}", r["resourceType"].as_str().unwrap_or_default(), r["id"].as_str().unwrap_or_default());
                json!({"fullUrl": format!("{}{url}", client.base()), "resource": r, "request": {"method": "PUT", "url": url}})
            })
            .collect();
        let response = client.transaction(&json!({"resourceType": "Bundle", "type": "transaction", "entry": entries})).await?;
        let failed = response["entry"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e.pointer("/response/status").and_then(Value::as_str))
            .find(|status| !status.starts_with('2'));
        if let Some(status) = failed {
            return Err(DemoError::Rejected(format!("an entry answered {status}")));
        }
        sent += chunk.len() as u64;
        progress(sent);
    }
    Ok(sent)
}
