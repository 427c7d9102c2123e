#!/usr/bin/env bash
# What `npm test` needs beyond node_modules, installed side by side rather than one after the other: the Glue jobs'
# .venv (PyPI, Maven Central), the deployment checkers' .venv-tools (PyPI) and Chromium (Debian) all download, and
# on a fresh machine the first two took 68 s and about 60 s in a row. Each script does nothing when its part is done.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .build
declare -A jobs=()
for part in setup-tools setup-browser; do
  bash "scripts/$part.sh" > ".build/$part.log" 2>&1 &
  jobs[$part]=$!
done
bash scripts/setup-python.sh
failed=0
for part in "${!jobs[@]}"; do
  if ! wait "${jobs[$part]}"; then
    echo "scripts/$part.sh failed:" >&2
    cat ".build/$part.log" >&2
    failed=1
  fi
done
exit "$failed"
