"""The jobs' S3, Secrets Manager and DynamoDB code paths through the services' real HTTP APIs (a moto server), against
a versioned bucket, with no ambient region: only the job's --aws_region."""

import gzip
import json
import random
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from landing_etl import db, load, migrations, privacy, runlog, source, storage

from .conftest import REPO
from .pipeline import DAILYCHECKIN, accepted_parquet

V1 = b"user,timestamp,hours,project\nann,2020-01-02 03:04:05 UTC,1.5,apollo\n"
V2 = b"user,timestamp,hours,project\nann,2020-01-02 03:04:05 UTC,3,apollo\nbob,2020-01-03 00:00:00 UTC,2,gemini\n"


@pytest.fixture
def two_versions(aws_apis, bucket):
    """One key written twice: (uri, [(version id, LastModified, body) of v1, of v2])."""
    key = "dailycheckin/2020-01-03/checkins.csv"
    versions = []
    for body in (V1, V2):
        version = aws_apis.s3.put_object(Bucket=bucket, Key=key, Body=body)["VersionId"]
        head = aws_apis.s3.head_object(Bucket=bucket, Key=key, VersionId=version)
        versions.append((version, head["LastModified"], body))
    return f"s3://{bucket}/{key}", versions


def body(aws_apis, uri: str, **kw) -> bytes:
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    return aws_apis.s3.get_object(Bucket=bucket, Key=key, **kw)["Body"].read()


def test_describe_reads_the_size_and_time_of_exactly_the_version_asked_for(aws_apis, two_versions):
    uri, [(v1, t1, b1), (v2, t2, b2)] = two_versions
    assert source.describe(uri, v1) == source.SourceObject(uri, len(b1), t1)
    assert source.describe(uri, v2) == source.SourceObject(uri, len(b2), t2)
    assert source.describe(uri, None).size == len(b2)  # no version: the latest
    with pytest.raises(source.SourceNotFound):
        source.describe(uri, "no-such-version")


def test_stage_copies_the_triggering_version_even_after_a_newer_one_replaced_the_key(aws_apis, bucket, two_versions):
    uri, [(v1, t1, b1), _] = two_versions
    staging = f"s3://{bucket}/staging/ing-1"
    staged = source.stage(uri, v1, staging)
    assert staged == source.SourceObject(f"{staging}/source/source.csv", len(b1), t1)
    assert body(aws_apis, staged.uri) == V1
    assert body(aws_apis, uri) == V2  # the key itself still holds the newer version


def test_verify_compressed_reads_a_large_gzip_through_and_refuses_a_truncated_one(aws_apis, bucket):
    # Two concatenated members over several 1 MiB chunks of the streamed GetObject: one valid file.
    payload = gzip.compress(random.Random(7).randbytes(3 << 20), compresslevel=1) + gzip.compress(V1)
    assert len(payload) > 2 * (1 << 20)
    aws_apis.s3.put_object(Bucket=bucket, Key="in/whole.csv.gz", Body=payload)
    aws_apis.s3.put_object(Bucket=bucket, Key="in/cut.csv.gz", Body=payload[: len(payload) - 4096])
    aws_apis.s3.put_object(Bucket=bucket, Key="in/plain.csv.gz", Body=V1)
    source.verify_compressed(f"s3://{bucket}/in/whole.csv.gz", DAILYCHECKIN)
    with pytest.raises(source.CorruptSource, match="truncated"):
        source.verify_compressed(f"s3://{bucket}/in/cut.csv.gz", DAILYCHECKIN)
    with pytest.raises(source.CorruptSource, match="not a valid gzip"):
        source.verify_compressed(f"s3://{bucket}/in/plain.csv.gz", DAILYCHECKIN)


# Keys S3 allows that URLs, globs and file systems read otherwise: `#` and `?` end a URL's path, `[`, `{` and `?` are
# Hadoop globs, `%` and `+` are URL escapes, `:` makes a relative Hadoop path absolute; unicode; 1,024 bytes; an
# extension in capitals.
S3_KEYS = [
    "dailycheckin/2020-01-03/a#b?c=d.csv",
    "dailycheckin/2020-01-03/[x]{y,z} 100%25 +plus+ a:b.CSV",
    "dailycheckin/2020-01-03/été 🦄 日本.Csv.Gz",
    "dailycheckin/2020-01-03/" + "ü" * 496 + ".csv.bz2",
]


@pytest.mark.parametrize("key", S3_KEYS, ids=["hash-query", "glob-escapes-colon", "unicode-upper-gz", "1024-bytes"])
def test_any_key_s3_allows_is_described_and_staged_under_a_name_of_our_own(aws_apis, bucket, key):
    import bz2

    assert len(key.encode()) <= 1024 and len(S3_KEYS[-1].encode()) == 1024
    packed = {".csv": V1, ".csv.gz": gzip.compress(V1), ".csv.bz2": bz2.compress(V1)}
    extension = next(e for e in (".csv.gz", ".csv.bz2", ".csv") if key.lower().endswith(e))
    version = aws_apis.s3.put_object(Bucket=bucket, Key=key, Body=packed[extension])["VersionId"]
    uri = f"s3://{bucket}/{key}"
    assert source.describe(uri, version).size == len(packed[extension])
    staged = source.stage(uri, version, f"s3://{bucket}/staging/ing-1")
    # The accepted extension in lower case: the CSV reader finds the codec by it.
    assert staged.uri == f"s3://{bucket}/staging/ing-1/source/source{extension}"
    assert body(aws_apis, staged.uri) == packed[extension]
    source.verify_compressed(staged.uri, DAILYCHECKIN)


def test_an_object_whose_name_is_no_csv_is_refused_naming_what_is_accepted(aws_apis, bucket):
    aws_apis.s3.put_object(Bucket=bucket, Key="d/a.csv.zip", Body=V1)
    with pytest.raises(source.NotACsvFile, match=r"is not a \.csv, \.csv\.gz or \.csv\.bz2 file"):
        source.stage(f"s3://{bucket}/d/a.csv.zip", None, f"s3://{bucket}/staging/ing-1")


def test_list_names_and_size_see_the_objects_directly_under_a_prefix(aws_apis, bucket):
    for key, data in {
        "out/accepted/part-0.parquet": b"x" * 10,
        "out/accepted/part-1.parquet": b"y" * 32,
        "out/accepted/_SUCCESS": b"",
        "out/accepted/nested/part-2.parquet": b"z" * 5,
        "out/accepted-old/part-9.parquet": b"w" * 100,
    }.items():
        aws_apis.s3.put_object(Bucket=bucket, Key=key, Body=data)
    prefix = f"s3://{bucket}/out/accepted"
    assert storage.list_names(prefix) == ["_SUCCESS", "part-0.parquet", "part-1.parquet"]
    assert storage.list_names(prefix + "/") == ["_SUCCESS", "part-0.parquet", "part-1.parquet"]
    assert storage.list_names(f"s3://{bucket}/nothing-here") == []
    assert storage.size(prefix) == 10 + 32 + 5


def test_write_json_puts_a_json_object_that_read_text_reads_back(aws_apis, bucket):
    uri = f"s3://{bucket}/staging/ing-1/quality-report.json"
    storage.write_json(uri, {"ingestionId": "ing-1", "rows": 3, "at": datetime(2026, 1, 2, tzinfo=UTC)})
    bucket_name, key = uri.removeprefix("s3://").split("/", 1)
    stored = aws_apis.s3.get_object(Bucket=bucket_name, Key=key)
    assert stored["ContentType"] == "application/json"
    assert json.loads(stored["Body"].read()) == {"ingestionId": "ing-1", "rows": 3, "at": "2026-01-02 00:00:00+00:00"}
    assert json.loads(storage.read_text(uri))["rows"] == 3


def test_migrations_apply_from_an_s3_prefix_into_an_empty_database(aws_apis, bucket, database_url):
    for path in sorted((REPO / "migrations").glob("*.sql")):
        aws_apis.s3.put_object(Bucket=bucket, Key=f"glue/abc/migrations/{path.name}", Body=path.read_bytes())
    aws_apis.s3.put_object(Bucket=bucket, Key="glue/abc/migrations/README.txt", Body=b"not a migration")
    name = f"migrate_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    with psycopg.connect(make_conninfo(database_url, dbname=name)) as conn:
        applied = migrations.apply(conn, f"s3://{bucket}/glue/abc/migrations")
        assert applied == [p.stem for p in sorted((REPO / "migrations").glob("*.sql"))]
        assert conn.execute("SELECT to_regclass('daily_checkins') IS NOT NULL").fetchone() == (True,)
        assert migrations.apply(conn, f"s3://{bucket}/glue/abc/migrations") == []


def test_the_privacy_key_comes_from_secrets_manager_as_a_string_or_a_json_key_field(aws_apis):
    plain = aws_apis.secrets.create_secret(Name=f"k-{uuid.uuid4().hex}", SecretString="s3cr3t/key")["ARN"]
    keyed = aws_apis.secrets.create_secret(Name=f"k-{uuid.uuid4().hex}", SecretString='{"key": "from-json"}')["ARN"]
    keyless = aws_apis.secrets.create_secret(Name=f"k-{uuid.uuid4().hex}", SecretString='{"other": 1}')["ARN"]
    assert privacy.key(plain) == b"s3cr3t/key"
    assert privacy.key(keyed) == b"from-json"
    with pytest.raises(privacy.PrivacyKeyMissing, match="without a string field 'key'"):
        privacy.key(keyless)


SOURCE = "s3://landing/a.csv"
COLUMNS = [c.key for c in DAILYCHECKIN.loaded_columns] + load.LINEAGE


def test_the_load_reads_staged_parquet_from_s3_with_pyarrow(aws_apis, bucket):
    parquet, csv_rows = accepted_parquet(SOURCE)
    for part in ("part-0.parquet", "part-1.parquet"):
        aws_apis.s3.put_object(Bucket=bucket, Key=f"staging/ing-1/accepted/{part}", Body=parquet)
    aws_apis.s3.put_object(Bucket=bucket, Key="staging/ing-1/accepted/_SUCCESS", Body=b"")
    chunks = list(load.accepted_batches(f"s3://{bucket}/staging/ing-1/accepted", COLUMNS, SOURCE))
    assert sum(n for n, _ in chunks) == 4
    assert b"".join(c for _, c in chunks).decode().splitlines() == csv_rows * 2


def test_run_log_metrics_land_on_the_stage_item(aws_apis, run_log_table):
    table = run_log_table
    runlog.record_metrics(table, "ing-1", "load", {"rowsIn": 2, "seconds": 1.25, "table": "daily_checkins"})
    item = aws_apis.dynamodb.get_item(TableName=table, Key={"pk": {"S": "ING#ing-1"}, "sk": {"S": "STAGE#load"}})[
        "Item"
    ]
    assert item["metrics"] == {"M": {"rowsIn": {"N": "2"}, "seconds": {"N": "1.25"}, "table": {"S": "daily_checkins"}}}


def test_the_test_stage_counts_land_on_the_summary_for_the_list_of_runs(aws_apis, run_log_table):
    key = {"pk": {"S": "ING#ing-2"}, "sk": {"S": "SUMMARY"}}
    aws_apis.dynamodb.put_item(TableName=run_log_table, Item={**key, "status": {"S": "RUNNING"}})
    runlog.record_metrics(run_log_table, "ing-2", "test", {"rowsIn": 10, "rowsOut": 7, "rejected": 2, "duplicates": 1})
    item = aws_apis.dynamodb.get_item(TableName=run_log_table, Key=key)["Item"]
    assert {k: item[k] for k in ("accepted", "rejected", "duplicateRows")} == {
        "accepted": {"N": "7"},
        "rejected": {"N": "2"},
        "duplicateRows": {"N": "1"},
    }
    assert "rowsIn" not in item  # the rows in of a run are the transform's (the source's lines)


PASSWORD = "p/ss@word: 100% 'quoted' \\ é"


@pytest.fixture
def password_role(database_url):
    """A login role whose password has every character a URL or a conninfo string would have to escape; the
    server checks it (the test server's pg_hba.conf asks members of password_checked for their password)."""
    name = f"loader_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url, autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_roles WHERE rolname = 'password_checked'").fetchone():
            admin.execute("CREATE ROLE password_checked NOLOGIN")
        admin.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE password_checked").format(
                sql.Identifier(name), sql.Literal(PASSWORD)
            )
        )
    yield name
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


def test_the_database_secret_connects_whatever_its_password_holds(aws_apis, database_url, password_role, monkeypatch):
    monkeypatch.setenv("LANDING_ETL_LOCAL_STACK", "1")  # the test server has no certificate to verify
    server = conninfo_to_dict(database_url)
    secret = {"username": password_role, "password": PASSWORD, "port": int(server["port"]), "dbname": server["dbname"]}
    arn = aws_apis.secrets.create_secret(Name=f"db-{uuid.uuid4().hex}", SecretString=json.dumps(secret))["ARN"]

    dsn = db.dsn(arn, "127.0.0.1", "require")  # the host comes from --db_host: an RDS-managed secret has none
    # TLS without a root certificate file, with which libpq's require would verify the CA after all.
    assert conninfo_to_dict(dsn)["sslmode"] == "require"
    assert "sslrootcert" not in conninfo_to_dict(dsn)
    # The test server has no TLS: the same connection info, TLS aside.
    with psycopg.connect(dsn, sslmode="disable") as conn:
        assert conn.execute("SELECT current_user").fetchone() == (password_role,)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(dsn, sslmode="disable", password=PASSWORD + "x")


def test_every_client_the_jobs_make_is_in_the_jobs_region_though_no_region_is_configured(
    aws_apis, bucket, two_versions
):
    uri, [(v1, _, _), _] = two_versions
    source.stage(uri, v1, f"s3://{bucket}/staging/ing-1")
    aws_apis.s3.put_object(Bucket=bucket, Key="in/x.csv.gz", Body=gzip.compress(V1))
    source.verify_compressed(f"s3://{bucket}/in/x.csv.gz", DAILYCHECKIN)
    storage.write_json(f"s3://{bucket}/r.json", {})
    storage.read_text(f"s3://{bucket}/r.json")
    storage.size(f"s3://{bucket}/staging")
    storage.list_names(f"s3://{bucket}/staging")
    aws_apis.s3.put_object(Bucket=bucket, Key="accepted/part-0.parquet", Body=accepted_parquet(SOURCE)[0])
    list(load.accepted_batches(f"s3://{bucket}/accepted", COLUMNS, SOURCE))
    secret = json.dumps({"username": "u", "password": "p", "host": "127.0.0.1"})
    db_secret = aws_apis.secrets.create_secret(Name=f"db-{uuid.uuid4().hex}", SecretString=secret)["ARN"]
    db.dsn(db_secret, "", "verify-full", f"s3://{bucket}/r.json")  # the secret, and the CA bundle from S3
    privacy.key(aws_apis.secrets.create_secret(Name=f"k-{uuid.uuid4().hex}", SecretString="k")["ARN"])
    with pytest.raises(Exception, match="ResourceNotFound"):
        runlog.record_metrics("no-such-table", "ing-1", "load", {})

    assert sorted(set(aws_apis.made)) == [
        ("dynamodb", aws_apis.region),
        ("pyarrow-s3", aws_apis.region),
        ("s3", aws_apis.region),
        ("secretsmanager", aws_apis.region),
    ]
    # One client per service per process, however many calls.
    assert sorted(kind for kind, _ in aws_apis.made) == ["dynamodb", "pyarrow-s3", "s3", "secretsmanager"]


def test_pyarrow_follows_the_s3_specific_endpoint_variable_over_the_general_one(aws_apis, bucket, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", aws_apis.endpoint)
    aws_apis.s3.put_object(Bucket=bucket, Key="accepted/part-0.parquet", Body=accepted_parquet(SOURCE)[0])
    rows = sum(n for n, _ in load.accepted_batches(f"s3://{bucket}/accepted", COLUMNS, SOURCE))
    assert rows == 2


def test_the_load_job_verifies_the_database_server_against_the_shipped_ca_bundle(aws_apis, bucket):
    secret = {"username": "loader", "password": PASSWORD, "host": "db.cluster.invalid", "dbname": "landing"}
    arn = aws_apis.secrets.create_secret(Name=f"db-{uuid.uuid4().hex}", SecretString=json.dumps(secret))["ARN"]
    bundle = "-----BEGIN CERTIFICATE-----\nnot a real one\n-----END CERTIFICATE-----\n"
    aws_apis.s3.put_object(Bucket=bucket, Key="glue/abc/rds-ca-bundle.pem", Body=bundle.encode())

    for mode in ("", "verify-full"):  # the template's mode; and the default when the argument is missing
        info = conninfo_to_dict(db.dsn(arn, "", mode, f"s3://{bucket}/glue/abc/rds-ca-bundle.pem"))
        assert (info["host"], info["sslmode"]) == ("db.cluster.invalid", "verify-full")
        assert Path(info["sslrootcert"]).read_text() == bundle
    with pytest.raises(db.DatabaseConfigError, match="--db_sslmode verify-full needs --db_sslrootcert"):
        db.dsn(arn, "", "verify-full", "")
    with pytest.raises(db.DatabaseConfigError, match="--db_sslmode must be one of verify-full, require, got 'prefer'"):
        db.dsn(arn, "", "prefer", "")


def test_an_unverified_database_connection_is_refused_outside_the_local_stack(aws_apis, monkeypatch):
    secret = {"username": "loader", "password": PASSWORD, "host": "db.cluster.invalid"}
    arn = aws_apis.secrets.create_secret(Name=f"db-{uuid.uuid4().hex}", SecretString=json.dumps(secret))["ARN"]
    monkeypatch.delenv("LANDING_ETL_LOCAL_STACK", raising=False)
    with pytest.raises(db.DatabaseConfigError, match="--db_sslmode require is refused outside the local stack"):
        db.dsn(arn, "attacker.example.com", "require")
    for set_by_other_means in ("true", "0", ""):
        monkeypatch.setenv("LANDING_ETL_LOCAL_STACK", set_by_other_means)
        with pytest.raises(db.DatabaseConfigError, match="refused outside the local stack"):
            db.dsn(arn, "", "require")
    monkeypatch.setenv("LANDING_ETL_LOCAL_STACK", "1")
    assert conninfo_to_dict(db.dsn(arn, "", "require"))["sslmode"] == "require"
