#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests (tests/browser/) when it is missing.
#
# The browser tests drive the system Chromium through Playwright's Python API with
# `executable_path`, so Playwright's own browser download (`playwright install`) is never
# needed. Safe to run repeatedly: it does nothing when Chromium is already installed.
# Needs root (CI containers run as root); elsewhere it tells you what to run instead.
set -euo pipefail

for candidate in "${CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then
        echo "install_browser: Chromium already present at $candidate"
        exit 0
    fi
done

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_browser: no apt-get here; install Chromium with your package manager" \
         "and set CHROMIUM=/path/to/chromium (the browser tests skip without it)" >&2
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install_browser: not root; run 'sudo apt-get update && sudo apt-get install -y chromium'" \
         "(the browser tests skip without it)" >&2
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y chromium
echo "install_browser: installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
