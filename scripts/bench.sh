#!/usr/bin/env bash
# Prints the performance figures: ingest, workspace view and search at 10k and 100k patients; sync against
# download and view latency during a sync on a local Helios server; the desktop app's cold start, patient
# switch and memory with 100k demo patients; Bulk Data export against download, an incremental export
# round, peak memory ingesting a 1 GB NDJSON file, and a partial cache's server search (`--bench export`:
# BENCH_EXPORT_PATIENTS, BENCH_EXPORT_MB); the HL7 feed receiver's throughput and ACK latency
# (`--bench hl7`: BENCH_HL7_MESSAGES, BENCH_HL7_SETUPS). BENCH_PATIENTS / BENCH_SYNC_PATIENTS / BENCH_UI_PATIENTS
# change the sizes (0 skips a part). Extra arguments go to `cargo bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release --locked --bin switchboard
exec scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1366x768x24" cargo bench --locked -p switchboard-bench "$@"
