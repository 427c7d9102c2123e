"""Applies migrations (NNN_*.sql, from a folder, file:// or s3://) in order, each once, and creates or updates the
read-only role the query API connects as, in one transaction under an advisory lock, so that concurrent loads (or
the local stack starting) never apply one twice.
Run as `python -m landing_etl.migrations DIR_OR_URI`, with DATABASE_URL and, for the reader, DB_READER_USERNAME and
DB_READER_PASSWORD in the environment."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from . import storage

_LOCK = 7_262_001
_NAME = re.compile(r"^\d{3}_[\w-]+\.sql$")


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Reader:
    """The query API's database role, from its secret (RDS format)."""

    username: str
    password: str = field(repr=False)


# What the reader may do: connect, see the schema, read every table in it, present and future (the load creates a
# dataset's table from its contract, as the role these statements run as: the default privileges are that role's).
# Nothing that writes or creates; and read-only transactions by default besides.
_READER_GRANTS = (
    "ALTER ROLE {role} SET default_transaction_read_only = on",
    "GRANT CONNECT ON DATABASE {database} TO {role}",
    "GRANT USAGE ON SCHEMA public TO {role}",
    "GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {role}",
)


def _ensure_reader(conn: psycopg.Connection, reader: Reader) -> None:
    """Creates the reader or updates it in place (a new password after a rotation of its secret). The password goes
    to the server as the verifier libpq computes (SCRAM, or the server's password_encryption), never in clear: a
    statement the server logs shows no password."""
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (reader.username,)).fetchone()
    role = sql.Identifier(reader.username)
    verifier = conn.pgconn.encrypt_password(reader.password.encode(), reader.username.encode()).decode()
    login = (
        "ALTER ROLE {role} WITH LOGIN PASSWORD {verifier}" if exists else "CREATE ROLE {role} LOGIN PASSWORD {verifier}"
    )
    conn.execute(sql.SQL(login).format(role=role, verifier=sql.Literal(verifier)))
    database = sql.Identifier(conn.info.dbname)
    for grant in _READER_GRANTS:
        conn.execute(sql.SQL(grant).format(role=role, database=database))


def apply(conn: psycopg.Connection, uri: str, reader: Reader | None = None) -> list[str]:
    files = sorted(name for name in storage.list_names(uri) if _NAME.match(name))
    if not files:
        raise MigrationError(f"no migrations (NNN_name.sql) found at {uri}")
    applied = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
        for name in files:
            version = name.removesuffix(".sql")
            if version in done:
                continue
            try:
                conn.execute(storage.read_text(storage.join(uri, name)))
            except psycopg.Error as e:
                raise MigrationError(f"migration {name} failed: {e}") from e
            conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))
            applied.append(version)
        if reader is not None:
            _ensure_reader(conn, reader)
    return applied


if __name__ == "__main__":
    local_reader = (
        Reader(os.environ["DB_READER_USERNAME"], os.environ["DB_READER_PASSWORD"])
        if os.environ.get("DB_READER_USERNAME")
        else None
    )
    with psycopg.connect(os.environ["DATABASE_URL"]) as connection:
        for applied_version in apply(connection, sys.argv[1], local_reader):
            print(f"applied migration {applied_version}")
