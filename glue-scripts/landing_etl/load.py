"""load: accepted rows → the serving table, replacing whatever an earlier ingestion of the same source object loaded.

One transaction does it all: lock the source object, check that no newer version of it is already loaded, delete
the object's earlier rows, stream the accepted Parquet into the table with COPY, and record the load in
`source_loads`. A failure anywhere rolls the whole swap back, so the table is exactly as it was; re-running does the
same swap again, so a row is never loaded twice.

The earlier rows are found through the id range `source_loads` recorded for the object (the target table's identity
`id`, bracketed by two nextval calls around the COPY): the primary key serves the delete, so the table needs no
source_object index, which would cost every load a third more index maintenance.

Ordering: S3 version ids are not ordered. The S3 event of each version carries a `sequencer`, which orders the
events of one key: "the event notification with the greater sequencer hexadecimal value is the event that occurred
later"; sequencers "can be of different lengths", so the shorter is right-padded with zeros before a lexicographic
comparison (Amazon S3 User Guide, *Event message structure*). The executor carries it through the run
(`--source_sequencer`) and `source_loads` records it. Two versions that both have one are ordered by it, which
holds within the same second and for a multipart upload, whose LastModified is when it was started; otherwise
(a load recorded before sequencers were carried, a retry of such an ingestion) by the version's LastModified
(transform and load read it from S3; locally the file's mtime), with equal times falling back to "the later load
wins". A load whose version is older than the one already loaded for the object changes nothing and reports
`supersededBy`.

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


@dataclass(frozen=True)
class Version:
    """When a version of the source object was written: its LastModified and its S3 event's sequencer, if known."""

    modified: datetime
    sequencer: str | None = None

    def is_newer_than(self, other: Version) -> bool:
        if self.sequencer and other.sequencer:
            width = max(len(self.sequencer), len(other.sequencer))
            return self.sequencer.upper().ljust(width, "0") > other.sequencer.upper().ljust(width, "0")
        return self.modified > other.modified


def swap(
    conn: psycopg.Connection,
    table: str,
    columns: list[str],
    chunks: Iterator[tuple[int, bytes]],
    ingestion_id: str,
    source_object: str,
    source_version: str | None,
    version: Version,
) -> LoadResult:
    """Replaces the source object's rows in `table` by the chunks' rows, in one transaction (see the module doc)."""
    columns = columns + LINEAGE
    target = sql.Identifier(table)
    with conn.transaction():
        conn.execute("SET LOCAL TimeZone = 'UTC'")
        # Serialises loads of the same object (a redrive racing a newer version); other objects load in parallel.
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (source_object,))
        current = conn.execute(
            """SELECT ingestion_id, source_modified, source_sequencer, first_id, last_id
               FROM source_loads WHERE source_object = %s""",
            (source_object,),
        ).fetchone()
        if current and current[0] != ingestion_id and Version(current[1], current[2]).is_newer_than(version):
            return LoadResult(rows_in=0, rows_out=0, replaced=0, superseded_by=current[0])
        replaced = 0
        if current:
            replaced = conn.execute(
                sql.SQL("DELETE FROM {} WHERE id BETWEEN %s AND %s AND source_object = %s").format(target),
                (current[3], current[4], source_object),
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
                 (source_object, ingestion_id, source_version, source_modified, source_sequencer, target_table,
                  row_count, first_id, last_id)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
               ON CONFLICT (source_object) DO UPDATE SET ingestion_id = excluded.ingestion_id,
                 source_version = excluded.source_version, source_modified = excluded.source_modified,
                 source_sequencer = excluded.source_sequencer, target_table = excluded.target_table,
                 row_count = excluded.row_count, first_id = excluded.first_id, last_id = excluded.last_id,
                 loaded_at = now()""",
            (
                source_object,
                ingestion_id,
                source_version,
                version.modified,
                version.sequencer,
                table,
                rows_out,
                first_id,
                last_id,
            ),
        )
    return LoadResult(rows_in=rows_in, rows_out=rows_out, replaced=replaced)
