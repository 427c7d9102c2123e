"""Applies migrations/NNN_*.sql in order, each once, in its own transaction, under an advisory lock so that
concurrent loads (or the local stack starting) never apply one twice. Run as `python -m landing_etl.migrations DIR`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import psycopg

_LOCK = 7_262_001


def apply(conn: psycopg.Connection, directory: str) -> list[str]:
    applied = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
        for path in sorted(Path(directory).glob("*.sql")):
            if path.stem in done:
                continue
            conn.execute(path.read_text(encoding="utf-8"))
            conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (path.stem,))
            applied.append(path.stem)
    return applied


if __name__ == "__main__":
    with psycopg.connect(os.environ["DATABASE_URL"]) as connection:
        for version in apply(connection, sys.argv[1]):
            print(f"applied migration {version}")
