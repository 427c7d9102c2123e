"""The load job as Glue runs it: from what `npm run package` built (.build/glue-artifacts/<hash>/), in a clean Python
with exactly the wheels the packaged template's --additional-python-modules names, installed by pip with exactly
its --python-modules-installer-option options and no package index; the landing_etl package from landing_etl.zip
on sys.path as --extra-py-files puts it; pyspark and boto3, which Glue provides, visible only after the clean
environment's own packages; job arguments as Glue passes them."""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from .conftest import REPO
from .pipeline import accepted_parquet

TEMPLATE = REPO / ".build" / "package" / "prod" / "cloudformation-template-update-stack.json"
ARTIFACTS = REPO / ".build" / "glue-artifacts"
SCRIPTS = REPO / "glue-scripts"
VENVS = REPO / ".build" / "glue-venv"
WHEEL_URI = re.compile(r"^s3://\$\{ServerlessDeploymentBucket\}/glue/([0-9a-f]{16})/(wheels/[^/]+\.whl)$")


def load_job_arguments() -> dict:
    if not TEMPLATE.exists():
        pytest.fail(f"{TEMPLATE} is missing: run `npm run package` before this test")
    return json.loads(TEMPLATE.read_text())["Resources"]["LoadJob"]["Properties"]["DefaultArguments"]


def shipped_wheels(arguments: dict) -> tuple[str, list[Path]]:
    """The artifacts' hash and the local files of the wheels --additional-python-modules names."""
    hashes, wheels = set(), []
    for uri in arguments["--additional-python-modules"]["Fn::Sub"].split(","):
        match = WHEEL_URI.match(uri)
        assert match, f"--additional-python-modules names {uri!r}, not a wheel of the deployment's artifacts"
        hashes.add(match[1])
        wheels.append(ARTIFACTS / match[1] / match[2])
    assert len(hashes) == 1, hashes
    return hashes.pop(), wheels


def check_current(artifacts: Path) -> None:
    """The packaged scripts and package are the ones in glue-scripts/ (else the test would run an older build)."""
    with zipfile.ZipFile(artifacts / "landing_etl.zip") as z:
        packaged = {name: z.read(name) for name in z.namelist()}
    sources = {
        p.relative_to(REPO / "glue-scripts").as_posix(): p.read_bytes() for p in SCRIPTS.glob("landing_etl/*.py")
    }
    stale = sorted(n for n in packaged.keys() | sources.keys() if packaged.get(n) != sources.get(n))
    stale += [p.name for p in SCRIPTS.glob("*.py") if (artifacts / p.name).read_bytes() != p.read_bytes()]
    if stale:
        pytest.fail(f"{artifacts} is older than glue-scripts/ ({', '.join(stale)}): run `npm run package`")


def glue_environment(wheels: list[Path], installer_options: list[str]) -> Path:
    """A virtual environment with only the wheels, installed as Glue installs them; cached by wheel digest."""
    digest = hashlib.sha256(f"{sys.version}\0{installer_options}".encode())
    for wheel in sorted(wheels):
        digest.update(wheel.name.encode() + b"\0" + hashlib.sha256(wheel.read_bytes()).digest())
    venv = VENVS / digest.hexdigest()[:16]
    if (venv / ".complete").exists():
        return venv
    building = VENVS / f".building-{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(building)], check=True)
    python = building / "bin" / "python"
    # No index at all: a dependency missing from the wheels fails here rather than being fetched.
    offline = {**os.environ, "PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_CONFIG_FILE": os.devnull}
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--disable-pip-version-check",
            "--no-cache-dir",
        ]
        + installer_options
        + [str(w) for w in wheels],
        env=offline,
        capture_output=True,
        text=True,
    )
    assert installed.returncode == 0, (
        f"pip could not install the shipped wheels offline:\n{installed.stdout}{installed.stderr}"
    )
    # What Glue itself provides (pyspark, boto3), after the environment's own packages on sys.path.
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(purelib, "zz_glue_provided.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    (building / ".complete").touch()
    shutil.rmtree(venv, ignore_errors=True)
    building.rename(venv)
    return venv


# Runs the entry script as Glue does (`python script.py args…`) and reports where the modules came from.
RUN_AND_REPORT = """
import json, runpy, sys
report, script = sys.argv[1], sys.argv[2]
sys.argv = sys.argv[2:]
try:
    runpy.run_path(script, run_name="__main__")
finally:
    names = ("psycopg", "pyarrow", "landing_etl", "boto3", "pyspark")
    json.dump({m: getattr(sys.modules.get(m), "__file__", None) for m in names}, open(report, "w"))
"""


def test_the_packaged_load_job_loads_rows_from_a_clean_environment_of_the_shipped_wheels(
    aws_apis, bucket, run_log_table, db, database_url, tmp_path
):
    arguments = load_job_arguments()
    installer_options = arguments["--python-modules-installer-option"].split()
    assert "--no-index" in installer_options
    artifacts_hash, wheels = shipped_wheels(arguments)
    artifacts = ARTIFACTS / artifacts_hash
    check_current(artifacts)
    venv = glue_environment(wheels, installer_options)

    # The deployment bucket as the deploy leaves it, the landed object (two versions) and the test stage's output.
    for folder in ("datasets", "migrations"):
        for path in sorted((artifacts / folder).iterdir()):
            aws_apis.s3.put_object(
                Bucket=bucket, Key=f"glue/{artifacts_hash}/{folder}/{path.name}", Body=path.read_bytes()
            )
    source_uri = f"s3://{bucket}/dailycheckin/2020-01-03/checkins.csv"
    for text in (b"first version", b"second version"):
        version = aws_apis.s3.put_object(Bucket=bucket, Key=source_uri.split("/", 3)[3], Body=text)["VersionId"]
    staging = f"s3://{bucket}/staging/ing-packaged"
    parquet, _ = accepted_parquet(source_uri, version, "ing-packaged")
    aws_apis.s3.put_object(Bucket=bucket, Key="staging/ing-packaged/accepted/part-0.parquet", Body=parquet)

    argv = [
        # Glue's own parameters and key-only flags, then the job's defaults, then the state machine's arguments.
        "--JOB_ID", "j_0123456789",
        "--enable-metrics",
        "--JOB_RUN_ID", "jr_0123456789",
        "--enable-observability-metrics",
        "--TempDir", f"s3://{bucket}/glue-temp/",
        "--enable-continuous-cloudwatch-log",
        "--job-bookmark-option", "job-bookmark-disable",
        "--JOB_NAME", "landing-etl-prod-load",
        "--aws_region", aws_apis.region,
        "--db_secret_arn", "local",
        "--db_host", "",
        "--migrations_uri", f"s3://{bucket}/glue/{artifacts_hash}/migrations",
        "--ingestion_id", "ing-packaged",
        "--dataset", "dailycheckin",
        "--business_date", "2020-01-03",
        "--source_uri", source_uri,
        "--source_version", version,
        "--source_sequencer", "0062a1b2c3d4e5f60b",
        "--staging_uri", staging,
        "--quality_mode", "soft",
        "--run_log_table", run_log_table,
        "--datasets_uri", f"s3://{bucket}/glue/{artifacts_hash}/datasets",
    ]  # fmt: skip
    report = tmp_path / "modules.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    # --extra-py-files: the zip goes on the job's Python path. DATABASE_URL stands in for the secret (no TLS here).
    env |= {"PYTHONPATH": str(artifacts / "landing_etl.zip"), "DATABASE_URL": database_url}
    # The executor created the ingestion's summary; the job copies its row counts onto it.
    aws_apis.dynamodb.put_item(
        TableName=run_log_table,
        Item={"pk": {"S": "ING#ing-packaged"}, "sk": {"S": "SUMMARY"}, "ingestionId": {"S": "ing-packaged"}},
    )
    run = subprocess.run(
        [str(venv / "bin" / "python"), "-c", RUN_AND_REPORT, str(report), str(artifacts / "load.py"), *argv],
        env=env,
        cwd=tmp_path,  # not glue-scripts/, whose landing_etl would shadow the zip's
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr

    modules = json.loads(report.read_text())
    assert Path(modules["psycopg"]).is_relative_to(venv), modules
    assert Path(modules["pyarrow"]).is_relative_to(venv), modules
    assert modules["landing_etl"] == str(artifacts / "landing_etl.zip" / "landing_etl" / "__init__.py")
    assert not Path(modules["boto3"]).is_relative_to(venv)  # Glue's own
    rows = db.execute(
        "SELECT username, hours, ingestion_id, source_object, source_version FROM daily_checkins ORDER BY username"
    ).fetchall()
    assert [(r[0], str(r[1]), *r[2:]) for r in rows] == [
        ("ann", "1.50", "ing-packaged", source_uri, version),
        ("bob", "2.00", "ing-packaged", source_uri, version),
    ]
    assert db.execute("SELECT source_version, source_sequencer FROM source_loads").fetchall() == [
        (version, "0062A1B2C3D4E5F60B")
    ]
    item = aws_apis.dynamodb.get_item(
        TableName=run_log_table, Key={"pk": {"S": "ING#ing-packaged"}, "sk": {"S": "STAGE#load"}}
    )
    metrics = item["Item"]["metrics"]["M"]
    assert (metrics["rowsIn"], metrics["rowsOut"], metrics["table"]) == (
        {"N": "2"},
        {"N": "2"},
        {"S": "daily_checkins"},
    )
    summary = aws_apis.dynamodb.get_item(
        TableName=run_log_table, Key={"pk": {"S": "ING#ing-packaged"}, "sk": {"S": "SUMMARY"}}
    )
    assert summary["Item"]["rowsLoaded"] == {"N": "2"}
