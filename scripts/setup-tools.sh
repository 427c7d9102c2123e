#!/usr/bin/env bash
# Creates (or refreshes) .venv-tools with the pinned deployment checkers (cfn-lint, checkov, pip-audit). checkov is
# large, so like setup-python.sh the install runs only when deploy/requirements-tools.txt changes (stamped hash).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-tools
stamp="$venv/.requirements.sha256"
want=$(sha256sum deploy/requirements-tools.txt | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then exit 0; fi
command -v python3 >/dev/null || { echo "python3 (3.11) is required for the deployment checks" >&2; exit 1; }
echo "Setting up the deployment checkers in $venv (first run downloads checkov, ~400 MB)..."
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r deploy/requirements-tools.txt
echo "$want" > "$stamp"
