#!/usr/bin/env bash
# Runs every test: the UI component tests, unit tests of the core crates, the app-level tests against a
# real Helios FHIR Server (started per test) and the real OS keyring (Secret Service on a private D-Bus
# session), and the end-to-end tests of the real app binary in WebKitGTK through tauri-driver.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export SWITCHBOARD_PRIVATE_KEYRING=1
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
NO_COLOR=1 npm test --prefix ui 2>&1 | tee "$log" || status=$?
# The end-to-end tests open the real window: a virtual display for the whole run.
scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1366x768x24" cargo test --workspace --locked --lib --bins --tests "$@" 2>&1 | tee -a "$log" || status=$?
# One closing line for the whole run, summed over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     /^ +Tests +[0-9]/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "all tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
