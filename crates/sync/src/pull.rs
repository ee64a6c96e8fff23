//! The incremental search half of a sync.

use crate::deletes::deleted_on_server;
use crate::export::export_all;
use crate::focus::refresh_in_view;
use crate::progress::Progress;
use crate::strategy::{choose, Method};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use switchboard_core::{resource_types, Actor, Clock, SyncMethod};
use switchboard_fhir::{Capabilities, FhirClient, FhirError, Page, PageTrail};
use switchboard_store::{Store, StoreError, Stored, Upserted, Writer};
use url::Url;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteDetection {
    /// `_history?_since` where the server offers `history-type`, else reconcile ids.
    Auto,
    /// Always compare counts, and ids when they differ.
    Reconcile,
}

#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub page_size: u32,
    /// How far before the high-water mark each incremental search starts (writes commit after they are stamped).
    pub overlap: Duration,
    pub types: Vec<String>,
    pub deletes: DeleteDetection,
    /// Pages followed per search at most (a server's paging that never ends stops here).
    pub max_pages: usize,
    /// Search or export, or chosen from the CapabilityStatement (`strategy::choose`).
    pub method: SyncMethod,
    /// The Group a Group-level export reads.
    pub export_group: Option<String>,
    /// The longest wait between two polls of an export, whatever `Retry-After` asks.
    pub export_poll_max: Duration,
    /// The cache holds only the patients in view; the rest leave after `retention_days`.
    pub partial: bool,
    /// Days ahead (schedule) and back (calls, opens) that put a patient in view.
    pub focus_days: u32,
    pub retention_days: u32,
    /// Who a finished Bulk Data export is audited as (the person or workstation syncing).
    pub actor: Option<Actor>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            page_size: switchboard_core::config::DEFAULT_PAGE_SIZE,
            overlap: Duration::from_secs(60),
            types: resource_types::SYNCED.iter().map(|t| t.to_string()).collect(),
            deletes: DeleteDetection::Auto,
            max_pages: switchboard_fhir::DEFAULT_MAX_PAGES,
            method: SyncMethod::Auto,
            export_group: None,
            export_poll_max: Duration::from_secs(switchboard_core::config::DEFAULT_EXPORT_POLL_SECONDS),
            partial: false,
            focus_days: switchboard_core::config::DEFAULT_FOCUS_DAYS,
            retention_days: switchboard_core::config::DEFAULT_RETENTION_DAYS,
            actor: None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct TypeReport {
    pub resource_type: String,
    pub fetched: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub deleted: u64,
    /// The server does not offer this type; nothing was fetched.
    pub skipped: bool,
    /// Entries of other types the server put in this type's search: ignored, counted, and the first
    /// ten types named.
    pub refused: u64,
    pub refused_types: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct SyncReport {
    pub source: String,
    pub types: Vec<TypeReport>,
    /// Patients of a partial cache that left it, not seen for the retention time.
    pub evicted: u64,
    pub elapsed_ms: u128,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("sync of {resource_type} from `{source_name}` failed: {error}")]
    Fhir { source_name: String, resource_type: String, error: FhirError },
    #[error("`{source_name}` cannot be synced: {words}")]
    Strategy { source_name: String, words: String },
    #[error("the server sent an unusable {resource_type}: {detail}")]
    BadResource { resource_type: String, detail: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SyncError {
    pub fn code(&self) -> &'static str {
        match self {
            SyncError::Fhir { error, .. } => error.code(),
            SyncError::BadResource { .. } => "sync.bad_resource",
            SyncError::Strategy { .. } => "sync.strategy",
            SyncError::Store(e) => e.code(),
        }
    }
}

pub(crate) struct Ctx<'a> {
    pub client: &'a FhirClient,
    pub source: &'a str,
    pub options: &'a SyncOptions,
    pub clock: &'a dyn Clock,
}

impl Ctx<'_> {
    pub fn fhir_error(&self, resource_type: &str, error: FhirError) -> SyncError {
        SyncError::Fhir { source_name: self.source.to_string(), resource_type: resource_type.to_string(), error }
    }

    pub fn now(&self) -> String {
        self.clock.now().to_rfc3339_opts(SecondsFormat::Millis, true)
    }
}

/// Syncs every configured type from one source. Records the outcome in the source's status row.
pub async fn sync_source(
    store: &mut Store,
    client: &FhirClient,
    source: &str,
    options: &SyncOptions,
    clock: &dyn Clock,
    progress: &dyn Progress,
) -> Result<SyncReport, SyncError> {
    let ctx = Ctx { client, source, options, clock };
    let started = Instant::now();
    store.record_sync_start(source, client.base().as_str(), &ctx.now())?;
    let result = sync_all(store, &ctx, progress).await;
    match &result {
        Ok(_) => tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "sync finished"),
        Err(error) => {
            tracing::warn!(code = error.code(), "sync failed");
            store.record_sync_error(source, &error.to_string())?;
        }
    }
    let (types, capabilities, problems) = result?;
    store.record_sync_done(source, &ctx.now(), Some(&capabilities))?;
    if let Some(words) = refusals(&types) {
        tracing::warn!(entries = types.iter().map(|t| t.refused).sum::<u64>(), "entries of types not asked for were ignored");
        store.record_sync_error(source, &words)?;
    }
    if let Some(words) = problems {
        tracing::warn!("the export reported problems");
        store.record_sync_error(source, &words)?;
    }
    let evicted = if options.partial { store.evict_unseen(source, clock.now(), options.focus_days, options.retention_days)?.len() as u64 } else { 0 };
    if evicted > 0 {
        tracing::info!(patients = evicted, "patients not seen for the retention time left the cache");
    }
    Ok(SyncReport { source: source.to_string(), types, evicted, elapsed_ms: started.elapsed().as_millis() })
}

/// The entries of other types the searches ignored, in words for the source's status.
fn refusals(types: &[TypeReport]) -> Option<String> {
    let searches: Vec<String> = types
        .iter()
        .filter(|t| t.refused > 0)
        .map(|t| {
            let mut kinds = t.refused_types.clone();
            kinds.sort();
            format!("{} ({}) in the {} search", t.refused, kinds.join(", "), t.resource_type)
        })
        .collect();
    (!searches.is_empty()).then(|| format!("synced, but ignored entries of types the search did not ask for: {}", searches.join("; ")))
}

/// Reads the source the way its strategy says. Returns the reports per type, the server's summary,
/// and any problems an export reported.
async fn sync_all(store: &mut Store, ctx: &Ctx<'_>, progress: &dyn Progress) -> Result<(Vec<TypeReport>, String, Option<String>), SyncError> {
    let (capabilities, _) = ctx.client.capabilities().await.map_err(|e| ctx.fhir_error("CapabilityStatement", e))?;
    let summary = format!("{} {}", capabilities.software.as_deref().unwrap_or("unknown server"), capabilities.fhir_version.as_deref().unwrap_or(""));
    let summary = summary.trim().to_string();
    let options = ctx.options;
    let strategy = choose(&capabilities, &options.types, options.method, options.export_group.as_deref(), options.partial)
        .map_err(|words| SyncError::Strategy { source_name: ctx.source.to_string(), words })?;
    let mut reports: BTreeMap<String, TypeReport> = BTreeMap::new();
    if let Method::Export(level) = &strategy.method {
        // What staff need today first, then the rest of the clinic.
        merge(&mut reports, refresh_in_view(store, ctx, &strategy.focus_types, progress).await?);
        let (exported, problems) = export_all(store, ctx, level, progress).await?;
        merge(&mut reports, exported);
        // The export covers every type, whether or not it had files this round.
        return Ok((in_order(reports, &options.types, false), summary, problems));
    }
    // The types that say who is in view, then the patients in view, then the rest.
    let (inputs, rest): (Vec<&String>, Vec<&String>) = strategy.search_types.iter().partition(|t| VIEW_INPUTS.contains(&t.as_str()));
    search_each(store, ctx, &capabilities, &inputs, progress, &mut reports).await?;
    merge(&mut reports, refresh_in_view(store, ctx, &strategy.focus_types, progress).await?);
    search_each(store, ctx, &capabilities, &rest, progress, &mut reports).await?;
    Ok((in_order(reports, &options.types, true), summary, None))
}

/// Searches each of `types` across the server, one after another.
async fn search_each(
    store: &mut Store,
    ctx: &Ctx<'_>,
    capabilities: &Capabilities,
    types: &[&String],
    progress: &dyn Progress,
    reports: &mut BTreeMap<String, TypeReport>,
) -> Result<(), SyncError> {
    for resource_type in types {
        let report = sync_type(store, ctx, capabilities, resource_type, progress).await?;
        progress.type_done(&report);
        merge(reports, vec![report]);
    }
    Ok(())
}

/// The types whose cached rows say who is in view (`Store::patients_in_view`), synced before the rest.
const VIEW_INPUTS: &[&str] = &["Schedule", "Appointment", "Task", "Communication"];

/// Adds `more` to the reports per type.
fn merge(reports: &mut BTreeMap<String, TypeReport>, more: Vec<TypeReport>) {
    for report in more {
        let total =
            reports.entry(report.resource_type.clone()).or_insert_with(|| TypeReport { resource_type: report.resource_type.clone(), ..Default::default() });
        total.fetched += report.fetched;
        total.inserted += report.inserted;
        total.updated += report.updated;
        total.unchanged += report.unchanged;
        total.deleted += report.deleted;
        total.refused += report.refused;
        for kind in report.refused_types {
            if !total.refused_types.contains(&kind) {
                total.refused_types.push(kind);
            }
        }
    }
}

/// One report per configured type, in sync order; a type nothing read is reported empty, and
/// `skipped` when the method did not cover it.
fn in_order(mut reports: BTreeMap<String, TypeReport>, types: &[String], skipped: bool) -> Vec<TypeReport> {
    types.iter().map(|t| reports.remove(t).unwrap_or_else(|| TypeReport { resource_type: t.clone(), skipped, ..Default::default() })).collect()
}

async fn sync_type(
    store: &mut Store,
    ctx: &Ctx<'_>,
    capabilities: &Capabilities,
    resource_type: &str,
    progress: &dyn Progress,
) -> Result<TypeReport, SyncError> {
    let mut report = TypeReport { resource_type: resource_type.to_string(), ..Default::default() };
    let cursor = store.cursor(ctx.source, resource_type)?.and_then(|c| parse_instant(&c));
    let since = cursor.map(|c| (c - chrono::Duration::from_std(ctx.options.overlap).unwrap_or_default()).to_rfc3339_opts(SecondsFormat::Millis, true));
    let total = server_count(ctx, resource_type, since.as_deref()).await?;
    progress.type_started(resource_type, total);

    let page_size = ctx.options.page_size.to_string();
    let since_param = since.as_ref().map(|s| format!("ge{s}"));
    let mut params: Vec<(&str, &str)> = resource_types::sync_filter(resource_type).to_vec();
    params.push(("_count", &page_size));
    if let Some(since) = &since_param {
        params.push(("_lastUpdated", since));
    }
    let first = ctx.client.search_url(resource_type, &params).map_err(|e| ctx.fhir_error(resource_type, e))?;
    let mut high_water = cursor;
    let mut trail = PageTrail::new(ctx.options.max_pages);
    trail.follow(&first).map_err(|e| ctx.fhir_error(resource_type, e))?;
    let mut pending = Some(fetch(ctx.client, first));
    while let Some(handle) = pending.take() {
        let mut page = match handle.await {
            Ok(page) => page.map_err(|e| ctx.fhir_error(resource_type, e))?,
            Err(join) => return Err(ctx.fhir_error(resource_type, FhirError::Request(join.to_string()))),
        };
        for kind in page.keep_only(resource_type) {
            report.refused += 1;
            if report.refused_types.len() < 10 && !report.refused_types.contains(&kind) {
                report.refused_types.push(kind);
            }
        }
        // Fetch the next page while this one is written.
        if let Some(next) = &page.next {
            trail.follow(next).map_err(|e| ctx.fhir_error(resource_type, e))?;
        }
        pending = page.next.clone().map(|next| fetch(ctx.client, next));
        let written = write_page(store, ctx, &page, cursor.is_none(), &mut high_water, &mut report);
        if let Err(error) = written {
            if let Some(handle) = pending.take() {
                handle.abort();
            }
            return Err(error);
        }
        progress.advanced(resource_type, page.resources.len() as u64);
    }
    // Deletions, then the new cursor, in one transaction: a sync stopped before it fetches the same
    // window again, so no deletion can fall between two windows.
    let gone = deleted_on_server(store, ctx, capabilities, resource_type, since.as_deref()).await?;
    let mut writer = store.writer(&ctx.now())?;
    for id in &gone {
        report.deleted += u64::from(writer.delete(ctx.source, resource_type, id)?);
    }
    if let Some(hw) = high_water.filter(|hw| Some(*hw) != cursor) {
        writer.set_cursor(ctx.source, resource_type, &hw.to_rfc3339_opts(SecondsFormat::AutoSi, true))?;
    }
    writer.commit()?;
    Ok(report)
}

fn fetch(client: &FhirClient, url: Url) -> tokio::task::JoinHandle<Result<Page, FhirError>> {
    let client = client.clone();
    tokio::spawn(async move { client.get_page(&url).await })
}

/// Writes one page in one transaction and raises `high_water` to the newest `lastUpdated` in it.
/// `initial`: the type's first sync from this source (the change feed says so, for the rules' look-back).
pub(crate) fn write_page(
    store: &mut Store,
    ctx: &Ctx<'_>,
    page: &Page,
    initial: bool,
    high_water: &mut Option<DateTime<Utc>>,
    report: &mut TypeReport,
) -> Result<(), SyncError> {
    let mut writer = store.writer(&ctx.now())?;
    writer.set_initial(initial);
    for raw in &page.resources {
        let stored = upsert_counted(&mut writer, ctx.source, raw.get(), report)?;
        if let Some(stamp) = stored.last_updated.as_deref().and_then(parse_instant) {
            if high_water.is_none_or(|hw| stamp > hw) {
                *high_water = Some(stamp);
            }
        }
    }
    writer.commit()?;
    Ok(())
}

/// Stores one resource and counts it in the type's report.
pub(crate) fn upsert_counted(writer: &mut Writer<'_>, source: &str, raw: &str, report: &mut TypeReport) -> Result<Stored, SyncError> {
    let stored = writer.upsert(source, raw).map_err(|e| match e {
        StoreError::BadResource(detail) => SyncError::BadResource { resource_type: report.resource_type.clone(), detail },
        other => other.into(),
    })?;
    report.fetched += 1;
    match stored.outcome {
        Upserted::Inserted => report.inserted += 1,
        Upserted::Updated => report.updated += 1,
        Upserted::Unchanged => report.unchanged += 1,
    }
    Ok(stored)
}

/// How many resources the server holds for this search (`_summary=count`), for progress and reconciling.
pub(crate) async fn server_count(ctx: &Ctx<'_>, resource_type: &str, since: Option<&str>) -> Result<Option<u64>, SyncError> {
    let since_param = since.map(|s| format!("ge{s}"));
    let mut params: Vec<(&str, &str)> = resource_types::sync_filter(resource_type).to_vec();
    params.push(("_summary", "count"));
    if let Some(since) = &since_param {
        params.push(("_lastUpdated", since));
    }
    let url = ctx.client.search_url(resource_type, &params).map_err(|e| ctx.fhir_error(resource_type, e))?;
    let page = ctx.client.get_page(&url).await.map_err(|e| ctx.fhir_error(resource_type, e))?;
    Ok(page.total)
}

fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc))
}
