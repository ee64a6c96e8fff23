#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build, run and test Switchboard. Idempotent, and
# quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential pkg-config libssl-dev libdbus-1-dev   # SQLCipher's crypto, Secret Service client
  libwebkit2gtk-4.1-dev librsvg2-dev                    # the Tauri window (WebKitGTK)
  dbus dbus-x11 gnome-keyring libsecret-tools           # a real OS keyring for tests and headless runs
  xvfb xauth webkit2gtk-driver                          # the window without a display; UI end-to-end tests
  curl ca-certificates tzdata                           # tzdata: clinic hours in the clinic's time zone
  faketime                                              # the suite again with the clock moved (scripts/test.sh)
  time                                                  # GNU time: peak memory of a sync against hostile servers (tests)
  xdg-utils desktop-file-utils                          # the package's tel: handler registration (tests)
  python3 python3-venv                                  # the HL7 v2 sender of the feed tests (hl7apy)
  openssl                                               # the feed tests' TLS certificates
)
command -v npm >/dev/null 2>&1 || APT_PACKAGES+=(nodejs npm)

missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "Rust (cargo) is required: install it with rustup, then run this again." >&2
  exit 1
fi

# The UI's packages, reinstalled only when the lock file changed.
if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  npm ci --prefix ui --no-audit --no-fund --loglevel=error >&2
fi
# The authorization server the sign-in tests use (oidc-provider), from its lock file.
if [ ! -d tests/authz/node_modules ] || [ tests/authz/package-lock.json -nt tests/authz/node_modules/.package-lock.json ]; then
  npm ci --prefix tests/authz --no-audit --no-fund --loglevel=error >&2
fi
# The desktop binary embeds the built UI (tauri.conf.json: build.frontendDist).
npm run --prefix ui --silent build >/dev/null

# The real FHIR server for the tests, built once per machine outside the repo.
scripts/install-fhir-server.sh >/dev/null

# tauri-driver, which the end-to-end tests drive the app through (with Debian's WebKitWebDriver).
TOOLS="${SWITCHBOARD_TOOLS:-/var/cache/switchboard-tools}"
TAURI_DRIVER_VERSION=2.1.0
if [ ! -x "$TOOLS/tauri-driver-$TAURI_DRIVER_VERSION/bin/tauri-driver" ]; then
  CARGO_TARGET_DIR="$TOOLS/tauri-driver-target" cargo install tauri-driver --version "$TAURI_DRIVER_VERSION" --locked \
    --root "$TOOLS/tauri-driver-$TAURI_DRIVER_VERSION" >&2
  rm -rf "$TOOLS/tauri-driver-target"
fi

# The HL7 v2 sender the feed tests use: hl7apy from PyPI, in a virtual environment outside the repo.
HL7APY_VERSION=1.3.5
if [ ! -f "$TOOLS/hl7-venv-$HL7APY_VERSION/ok" ]; then
  /usr/bin/python3 -m venv "$TOOLS/hl7-venv-$HL7APY_VERSION"
  "$TOOLS/hl7-venv-$HL7APY_VERSION/bin/pip" install --quiet "hl7apy==$HL7APY_VERSION" >&2
  touch "$TOOLS/hl7-venv-$HL7APY_VERSION/ok"
fi
