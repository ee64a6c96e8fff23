#!/usr/bin/env bash
# Prints the performance figures (ingest, workspace view, search at 10k and 100k patients; sync against
# download on a local Helios server). Set BENCH_PATIENTS / BENCH_SYNC_PATIENTS to change the sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec cargo bench --locked -p switchboard-bench "$@"
