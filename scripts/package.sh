#!/usr/bin/env bash
# Builds the release .deb with Tauri's bundler: the binary, the desktop entry that registers it for tel:
# links, and the icon. Prints the package's path on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >&2
cargo build --release --locked --bin switchboard >&2
# `tauri bundle` packages the binary cargo just built (it finds the target directory through cargo).
CI=true ui/node_modules/.bin/tauri bundle --bundles deb >&2
target="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
version="$(sed -n 's/^  "version": "\(.*\)",$/\1/p' tauri.conf.json)"
ls "$target/release/bundle/deb/Switchboard_${version}_$(dpkg --print-architecture).deb"
