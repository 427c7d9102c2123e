#!/usr/bin/env bash
# Packages every stage offline (no AWS credentials needed) into .build/package/<stage>/, where the template tests,
# cfn-lint and checkov read the CloudFormation. dev takes no parameter, as a fresh account deploys it: the stack
# creates its network. prod's are examples of the shape a real deploy passes (docs/deployment.md), its own network
# among them; they name no real account. `package-stages.sh [STAGE…]` packages only those stages (the local stack
# repackages dev when its sources changed). Each package is stamped with the digest of its inputs.
set -euo pipefail
cd "$(dirname "$0")/.."
dev=()
prod=(
  --param="subnetIds=subnet-0123456789abcdef0,subnet-0123456789abcdef1"
  --param="securityGroupId=sg-0123456789abcdef0"
  --param="glueAvailabilityZone=us-east-1a"
  --param="dbHost=landing-etl.cluster-c0ffee.us-east-1.rds.amazonaws.com"
  --param="dbSecretArn=arn:aws:secretsmanager:us-east-1:123456789012:secret:landing-etl-db-AbCdEf"
  --param="dbReaderSecretArn=arn:aws:secretsmanager:us-east-1:123456789012:secret:landing-etl-db-reader-GhIjKl"
  --param="corsOrigins=https://app.example.com"
  --param="alertEmail=data-alerts@example.com"
)
unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(dev prod)
for stage in "${stages[@]}"; do
  extra="${stage}[@]"
  digest=$(node scripts/package-inputs.mjs)
  npx sls package --stage "$stage" --region us-east-1 "${!extra}" --package ".build/package/$stage"
  echo "$digest" > ".build/package/$stage/.inputs-digest"
done
