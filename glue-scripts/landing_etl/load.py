"""load: accepted rows → the serving table, replacing whatever earlier ingestions of the same source object loaded.

Executors COPY their partitions into a per-ingestion staging table; one transaction on the driver then swaps the
rows in (delete the object's old rows, insert the new ones). A failure before or during the swap leaves the serving
table exactly as it was, and re-running the load does the same swap again: never a duplicate row."""

from __future__ import annotations

import hashlib

import psycopg
from psycopg import sql
from pyspark.sql import DataFrame

LINEAGE = ["ingestion_id", "source_object", "source_version", "source_line"]


def staging_table(ingestion_id: str) -> str:
    return "load_" + hashlib.sha256(ingestion_id.encode()).hexdigest()[:24]


def _copy_partition(dsn: str, table: str, columns: list[str]):
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )

    def copy(rows) -> None:
        with psycopg.connect(dsn) as conn, conn.cursor() as cur, cur.copy(statement) as out:
            for row in rows:
                out.write_row(row)

    return copy


def load(df: DataFrame, dsn: str, table: str, columns: list[str], ingestion_id: str, source_object: str) -> int:
    """Loads `columns` of df into `table`; returns the number of rows the table now holds for the source object."""
    columns = columns + LINEAGE
    staging = staging_table(ingestion_id)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(staging)))
        conn.execute(
            sql.SQL("CREATE UNLOGGED TABLE {} AS SELECT {} FROM {} WITH NO DATA").format(
                sql.Identifier(staging), sql.SQL(", ").join(map(sql.Identifier, columns)), sql.Identifier(table)
            )
        )
    df.select(*columns).foreachPartition(_copy_partition(dsn, staging, columns))
    with psycopg.connect(dsn) as conn, conn.transaction():
        # One swap at a time per source object, so two loads of it can never interleave.
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (source_object,))
        conn.execute(sql.SQL("DELETE FROM {} WHERE source_object = %s").format(sql.Identifier(table)), (source_object,))
        cols = sql.SQL(", ").join(map(sql.Identifier, columns))
        inserted = conn.execute(
            sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {}").format(
                sql.Identifier(table), cols, cols, sql.Identifier(staging)
            )
        ).rowcount
        conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(staging)))
    return inserted
