#!/usr/bin/env bash
# Runs a command with a real OS keyring: the Secret Service of an unlocked gnome-keyring-daemon on a
# private D-Bus session. On a desktop that already has a session bus, the command runs as it is
# (set SWITCHBOARD_PRIVATE_KEYRING=1 to force the private one, as the tests do).
set -euo pipefail
if [ "${SWITCHBOARD_IN_KEYRING_SESSION:-}" != 1 ]; then
  if [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] && [ -z "${SWITCHBOARD_PRIVATE_KEYRING:-}" ]; then
    exec "$@"
  fi
  export SWITCHBOARD_IN_KEYRING_SESSION=1
  exec dbus-run-session -- "$0" "$@" 2> >(grep -v -e 'dbus-daemon\[' -e 'Failed to set fd limit' >&2)
fi
# Inside the private session: a throwaway keyring directory, unlocked with a throwaway password.
XDG_DATA_HOME="$(mktemp -d)"
export XDG_DATA_HOME
eval "$(printf 'switchboard-test' | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL
# Wait until the daemon owns the Secret Service name, so D-Bus does not start a second, locked one.
for _ in $(seq 100); do
  if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'; then
    break
  fi
  sleep 0.05
done
exec "$@"
