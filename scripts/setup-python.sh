#!/usr/bin/env bash
# Creates (or refreshes) .venv with the Glue jobs' pinned Python packages. Idempotent and fast when nothing changed:
# the requirements' hash is stamped into the venv and the install only runs when it differs.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv
stamp="$venv/.requirements.sha256"
# Spark's S3A connector for the local stack's S3-API mode, at the versions Spark 3.5's Hadoop 3.3.4 client needs.
jars=(org.apache.hadoop:hadoop-aws:3.3.4 com.amazonaws:aws-java-sdk-bundle:1.12.262)
want=$( (cat glue-scripts/requirements.txt glue-scripts/requirements-dev.txt; echo "${jars[*]}") | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then exit 0; fi
command -v python3 >/dev/null || { echo "python3 (3.11) is required for the Glue jobs" >&2; exit 1; }
command -v java >/dev/null || { echo "java (17) is required for Spark" >&2; exit 1; }
echo "Setting up the Python environment for the Glue jobs in $venv (first run downloads pyspark, ~320 MB)..."
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r glue-scripts/requirements-dev.txt
command -v mvn >/dev/null || { echo "mvn (Maven) is required to fetch Spark's S3A connector" >&2; exit 1; }
for jar in "${jars[@]}"; do
  mvn -B -q dependency:copy -Dartifact="$jar" -DoutputDirectory="$venv/jars"
done
echo "$want" > "$stamp"
