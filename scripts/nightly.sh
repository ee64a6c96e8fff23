#!/usr/bin/env bash
# The tests too slow for every CI run: the outbox killed 1,000 times right after the server committed
# (SWITCHBOARD_KILL_TRIALS changes the count), and the parsers' property tests twenty times deeper.
# Prints their figures.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export SWITCHBOARD_PRIVATE_KEYRING=1 SWITCHBOARD_FUZZ_SCALE="${SWITCHBOARD_FUZZ_SCALE:-20}"
scripts/with-keyring.sh cargo test --locked --test app fuzz:: -- --nocapture
exec scripts/with-keyring.sh cargo test --locked --test app -- --ignored --nocapture "$@"
