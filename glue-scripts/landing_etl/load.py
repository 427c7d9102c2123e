"""load: accepted rows → the serving table, replacing whatever an earlier ingestion of the same source object loaded.

One transaction does it all: lock the source object, check that no newer version of it is already loaded, delete
the object's earlier rows, stream the accepted Parquet into the table with COPY, and record the load in
`source_loads`. A failure anywhere rolls the whole swap back, so the table is exactly as it was; re-running does the
same swap again, so a row is never loaded twice.

The earlier rows are found through the id range `source_loads` recorded for the object (the target table's identity
`id`, bracketed by two nextval calls around the COPY): the primary key serves the delete, so the table needs no
source_object index, which would cost every load a third more index maintenance.

Ordering: S3 version ids are not ordered, so two versions of one object are ordered by the version's LastModified
(transform and load read it from S3; locally the file's mtime). A load whose version is older than the one already
loaded for the object changes nothing and reports `supersededBy`. Equal times (two uploads in the same second)
fall back to "the later load wins".

Why no Spark here: PostgreSQL ingests through one writer, and one COPY stream fed by pyarrow reaches the server's
COPY speed. The rows stream batch by batch (never the whole file in memory), and skipping the JVM saves ~6 s."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlparse

import psycopg
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.dataset as pads
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

from . import aws, storage

LINEAGE = ["ingestion_id", "source_object", "source_version", "source_line"]
_BATCH_ROWS = 65_536


class LoadFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class LoadResult:
    rows_in: int
    rows_out: int
    replaced: int
    superseded_by: str | None = None


def accepted_batches(uri: str, columns: list[str], source_object: str) -> Iterator[tuple[int, bytes]]:
    """The accepted rows as CSV chunks ready for COPY, read batch by batch from the staged Parquet. Every row must
    come from `source_object`: the swap deletes by it, so a row of another object would never be replaced."""
    path = storage.local_path(uri)
    if path is not None:
        dataset = pads.dataset(path, format="parquet")
    else:
        parsed = urlparse(uri)
        dataset = pads.dataset(
            f"{parsed.netloc}/{parsed.path.lstrip('/')}", format="parquet", filesystem=aws.s3_filesystem()
        )
    missing = [c for c in columns if c not in dataset.schema.names]
    if missing:
        raise LoadFailed(
            f"accepted rows at {uri} lack column(s) {missing}; is the contract the one the test stage used?"
        )
    options = pacsv.WriteOptions(include_header=False)
    for batch in dataset.to_batches(columns=columns, batch_size=_BATCH_ROWS):
        if batch.num_rows:
            found = pc.unique(batch.column("source_object")).to_pylist()
            if found != [source_object]:
                raise LoadFailed(f"accepted rows at {uri} come from {found}, not from {source_object}")
            out = io.BytesIO()
            pacsv.write_csv(batch, out, options)
            yield batch.num_rows, out.getvalue()


def swap(
    conn: psycopg.Connection,
    table: str,
    columns: list[str],
    chunks: Iterator[tuple[int, bytes]],
    ingestion_id: str,
    source_object: str,
    source_version: str | None,
    source_modified: datetime,
) -> LoadResult:
    """Replaces the source object's rows in `table` by the chunks' rows, in one transaction (see the module doc)."""
    columns = columns + LINEAGE
    target = sql.Identifier(table)
    with conn.transaction():
        conn.execute("SET LOCAL TimeZone = 'UTC'")
        # Serialises loads of the same object (a redrive racing a newer version); other objects load in parallel.
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (source_object,))
        current = conn.execute(
            "SELECT ingestion_id, source_modified, first_id, last_id FROM source_loads WHERE source_object = %s",
            (source_object,),
        ).fetchone()
        if current and current[0] != ingestion_id and current[1] > source_modified:
            return LoadResult(rows_in=0, rows_out=0, replaced=0, superseded_by=current[0])
        replaced = 0
        if current:
            replaced = conn.execute(
                sql.SQL("DELETE FROM {} WHERE id BETWEEN %s AND %s AND source_object = %s").format(target),
                (current[2], current[3], source_object),
            ).rowcount
        ids = sql.SQL("SELECT nextval(pg_get_serial_sequence({}, 'id'))").format(sql.Literal(table))
        first_id = conn.execute(ids).fetchone()[0]
        rows_in = 0
        with conn.cursor() as cur:
            statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
                target, sql.SQL(", ").join(map(sql.Identifier, columns))
            )
            # The queued writer sends to the server from its own thread while pyarrow converts the next batch.
            with cur.copy(statement, writer=QueuedLibpqWriter(cur)) as copy:
                for n, chunk in chunks:
                    rows_in += n
                    copy.write(chunk)
            rows_out = cur.rowcount
        last_id = conn.execute(ids).fetchone()[0]
        conn.execute(
            """INSERT INTO source_loads
                 (source_object, ingestion_id, source_version, source_modified, target_table, row_count, first_id, last_id)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
               ON CONFLICT (source_object) DO UPDATE SET ingestion_id = excluded.ingestion_id,
                 source_version = excluded.source_version, source_modified = excluded.source_modified,
                 target_table = excluded.target_table, row_count = excluded.row_count,
                 first_id = excluded.first_id, last_id = excluded.last_id, loaded_at = now()""",
            (source_object, ingestion_id, source_version, source_modified, table, rows_out, first_id, last_id),
        )
    return LoadResult(rows_in=rows_in, rows_out=rows_out, replaced=replaced)
