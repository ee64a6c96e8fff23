#!/bin/sh
# The .deb's postinst and postrm: brings the desktop database (which application opens tel: links) up to
# date after the desktop entry was installed or removed. DPKG_ROOT is set when installed into another root.
set -e
if command -v update-desktop-database >/dev/null 2>&1; then
  update-desktop-database -q "${DPKG_ROOT:-}/usr/share/applications" || true
fi
