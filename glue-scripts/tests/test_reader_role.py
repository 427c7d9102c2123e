"""The query API's database role, as the load's migration step keeps it: it reads every serving table, present and
future, and can change nothing, on a real PostgreSQL."""

import uuid

import psycopg
import pytest
from psycopg import errors, sql
from psycopg.conninfo import make_conninfo

from landing_etl import migrations

from .conftest import REPO

MIGRATIONS = f"file://{REPO / 'migrations'}"
WRITES = [
    "INSERT INTO daily_checkins (username, project, hours, ts, ingestion_id, source_object, source_line) "
    "VALUES ('x', 'p', 1, now(), 'i', 'o', 2)",
    "UPDATE daily_checkins SET hours = 2",
    "DELETE FROM daily_checkins",
    "TRUNCATE daily_checkins",
    "CREATE TABLE reader_made (x int)",
]


@pytest.fixture
def reader(db):
    """A reader role name (dropped afterwards with whatever was granted to it) and a table the test creates later."""
    name = f"reader_{uuid.uuid4().hex[:8]}"
    yield name
    db.rollback()
    db.execute("DROP TABLE IF EXISTS later_dataset")
    if db.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone():
        db.execute(sql.SQL("DROP OWNED BY {role}; DROP ROLE {role}").format(role=sql.Identifier(name)))
    db.commit()


def password_checked(db, name: str) -> None:
    """The test server checks the passwords of password_checked's members only (conftest.py)."""
    if not db.execute("SELECT 1 FROM pg_roles WHERE rolname = 'password_checked'").fetchone():
        db.execute("CREATE ROLE password_checked NOLOGIN")
    db.execute(sql.SQL("GRANT password_checked TO {}").format(sql.Identifier(name)))
    db.commit()


def connect_as(database_url: str, name: str, password: str) -> psycopg.Connection:
    return psycopg.connect(make_conninfo(database_url, user=name, password=password), autocommit=True)


def test_the_reader_selects_every_serving_table_and_every_write_is_refused(database_url, db, reader):
    migrations.apply(db, MIGRATIONS, migrations.Reader(reader, "first/p@ss: 'é'"))
    db.execute("CREATE TABLE later_dataset (x int)")  # as the load creates a new dataset's table, after the grants
    db.execute("INSERT INTO later_dataset VALUES (1)")
    password_checked(db, reader)

    with connect_as(database_url, reader, "first/p@ss: 'é'") as conn:
        assert conn.execute("SELECT current_user, current_setting('default_transaction_read_only')").fetchone() == (
            reader,
            "on",
        )
        assert conn.execute("SELECT count(*) FROM daily_checkins").fetchone() == (0,)
        assert conn.execute("SELECT x FROM later_dataset").fetchone() == (1,)
        for statement in WRITES:
            with pytest.raises(errors.ReadOnlySqlTransaction):  # read-only by default…
                conn.execute(statement)
            with pytest.raises(errors.InsufficientPrivilege), conn.transaction():  # …and without the privilege anyway
                conn.execute("SET TRANSACTION READ WRITE")
                conn.execute(statement)


def test_applying_again_keeps_one_reader_and_takes_its_new_password(database_url, db, reader):
    migrations.apply(db, MIGRATIONS, migrations.Reader(reader, "old-password"))
    migrations.apply(db, MIGRATIONS, migrations.Reader(reader, "rotated-password"))
    password_checked(db, reader)
    assert db.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", (reader,)).fetchone() == (1,)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        connect_as(database_url, reader, "old-password")
    with connect_as(database_url, reader, "rotated-password") as conn:
        assert conn.execute("SELECT count(*) FROM daily_checkins").fetchone() == (0,)
    assert "rotated-password" not in repr(migrations.Reader(reader, "rotated-password"))  # nor in a traceback
