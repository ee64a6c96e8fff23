#!/usr/bin/env bash
# The tests too slow for every CI run: the outbox killed 1,000 times right after the server committed
# (SWITCHBOARD_KILL_TRIALS changes the count). Prints its figures.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export SWITCHBOARD_PRIVATE_KEYRING=1
exec scripts/with-keyring.sh cargo test --locked --test app -- --ignored --nocapture "$@"
