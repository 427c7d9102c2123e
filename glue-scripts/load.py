"""Glue job: load. Applies migrations (and keeps the query API's read-only role), creates the dataset's table from
its contract when missing (or refuses one that does not match it), then swaps the accepted rows of the source object
into the serving table in one transaction. No SparkSession: with --load_connections 1 (the default) the rows stream
from the staged Parquet straight into COPY inside the swap's transaction; with more, they are first COPYed into an
unlogged staging table over that many connections, then moved into the serving table in the swap's transaction
(landing_etl/load.py has the measurements: here the direct COPY is the faster)."""

import sys
import time

import psycopg

from landing_etl import aws, contract, db, load, migrations, runlog, schema, source, storage
from landing_etl.jobargs import resolve_args
from landing_etl.joberror import bounded_errors

DEFAULT_CONNECTIONS = 1
ARGS = [
    "ingestion_id",
    "dataset",
    "source_uri",
    "source_version",
    "staging_uri",
    "run_log_table",
    "datasets_uri",
    "db_secret_arn",
    "migrations_uri",
    "aws_region",
]


@bounded_errors
def main(argv: list[str]) -> None:
    # --source_sequencer is optional: an execution started before it was passed may reach its load after a deploy.
    args = resolve_args(
        argv,
        ARGS,
        optional=(
            "db_host",
            "db_sslmode",
            "db_sslrootcert",
            "db_reader_secret_arn",
            "source_sequencer",
            "load_connections",
            "attempt",
        ),
    )
    aws.use_region(args["aws_region"])
    started = time.time()
    spec = contract.load(args["datasets_uri"], args["dataset"])
    version = source.version_or_none(args["source_version"])
    written = load.Version(
        source.describe(args["source_uri"], version).modified, source.sequencer_or_none(args["source_sequencer"])
    )
    accepted_uri = storage.join(args["staging_uri"], "accepted")
    columns = [c.key for c in spec.loaded_columns]
    dsn = db.dsn(args["db_secret_arn"], args["db_host"], args["db_sslmode"], args["db_sslrootcert"])
    # The query API's read-only role, when the stack created the database (an existing one's is the owner's to make).
    reader = None
    if args["db_reader_secret_arn"]:
        credentials = db.secret(args["db_reader_secret_arn"])
        reader = migrations.Reader(credentials["username"], credentials["password"])
    with psycopg.connect(dsn) as conn:
        migrations.apply(conn, args["migrations_uri"], reader)
        # Committed before staging: the staging table is created from the serving table's shape.
        schema.ensure(conn, spec)
    connections = args["load_connections"] or str(DEFAULT_CONNECTIONS)
    if not connections.isdigit() or int(connections) < 1:
        raise ValueError(f"--load_connections must be a positive integer, got {connections!r}")
    connections = int(connections)
    result = load.load(
        dsn, spec.table, columns, accepted_uri, args["ingestion_id"], args["source_uri"], version, written, connections
    )
    runlog.record_metrics(
        args["run_log_table"],
        args["ingestion_id"],
        "load",
        {
            "rowsIn": result.rows_in,
            "rowsOut": result.rows_out,
            "replaced": result.replaced,
            **({"supersededBy": result.superseded_by} if result.superseded_by else {}),
            "bytesRead": storage.size(accepted_uri),
            "table": spec.table,
            "connections": connections,
            "seconds": round(time.time() - started, 2),
        },
        attempt=runlog.attempt_of(args["attempt"]),
    )


if __name__ == "__main__":
    main(sys.argv[1:])
