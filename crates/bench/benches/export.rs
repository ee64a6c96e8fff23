//! Prints the figures of reading a source through Bulk Data `$export` and of a partial cache's server
//! search (no pass/fail; the targets are in the README):
//!
//! - peak memory of a sync ingesting one large NDJSON file (BENCH_EXPORT_MB, default 1024), served by a
//!   small export server in this process that writes the file as it goes: no FHIR server here could
//!   hold a gigabyte of one type, so this one part is a double;
//! - the first full load of BENCH_EXPORT_PATIENTS (default 10000) demo patients through `$export` from a
//!   local Helios, against downloading the same NDJSON files; then an incremental round with 1% of the
//!   resources changed;
//! - the round trip of a partial cache's server search against that Helios.

use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use switchboard_app::App;
use switchboard_core::{Config, SourceConfig, SyncMethod, SystemClock};
use switchboard_demo::{seed_server, DemoOptions};
use switchboard_fhir::{ExportStatus, FhirClient};
use switchboard_store::Store;
use switchboard_sync::{sync_source, NoProgress, SyncOptions};
use switchboard_testkit::{client, runtime, FhirServer, TestHome};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn main() {
    let megabytes: u64 = std::env::var("BENCH_EXPORT_MB").ok().and_then(|s| s.parse().ok()).unwrap_or(1024);
    if megabytes > 0 {
        memory_figures(megabytes);
    }
    let patients: u32 = std::env::var("BENCH_EXPORT_PATIENTS").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    if patients > 0 {
        export_figures(patients);
    }
}

/// The process's peak resident memory so far (VmHWM), in MB.
fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()).unwrap_or(0.0);
    kb / 1024.0
}

fn options(poll: u64) -> SyncOptions {
    SyncOptions { method: SyncMethod::Export, export_poll_max: Duration::from_secs(poll), ..SyncOptions::default() }
}

fn memory_figures(megabytes: u64) {
    let rt = runtime();
    let port = switchboard_testkit::free_port();
    rt.spawn(serve_one_big_export(port, megabytes * 1024 * 1024));
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open_with_key(&dir.path().join("cache.db"), &[5u8; 32], "US").unwrap();
    let before = peak_mb();
    let started = Instant::now();
    let report = rt.block_on(sync_source(&mut store, &client(&format!("http://127.0.0.1:{port}")), "bench", &options(1), &SystemClock, &NoProgress)).unwrap();
    let fetched: u64 = report.types.iter().map(|t| t.fetched).sum();
    println!("== ingest of one {megabytes} MB NDJSON file through $export ({fetched} Observations)");
    println!("peak memory       {:>7.1} MB (process peak; {:.1} MB before the sync)   {:.1} s", peak_mb(), before, started.elapsed().as_secs_f64());
}

/// A minimal Bulk Data server: a kick-off, a status that is done at once, and one Observation file of
/// `bytes` written line by line as it is read.
async fn serve_one_big_export(port: u16, bytes: u64) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let base = format!("http://127.0.0.1:{port}");
    while let Ok((mut stream, _)) = listener.accept().await {
        let base = base.clone();
        tokio::spawn(async move {
            let mut head = vec![0u8; 8192];
            let n = stream.read(&mut head).await.unwrap_or(0);
            let request = String::from_utf8_lossy(&head[..n]).to_string();
            let target = request.split(' ').nth(1).unwrap_or("/").to_string();
            let reply = |status: &str, extra: &str, body: &str| {
                format!("HTTP/1.1 {status}\r\nContent-Type: application/fhir+json\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}", body.len())
            };
            let answer = if target.starts_with("/metadata") {
                reply(
                    "200 OK",
                    "",
                    &json!({"resourceType": "CapabilityStatement", "rest": [{"operation": [{"name": "export"}],
                    "resource": [{"type": "Observation", "interaction": [{"code": "search-type"}]}]}]})
                    .to_string(),
                )
            } else if target.contains("$export") {
                reply("202 Accepted", &format!("Content-Location: {base}/status\r\n"), "")
            } else if target.starts_with("/status") && request.starts_with("GET") {
                let manifest = json!({"transactionTime": "2026-01-01T00:00:00Z", "requiresAccessToken": false,
                    "output": [{"type": "Observation", "url": format!("{base}/file")}], "error": []});
                reply("200 OK", "", &manifest.to_string())
            } else if target.starts_with("/file") {
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/fhir+ndjson\r\nConnection: close\r\n\r\n").await;
                let (mut written, mut n) = (0u64, 0u64);
                let mut buffer = String::with_capacity(1 << 20);
                while written < bytes {
                    n += 1;
                    let line = json!({"resourceType": "Observation", "id": format!("big-{n}"), "meta": {"versionId": "1", "lastUpdated": "2026-01-01T00:00:00Z"},
                        "status": "final", "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]}],
                        "code": {"coding": [{"system": "http://loinc.org", "code": "2823-3", "display": "Potassium [Moles/volume] in Serum or Plasma"}]},
                        "subject": {"reference": format!("Patient/p{}", n % 50_000)}, "effectiveDateTime": "2025-06-01T09:30:00Z",
                        "valueQuantity": {"value": 4.2, "unit": "mmol/L", "system": "http://unitsofmeasure.org", "code": "mmol/L"},
                        "referenceRange": [{"low": {"value": 3.5, "unit": "mmol/L"}, "high": {"value": 5.1, "unit": "mmol/L"}}],
                        "note": [{"text": "x".repeat(400)}]});
                    buffer.push_str(&line.to_string());
                    buffer.push('\n');
                    if buffer.len() >= 1 << 20 {
                        written += buffer.len() as u64;
                        if stream.write_all(buffer.as_bytes()).await.is_err() {
                            return;
                        }
                        buffer.clear();
                    }
                }
                let _ = stream.write_all(buffer.as_bytes()).await;
                let _ = stream.shutdown().await;
                return;
            } else {
                reply("202 Accepted", "", "")
            };
            let _ = stream.write_all(answer.as_bytes()).await;
            let _ = stream.shutdown().await;
        });
    }
}

/// Runs a system export and downloads its output files; returns how long the server took to make
/// them, how long the download took, and the bytes and lines.
async fn download_only(client: &FhirClient) -> (Duration, Duration, u64, u64) {
    let made = Instant::now();
    let kickoff = client.base().join("$export").unwrap();
    let status = client.export_kickoff(&kickoff).await.unwrap();
    let manifest = loop {
        match client.export_status(&status).await.unwrap() {
            ExportStatus::Done(manifest) => break manifest,
            ExportStatus::Running { .. } => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    };
    let making = made.elapsed();
    let started = Instant::now();
    let (mut bytes, mut lines) = (0u64, 0u64);
    for file in &manifest.output {
        lines += client
            .export_download::<switchboard_fhir::FhirError>(&file.url, false, |line| {
                bytes += line.len() as u64 + 1;
                Ok(())
            })
            .await
            .unwrap();
    }
    let elapsed = started.elapsed();
    client.export_delete(&status).await.unwrap();
    (making, elapsed, bytes, lines)
}

fn export_figures(patients: u32) {
    let server = FhirServer::start();
    let helios = client(&server.base());
    let rt = runtime();
    let today = chrono::Utc::now().date_naive();
    rt.block_on(seed_server(&helios, &DemoOptions { patients, seed: 1, today }, &mut |_| {})).unwrap();
    let (making, download, bytes, lines) = rt.block_on(download_only(&helios));
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open_with_key(&dir.path().join("cache.db"), &[7u8; 32], "US").unwrap();
    let started = Instant::now();
    rt.block_on(sync_source(&mut store, &helios, "bench", &options(1), &SystemClock, &NoProgress)).unwrap();
    let first = started.elapsed();
    println!("== $export of {patients} demo patients ({lines} resources, {:.1} MB of NDJSON) from a local Helios server", bytes as f64 / 1e6);
    println!("server's export   {:>7.2} s (kick-off to manifest, polled every 200 ms)", making.as_secs_f64());
    println!("download only     {:>7.2} s (the finished export's files)", download.as_secs_f64());
    println!(
        "first full load   {:>7.2} s   = {:.2} x download, {:.2} x the server's export and download (kick-off, polls every 1 s, download, ingest)",
        first.as_secs_f64(),
        first.as_secs_f64() / download.as_secs_f64(),
        first.as_secs_f64() / (making + download).as_secs_f64()
    );

    // 1% of the resources changed: Observations amended in batches.
    let changed = (lines / 100) as usize;
    let observations = rt.block_on(switchboard_testkit::server_resources(&helios, "Observation"));
    let amended: Vec<serde_json::Value> = observations
        .into_values()
        .take(changed)
        .map(|mut o| {
            o["status"] = json!("amended");
            o
        })
        .collect();
    for batch in amended.chunks(200) {
        let entries: Vec<serde_json::Value> =
            batch.iter().map(|o| json!({"resource": o, "request": {"method": "PUT", "url": format!("Observation/{}", o["id"].as_str().unwrap())}})).collect();
        rt.block_on(helios.transaction(&json!({"resourceType": "Bundle", "type": "transaction", "entry": entries}))).unwrap();
    }
    let started = Instant::now();
    let report = rt.block_on(sync_source(&mut store, &helios, "bench", &options(1), &SystemClock, &NoProgress)).unwrap();
    let incremental = started.elapsed();
    let fetched: u64 = report.types.iter().map(|t| t.fetched).sum();
    println!(
        "incremental round {:>7.2} s   = {:.1}% of the first load ({} changed, {fetched} fetched)",
        incremental.as_secs_f64(),
        100.0 * incremental.as_secs_f64() / first.as_secs_f64(),
        amended.len()
    );
    search_figures(&rt, &server, &store);
}

/// A partial cache's server search: the typed text asked of Helios and the found patients kept.
fn search_figures(rt: &tokio::runtime::Runtime, server: &FhirServer, cached: &Store) {
    let home = TestHome::new();
    let source = SourceConfig { partial: true, ..SourceConfig::new("bench", switchboard_core::config::parse_fhir_url(&server.base()).unwrap()) };
    let app = App::new(home.home.clone(), Config { sources: vec![source], ..Config::default() }, Arc::new(SystemClock));
    let mut store = home.store();
    let families: Vec<String> = cached
        .resources_of("bench", "Patient")
        .unwrap()
        .into_iter()
        .step_by(97)
        .take(60)
        .filter_map(|(_, json)| serde_json::from_str::<serde_json::Value>(&json).ok()?["name"][0]["family"].as_str().map(str::to_string))
        .collect();
    let mut samples: Vec<Duration> = Vec::new();
    for family in &families {
        let started = Instant::now();
        let hits = app.search_servers(&mut store, rt, family).unwrap();
        samples.push(started.elapsed());
        assert!(!hits.is_empty());
    }
    samples.sort();
    let at = |p: f64| samples[((samples.len() as f64 * p).ceil() as usize).clamp(1, samples.len()) - 1].as_secs_f64() * 1000.0;
    println!("== partial cache: server search by family name, {} searches against the local Helios", samples.len());
    println!("server round trip p50 {:>6.1} ms   p95 {:>6.1} ms   max {:>6.1} ms (asked once typing has stopped for 150 ms)", at(0.5), at(0.95), at(1.0));
}
