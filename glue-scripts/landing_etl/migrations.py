"""Applies migrations (NNN_*.sql, from a folder, file:// or s3://) in order, each once, in one transaction under an
advisory lock, so that concurrent loads (or the local stack starting) never apply one twice.
Run as `python -m landing_etl.migrations DIR_OR_URI`."""

from __future__ import annotations

import os
import re
import sys

import psycopg

from . import storage

_LOCK = 7_262_001
_NAME = re.compile(r"^\d{3}_[\w-]+\.sql$")


class MigrationError(RuntimeError):
    pass


def apply(conn: psycopg.Connection, uri: str) -> list[str]:
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
    return applied


if __name__ == "__main__":
    with psycopg.connect(os.environ["DATABASE_URL"]) as connection:
        for applied_version in apply(connection, sys.argv[1]):
            print(f"applied migration {applied_version}")
