#!/usr/bin/env bash
# Audits what ships: the npm production dependencies (the Lambda bundles) and the Python packages the Glue jobs get
# (the pins in glue-scripts/requirements.txt and the wheels the packaged stages' templates name: run `npm run package`
# first). Fails on a high or critical npm advisory and on any known Python vulnerability (pip-audit reports no
# severity).
# When an advisory service cannot be reached (a registry mirror without audit endpoints), the audit says so loudly
# and is skipped, unless AUDIT_REQUIRED=1, which makes that a failure too.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-tools.sh
unreachable() {
  echo "AUDIT SKIPPED: $1 could not reach its advisory service ($2)" >&2
  [ "${AUDIT_REQUIRED:-0}" != "1" ] || exit 1
}

npm_json=$(npm audit --omit=dev --json 2>/dev/null || true)
npm_result=$(python3 -c '
import json, sys
try:
    report = json.loads(sys.stdin.read() or "{}")
except json.JSONDecodeError:
    report = {}
if "metadata" not in report:
    problem = report.get("message") or report.get("error", {}).get("summary") or "no report"
    print("unreachable " + str(problem).splitlines()[0])
    sys.exit()
v = report["metadata"]["vulnerabilities"]
print("ok", v.get("high", 0) + v.get("critical", 0), v.get("total", 0))
' <<<"$npm_json")
case "$npm_result" in
  unreachable*) unreachable "npm audit" "${npm_result#unreachable }" ;;
  "ok 0 "*) echo "npm audit (production dependencies): no high or critical advisories (${npm_result##* } in total)" ;;
  *) npm audit --omit=dev --audit-level=high; exit 1 ;;
esac

requirements=$(mktemp)
trap 'rm -f "$requirements"' EXIT
grep -v '^\s*#' glue-scripts/requirements.txt | sed 's/\[.*\]//' | grep -v '^\s*$' >"$requirements"
# The wheels the packaged stages install, named in their templates: the current build, not any older one in .build/.
node scripts/shipped-wheels.mjs >>"$requirements"
sort -u -o "$requirements" "$requirements"
pip_json=$(.venv-tools/bin/pip-audit -r "$requirements" --no-deps --disable-pip --progress-spinner off -f json 2>/dev/null || true)
pip_result=$(python3 -c '
import json, sys
try:
    deps = json.loads(sys.stdin.read() or "{}").get("dependencies", [])
except json.JSONDecodeError:
    deps = []
audited = [d for d in deps if "skip_reason" not in d]
vulns = ["%s %s: %s" % (d["name"], d["version"], v["id"]) for d in audited for v in d.get("vulns", [])]
if not audited:
    print("unreachable " + (deps[0]["skip_reason"] if deps else "no report")); sys.exit()
print("ok " + str(len(audited)) + (" VULNERABLE " + "; ".join(vulns) if vulns else ""))
' <<<"$pip_json")
case "$pip_result" in
  unreachable*) unreachable "pip-audit" "${pip_result#unreachable }" ;;
  *VULNERABLE*) echo "pip-audit (Glue packages): ${pip_result#*VULNERABLE }" >&2; exit 1 ;;
  *) echo "pip-audit (Glue packages): no known vulnerabilities in ${pip_result#ok } packages" ;;
esac
