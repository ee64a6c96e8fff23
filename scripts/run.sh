#!/usr/bin/env bash
# Opens the Switchboard desktop app: on the configured clinic, or on the built-in demo clinic when no
# clinic is configured. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --locked --bin switchboard
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "no display: running the window on a virtual X display (Xvfb)" >&2
  RUN=(xvfb-run -a -s "-screen 0 1366x768x24")
else
  RUN=()
fi
if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ] && [ -z "${SWITCHBOARD_HOME:-}" ]; then
  # Without a desktop keyring the key lives in a throwaway keyring, so the cache must be throwaway too.
  SWITCHBOARD_HOME="$(mktemp -d)"
  export SWITCHBOARD_HOME
  echo "no desktop session: using a temporary keyring and a temporary cache in $SWITCHBOARD_HOME" >&2
fi
export WEBKIT_DISABLE_DMABUF_RENDERER=1
exec scripts/with-keyring.sh "${RUN[@]}" "${CARGO_TARGET_DIR:-target}/debug/switchboard" "$@"
