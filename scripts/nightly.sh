#!/usr/bin/env bash
# Deeper runs than every CI run makes: the outbox delivery killed 5,000 times right after the server
# committed (SWITCHBOARD_KILL_TRIALS changes the count; CI kills it 1,000 times), and the parsers'
# property tests twenty times deeper. Prints their figures.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export SWITCHBOARD_PRIVATE_KEYRING=1
export SWITCHBOARD_FUZZ_SCALE="${SWITCHBOARD_FUZZ_SCALE:-20}" SWITCHBOARD_KILL_TRIALS="${SWITCHBOARD_KILL_TRIALS:-5000}"
scripts/with-keyring.sh cargo test --locked --test app -- fuzz:: --nocapture
exec scripts/with-keyring.sh cargo test --locked --test app -- --ignored after_each_server_commit --nocapture "$@"
