#!/usr/bin/env bash
# The browser tests (test/browser/) drive Debian's Chromium with playwright-core: npm packages cannot download a
# browser here. Installs it when /usr/bin/chromium is missing (apt-get; with sudo when not root).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if ! command -v apt-get >/dev/null; then
  echo "setup-browser: /usr/bin/chromium is missing and apt-get is not available: install Chromium and link it there" >&2
  exit 1
fi
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
"${sudo[@]}" apt-get update
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y chromium
