#!/usr/bin/env bash
# Smoke test of a deployed stage: scripts/smoke-aws.sh STAGE [--region REGION] (docs/deployment.md: Smoke test).
# Needs the AWS CLI v2 with credentials for the stage's account, and `npm ci` done. The logic is
# scripts/smoke-aws-lib.ts; exit codes 0 pass, 1 fail, 2 usage or stage not deployed, 3 could not run the check.
set -euo pipefail
cd "$(dirname "$0")/.."
exec node --import tsx scripts/smoke-aws.ts "$@"
