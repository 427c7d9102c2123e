#!/usr/bin/env bash
# Offline checks of the packaged stacks (run `npm run package` first): cfn-lint and checkov on every stage's
# CloudFormation, then the dependency audits. checkov failures can only be silenced in the template, per resource,
# with a written reason (Metadata.checkov.skip).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-tools.sh
templates=()
for stage in dev prod; do
  t=".build/package/$stage/cloudformation-template-update-stack.json"
  [ -f "$t" ] || { echo "no packaged template for stage $stage at $t: run npm run package first" >&2; exit 1; }
  templates+=("$t")
done
# W3005 (DependsOn already implied) is only raised on resources Serverless itself generates.
.venv-tools/bin/cfn-lint --ignore-checks W3005 -- "${templates[@]}"
echo "cfn-lint: ${#templates[@]} templates clean"
checkov_args=()
for t in "${templates[@]}"; do checkov_args+=(-f "$t"); done
.venv-tools/bin/checkov "${checkov_args[@]}" --framework cloudformation --quiet --compact --skip-download
bash scripts/audit-deps.sh
