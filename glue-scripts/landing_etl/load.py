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

The test stage writes each file's accepted rows in the order of the table's first index (quality.load_order), so
the COPY inserts its index entries as a few sorted runs rather than at random: on 985,550 rows it halved the COPY.

One connection (the default) COPYs the accepted rows straight into the serving table inside the swap. With more
(`connections`, the database's connection budget for one load), the rows first go into an UNLOGGED staging table
of the ingestion, each connection COPYing its share of the Parquet row groups; the swap's transaction then moves
them into the serving table with one INSERT … SELECT, in the order of the table's first secondary index. That
insert, with its index maintenance, runs in the swap's one backend whatever the connections, which keeps the swap
atomic and bounds what staging can gain. Measured on 1M accepted rows on 2 idle cores (bench/results/pipeline.jsonl): one COPY
into the indexed table 5.8 s; staged over 1 connection 9.1 s (staging 2.6 s), over 2 connections 8.3 s; 10M rows:
one COPY 70.0 s, staged over 2 connections 102.2 s. A staging
table that a killed job leaves behind is replaced by the retry of that ingestion.

Why no Spark here: the rows stream from the Parquet files through pyarrow (never the whole file in memory) and the
database is the bottleneck, so the job is a driver with a few threads; skipping the JVM saves ~6 s."""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.dataset as pads
import pyarrow.parquet as pq
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


def _dataset(uri: str) -> pads.Dataset:
    path = storage.local_path(uri)
    if path is not None:
        return pads.dataset(path, format="parquet")
    bucket, key = storage.bucket_and_key(uri)
    return pads.dataset(f"{bucket}/{key}", format="parquet", filesystem=aws.s3_filesystem())


def _csv_chunks(
    fragments: list[pads.Fragment], uri: str, columns: list[str], source_object: str
) -> Iterator[tuple[int, bytes]]:
    options = pacsv.WriteOptions(include_header=False)
    for fragment in fragments:
        for batch in _batches(fragment, columns):
            if batch.num_rows:
                found = pc.unique(batch.column("source_object")).to_pylist()
                if found != [source_object]:
                    raise LoadFailed(f"accepted rows at {uri} come from {found}, not from {source_object}")
                out = io.BytesIO()
                pacsv.write_csv(batch, out, options)
                yield batch.num_rows, out.getvalue()


def _batches(fragment: pads.ParquetFileFragment, columns: list[str]) -> Iterator[pa.RecordBatch]:
    """The fragment's rows (a file, or some of its row groups), decoded one batch at a time. Fragment.to_batches
    decodes a whole row group first, and the test stage writes one per task: at 10M rows (2.5M-row row groups) the
    load then held 1.3 GB, and its reading alone 1.1 GB; reading this way holds 0.2 GB and is no slower."""
    with fragment.open() as file:
        groups = [g.id for g in fragment.row_groups]
        yield from pq.ParquetFile(file).iter_batches(batch_size=_BATCH_ROWS, columns=columns, row_groups=groups)


def _checked(uri: str, columns: list[str]) -> pads.Dataset:
    dataset = _dataset(uri)
    missing = [c for c in columns if c not in dataset.schema.names]
    if missing:
        raise LoadFailed(
            f"accepted rows at {uri} lack column(s) {missing}; is the contract the one the test stage used?"
        )
    return dataset


def accepted_batches(uri: str, columns: list[str], source_object: str) -> Iterator[tuple[int, bytes]]:
    """The accepted rows as CSV chunks ready for COPY, read batch by batch from the staged Parquet. Every row must
    come from `source_object`: the swap deletes by it, so a row of another object would never be replaced."""
    yield from _csv_chunks(list(_checked(uri, columns).get_fragments()), uri, columns, source_object)


@dataclass(frozen=True)
class Staged:
    """Rows COPYed into an unlogged staging table, ready for the swap."""

    table: str
    rows: int


def _staging_prefix(ingestion_id: str) -> str:
    return "load_" + hashlib.sha256(ingestion_id.encode()).hexdigest()[:20] + "_"


def stage(
    dsn: str, table: str, columns: list[str], uri: str, ingestion_id: str, source_object: str, connections: int
) -> Staged:
    """The accepted rows at `uri` COPYed into a fresh UNLOGGED table shaped like `table`'s loaded columns, over at
    most `connections` connections at once, each with its share of the Parquet row groups."""
    if connections < 1:
        raise LoadFailed(f"--load_connections must be at least 1, got {connections}")
    columns = columns + LINEAGE
    dataset = _checked(uri, columns)
    groups = [g for f in dataset.get_fragments() for g in f.split_by_row_group()]
    shares = [groups[i :: min(connections, len(groups))] for i in range(min(connections, len(groups)))] or [[]]
    # One table per job run: a retry racing a run of the same ingestion never writes into the other's table.
    staged = _staging_prefix(ingestion_id) + uuid.uuid4().hex[:16]
    names = sql.SQL(", ").join(map(sql.Identifier, columns))
    with psycopg.connect(dsn, autocommit=True) as conn:
        _drop_leftovers(conn, ingestion_id)
        conn.execute(
            sql.SQL("CREATE UNLOGGED TABLE {} AS SELECT {} FROM {} WITH NO DATA").format(
                sql.Identifier(staged), names, sql.Identifier(table)
            )
        )

    def copy_share(share: list[pads.Fragment]) -> int:
        with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor() as cur:
            statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(sql.Identifier(staged), names)
            # The queued writer sends to the server from its own thread while pyarrow converts the next batch.
            with cur.copy(statement, writer=QueuedLibpqWriter(cur)) as copy:
                for _, chunk in _csv_chunks(share, uri, columns, source_object):
                    copy.write(chunk)
            return cur.rowcount

    with ThreadPoolExecutor(len(shares)) as pool:
        rows = sum(pool.map(copy_share, shares))
    return Staged(staged, rows)


def _drop_leftovers(conn: psycopg.Connection, ingestion_id: str) -> None:
    """Drops the staging tables an earlier, killed run of the ingestion left; one still in use is left alone."""
    conn.execute("SET lock_timeout = '1s'")
    prefix = _staging_prefix(ingestion_id)
    for (name,) in conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND left(tablename, %s) = %s",
        (len(prefix), prefix),
    ).fetchall():
        try:
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(name)))
        except psycopg.errors.LockNotAvailable:
            pass
    conn.execute("RESET lock_timeout")


def drop_staged(dsn: str, staged: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(staged)))


def _index_order(conn: psycopg.Connection, table: str, columns: list[str]) -> sql.Composable:
    """ORDER BY the loaded columns that lead the table's first secondary B-tree index, in its directions."""
    keys = conn.execute(
        """SELECT a.attname, (i.indoption[k.n - 1] & 1) = 1
           FROM pg_index i
           CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
           WHERE i.indrelid = to_regclass(%s) AND NOT i.indisprimary
             AND i.indexrelid = (SELECT min(indexrelid) FROM pg_index WHERE indrelid = to_regclass(%s) AND NOT indisprimary)
           ORDER BY k.n""",
        (table, table),
    ).fetchall()
    order = []
    for name, descending in keys:
        if name not in columns:
            break
        order.append(sql.SQL("{} DESC" if descending else "{}").format(sql.Identifier(name)))
    return sql.SQL(" ORDER BY ") + sql.SQL(", ").join(order) if order else sql.SQL("")


def load(
    dsn: str,
    table: str,
    columns: list[str],
    uri: str,
    ingestion_id: str,
    source_object: str,
    source_version: str | None,
    version: Version,
    connections: int,
) -> LoadResult:
    """The accepted rows at `uri` swapped into `table`: one COPY inside the swap, or staged over `connections`."""
    if connections == 1:
        with psycopg.connect(dsn) as conn:
            rows = accepted_batches(uri, columns + LINEAGE, source_object)
            return swap(conn, table, columns, rows, ingestion_id, source_object, source_version, version)
    staged = stage(dsn, table, columns, uri, ingestion_id, source_object, connections)
    try:
        with psycopg.connect(dsn) as conn:
            return swap(conn, table, columns, staged, ingestion_id, source_object, source_version, version)
    finally:
        drop_staged(dsn, staged.table)


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
    rows: Iterator[tuple[int, bytes]] | Staged,
    ingestion_id: str,
    source_object: str,
    source_version: str | None,
    version: Version,
) -> LoadResult:
    """Replaces the source object's rows in `table` by `rows` (CSV chunks to COPY, or a staging table to move), in
    one transaction (see the module doc)."""
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
        names = sql.SQL(", ").join(map(sql.Identifier, columns))
        if isinstance(rows, Staged):
            # Sorting in memory rather than in temporary files: one load's share of the instance.
            conn.execute("SET LOCAL work_mem = '256MB'")
            rows_in = rows.rows
            rows_out = conn.execute(
                sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {}").format(
                    target, names, names, sql.Identifier(rows.table)
                )
                + _index_order(conn, table, columns)
            ).rowcount
        else:
            rows_in = 0
            with conn.cursor() as cur:
                statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(target, names)
                with cur.copy(statement, writer=QueuedLibpqWriter(cur)) as copy:
                    for n, chunk in rows:
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
