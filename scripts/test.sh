#!/usr/bin/env bash
# Runs every test: the UI component tests, unit tests of the core crates, the app-level tests against a
# real Helios FHIR Server (started per test) and the real OS keyring (Secret Service on a private D-Bus
# session), and the end-to-end tests of the real app binary in WebKitGTK through tauri-driver.
# Then the date-sensitive tests again with the system clock moved (libfaketime): a year ahead, and onto
# the next weekend daylight saving time starts in America/Chicago, the demo clinic's time zone.
# Every test binary runs even after one fails; the closing line counts every test that ran.
# Arguments go to the first, full `cargo test` (for example a test name filter). SWITCHBOARD_NO_MOVED_CLOCK=1
# skips the moved-clock runs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export SWITCHBOARD_PRIVATE_KEYRING=1
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0

# Runs a command, keeps its output for the count, and remembers a failure without stopping.
run() {
  "$@" 2>&1 | tee -a "$log" || status=1
}

# rustfmt and clippy (warnings are errors) over every crate and target; the closing line names a failure.
lint() {
  cargo fmt --all -- --check || { echo "lint failed: cargo fmt --all -- --check"; return 1; }
  cargo clippy --workspace --all-targets --locked -- -D warnings || { echo "lint failed: cargo clippy"; return 1; }
}

# The tests whose outcome depends on the date, run with the clock moved by `$1` (a libfaketime offset):
# the outbox (booking against slots), rules (due times, business days, escalation), schedule, demo,
# reminders, calls and the UI's countdowns. Cargo and rustc run on the real clock (rustc hangs under
# libfaketime); each test binary runs through faketime (-m: the thread-safe variant; the plain one can deadlock a
# multi-threaded process) as cargo's target runner, and what it starts
# (Helios, the CLI) inherits the moved clock.
date_sensitive() {
  local runner
  runner="CARGO_TARGET_$(rustc -vV | sed -n 's/^host: //p' | tr 'a-z-' 'A-Z_')_RUNNER"
  run env NO_COLOR=1 faketime -m -f "$1" npm test --prefix ui
  run env "$runner=faketime -m -f $1" scripts/with-keyring.sh cargo test --workspace --locked --no-fail-fast --lib
  run_again_if_hung env "$runner=faketime -m -f $1" scripts/with-keyring.sh cargo test --locked --no-fail-fast -p switchboard --test app -- \
    outbox:: rules:: calls:: sync_fhir:: cli:: live_demo:: --skip e2e
}

# libfaketime's thread-safe variant can deadlock a process in its own pthread_cond_init wrapper (seen
# once in a CLI child, inside D-Bus's connect to the keyring: one thread, waiting on faketime's lock).
# A moved-clock run still going after 15 minutes (it takes a few) is stopped, with everything it
# started, and run once more; a second hang, or any failure, counts as a failure.
run_again_if_hung() {
  local attempt code
  for attempt in 1 2; do
    set +e
    timeout -k 30 900 "$@" 2>&1 | tee -a "$log"
    code=${PIPESTATUS[0]}
    set -e
    if [ "$code" -ne 124 ]; then
      [ "$code" -eq 0 ] || status=1
      return 0
    fi
    echo "== the moved-clock run hung (attempt $attempt of 2): stopped after 15 minutes" | tee -a "$log"
  done
  echo "error: test failed, to rerun pass the moved-clock run (it hung twice)" | tee -a "$log"
  status=1
}

# Seconds from now to 01:30 on the next Sunday daylight saving time starts in America/Chicago (the
# second Sunday of March), half an hour before the clocks jump.
seconds_to_next_dst_weekend() {
  local now year day
  now=$(date +%s)
  for year in $(seq "$(date -u +%Y)" $(( $(date -u +%Y) + 2 ))); do
    for day in 08 09 10 11 12 13 14; do
      if [ "$(date -d "$year-03-$day" +%u)" = 7 ]; then
        local at
        at=$(TZ=America/Chicago date -d "$year-03-$day 01:30" +%s)
        if [ "$at" -gt "$now" ]; then echo $(( at - now )); return; fi
      fi
    done
  done
}

# Formatting and lints first: quick, and a failure here is named in the closing line like any other.
run lint
run env NO_COLOR=1 npm test --prefix ui
# The end-to-end tests open the real window: a virtual display for the whole run.
run scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1366x768x24" cargo test --workspace --locked --no-fail-fast --lib --bins --tests "$@"
# The delivery killed 1,000 times, in a keyring session of its own: a thousand killed Secret Service
# clients must not disturb the keyring the other tests use.
run scripts/with-keyring.sh cargo test --locked -p switchboard --test app -- --ignored after_each_server_commit
# The HL7 receiver killed 100 times while an engine sends, apart from the window tests it would slow.
run scripts/with-keyring.sh cargo test --locked -p switchboard --test app -- --ignored a_receiver_killed_at_random
# The release .deb, built, then installed into a directory root, launched and removed by its test.
run scripts/package.sh
run scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1366x768x24" cargo test --locked -p switchboard --test app -- --ignored package::

if [ -z "${SWITCHBOARD_NO_MOVED_CLOCK:-}" ]; then
  # A relative offset, so every process (the tests, the Helios servers they start, the CLI) reads the same
  # moved clock and it keeps ticking; monotonic clocks stay real so timeouts behave.
  export FAKETIME_DONT_FAKE_MONOTONIC=1
  for offset in "+365d" "+$(seconds_to_next_dst_weekend)"; do
    echo "== date-sensitive tests with the clock moved by $offset: $(faketime -m -f "$offset" date -u '+%Y-%m-%d %H:%M UTC')" | tee -a "$log"
    date_sensitive "$offset"
  done
fi

# One closing line for the whole run, summed over every test binary and every clock. A binary that
# crashed prints no result line, so the failed targets cargo names are counted too.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     /^ +Tests +[0-9]/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     /^error: test failed, to rerun pass/ { targets++ }
     /^lint failed: / { lints++ }
     END { printf "all tests: %d passed, %d failed", p, f; if (targets) printf " (%d test binaries failed)", targets;
           if (lints) printf " (%d lint checks failed)", lints; printf "\n" }' "$log"
exit "$status"
