//! The Bulk Data half of a sync: one `$export` job per source, polled to the end, its NDJSON files
//! streamed into the cache a batch of lines per transaction, its error files put in the source's
//! status in words, and the job deleted on the server. A crash resumes: the job is polled again, a
//! finished file is not fetched twice, a killed download starts its file over, and the `_since`
//! cursor moves only once every file is in.

use crate::progress::Progress;
use crate::pull::{upsert_counted, Ctx, SyncError, TypeReport};
use crate::strategy::ExportLevel;
use serde_json::Value;
use std::collections::BTreeMap;
use switchboard_core::AuditAction;
use switchboard_fhir::{ExportFile, ExportStatus, FhirError, Manifest};
use switchboard_store::{AuditEntry, Store, EXPORT_CURSOR};
use url::Url;

/// NDJSON lines written per transaction.
const BATCH: usize = 1000;
/// The type named in errors about the export as a whole.
const EXPORT: &str = "$export";

/// Exports `level` (incrementally after the first round), writes everything to the cache and returns
/// a report per type, plus the error files' words when there were any.
pub(crate) async fn export_all(
    store: &mut Store,
    ctx: &Ctx<'_>,
    level: &ExportLevel,
    progress: &dyn Progress,
) -> Result<(Vec<TypeReport>, Option<String>), SyncError> {
    let fail = |error: FhirError| ctx.fhir_error(EXPORT, error);
    let job = match store.export_job(ctx.source)? {
        Some(job) => job,
        None => {
            let since = store.cursor(ctx.source, EXPORT_CURSOR)?;
            let kickoff = kickoff_url(ctx, level, since.as_deref()).map_err(fail)?;
            let status = ctx.client.export_kickoff(&kickoff).await.map_err(fail)?;
            store.start_export_job(ctx.source, status.as_str(), since.as_deref())?;
            store.export_job(ctx.source)?.expect("just recorded")
        }
    };
    let status = Url::parse(&job.status_url).map_err(|e| fail(FhirError::BadResponse { detail: e.to_string() }))?;
    let manifest = match job.manifest.as_deref().and_then(|m| serde_json::from_str::<Manifest>(m).ok()) {
        Some(manifest) => manifest,
        None => match poll(ctx, &status, progress).await {
            Ok(manifest) => {
                store.set_export_manifest(ctx.source, &serde_json::to_string(&manifest).expect("serializable"))?;
                manifest
            }
            Err(error) => {
                // The server lost or refused the job: the next sync starts a new one.
                if matches!(error, FhirError::Status { status: 404 | 410, .. } | FhirError::BadResponse { .. }) {
                    store.drop_export_job(ctx.source)?;
                }
                return Err(fail(error));
            }
        },
    };
    let mut reports: BTreeMap<String, TypeReport> = BTreeMap::new();
    let files: Vec<(&ExportFile, bool)> = manifest.deleted.iter().map(|f| (f, true)).chain(manifest.output.iter().map(|f| (f, false))).collect();
    for (index, (file, deletions)) in files.iter().enumerate().skip(job.files_done) {
        let report =
            reports.entry(file.resource_type.clone()).or_insert_with(|| TypeReport { resource_type: file.resource_type.clone(), ..Default::default() });
        progress.type_started(&file.resource_type, None);
        let sink = Sink { deletions: *deletions, initial: job.since.is_none(), files_done: index + 1 };
        match ingest_file(store, ctx, file, manifest.requires_access_token, &sink, report, progress).await {
            // The server let the files expire before all were in: the next sync starts a new export
            // from the same `_since` (what was written stays; writing it again changes nothing).
            Err(error @ SyncError::Fhir { error: FhirError::Status { status: 404 | 410, .. }, .. }) => {
                store.drop_export_job(ctx.source)?;
                return Err(error);
            }
            other => other?,
        }
        progress.type_done(&reports[&file.resource_type]);
    }
    let problems = error_words(ctx, &manifest).await;
    let mut writer = store.writer(&ctx.now())?;
    writer.finish_export_job(ctx.source, &manifest.transaction_time)?;
    if let Some(actor) = &ctx.options.actor {
        // Everything the export brought here is PHI leaving the server: audited with the cursor's move.
        let lines: u64 = reports.values().map(|r| r.fetched).sum();
        let since = job.since.as_deref().map(|s| format!(" since {s}")).unwrap_or_default();
        let detail = format!("Bulk Data export {}{since}: {lines} resources", level.path());
        let entry = AuditEntry { action: AuditAction::Export, source: ctx.source.to_string(), patient: None, detail };
        writer.audit(actor, &entry, ctx.clock.now())?;
    }
    writer.commit()?;
    if let Err(error) = ctx.client.export_delete(&status).await {
        tracing::warn!(code = error.code(), "the finished export job could not be deleted on the server");
    }
    Ok((reports.into_values().collect(), problems))
}

fn kickoff_url(ctx: &Ctx<'_>, level: &ExportLevel, since: Option<&str>) -> Result<Url, FhirError> {
    let mut url = ctx.client.base().join(&level.path()).map_err(|e| FhirError::Request(e.to_string()))?;
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("_type", &ctx.options.types.join(","));
        if let Some(since) = since {
            query.append_pair("_since", since);
        }
    }
    Ok(url)
}

/// Polls until the export is done, waiting what the server asks (`Retry-After`) between polls.
async fn poll(ctx: &Ctx<'_>, status: &Url, progress: &dyn Progress) -> Result<Manifest, FhirError> {
    loop {
        match ctx.client.export_status(status).await? {
            ExportStatus::Done(manifest) => return Ok(manifest),
            ExportStatus::Running { progress: words, wait } => {
                progress.exporting(words.as_deref().unwrap_or("in progress"));
                tokio::time::sleep(wait.min(ctx.options.export_poll_max)).await;
            }
        }
    }
}

/// How one file's lines are written: as deletions (a `deleted` file) or resources, as the type's
/// first sync or not, and the file count the last batch records.
struct Sink {
    deletions: bool,
    initial: bool,
    files_done: usize,
}

/// Downloads one file and writes it a batch per transaction; the next batch downloads while one is
/// written. The file is marked done with its last batch.
async fn ingest_file(
    store: &mut Store,
    ctx: &Ctx<'_>,
    file: &ExportFile,
    requires_token: bool,
    sink: &Sink,
    report: &mut TypeReport,
    progress: &dyn Progress,
) -> Result<(), SyncError> {
    let fail = |error: FhirError| ctx.fhir_error(&file.resource_type, error);
    let mut reader = ctx.client.export_open(&file.url, requires_token).await.map_err(fail)?;
    let (sender, mut batches) = tokio::sync::mpsc::channel(4);
    let download = tokio::spawn(async move {
        while let Some(batch) = reader.next_batch(BATCH).await.transpose() {
            let failed = batch.is_err();
            if sender.send(batch).await.is_err() || failed {
                break;
            }
        }
    });
    let written = async {
        while let Some(batch) = batches.recv().await {
            let lines = batch.map_err(fail)?;
            write_lines(store, ctx, &lines, sink, false, report)?;
            progress.advanced(&file.resource_type, lines.len() as u64);
        }
        write_lines(store, ctx, &[], sink, true, report)
    }
    .await;
    download.abort();
    written
}

/// Writes lines in one transaction; `last` marks the file finished with them.
fn write_lines(store: &mut Store, ctx: &Ctx<'_>, lines: &[String], sink: &Sink, last: bool, report: &mut TypeReport) -> Result<(), SyncError> {
    let mut writer = store.writer(&ctx.now())?;
    writer.set_initial(sink.initial);
    for line in lines {
        if sink.deletions {
            for (resource_type, id) in deleted_in(line) {
                report.deleted += u64::from(writer.delete(ctx.source, &resource_type, &id)?);
            }
            continue;
        }
        upsert_counted(&mut writer, ctx.source, line, report)?;
    }
    if last {
        writer.export_files_done(ctx.source, sink.files_done)?;
    }
    writer.commit()?;
    Ok(())
}

/// The resources a `deleted` file's Bundle line lists (`request.url` "Type/id" with method DELETE).
fn deleted_in(line: &str) -> Vec<(String, String)> {
    let bundle: Value = serde_json::from_str(line).unwrap_or(Value::Null);
    let entries = bundle["entry"].as_array().cloned().unwrap_or_default();
    entries
        .iter()
        .filter(|e| e.pointer("/request/method").and_then(Value::as_str) == Some("DELETE"))
        .filter_map(|e| e.pointer("/request/url").and_then(Value::as_str))
        .filter_map(|url| url.split_once('/').map(|(t, id)| (t.to_string(), id.to_string())))
        .collect()
}

/// The export's error files in words: how many problems, and the first few in the server's words.
async fn error_words(ctx: &Ctx<'_>, manifest: &Manifest) -> Option<String> {
    let mut problems: Vec<String> = Vec::new();
    let mut count = 0u64;
    for file in &manifest.error {
        let read = ctx
            .client
            .export_download::<FhirError>(&file.url, manifest.requires_access_token, |line| {
                count += 1;
                if problems.len() < 3 {
                    let outcome: Value = serde_json::from_str(line).unwrap_or(Value::Null);
                    let issue = &outcome["issue"][0];
                    let words = issue["diagnostics"].as_str().or(issue["details"]["text"].as_str()).unwrap_or("no details given");
                    problems.push(switchboard_core::config::shortened(words, 200));
                }
                Ok(())
            })
            .await;
        if let Err(error) = read {
            problems.push(format!("its error file could not be read ({error})"));
        }
    }
    (!problems.is_empty()).then(|| format!("the export reported {count} problem(s): {}", problems.join("; ")))
}
