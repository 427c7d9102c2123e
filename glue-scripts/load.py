"""Glue job: load. Applies migrations, then swaps the accepted rows of the source object into the serving table."""

import os
import sys
import time

import psycopg

from landing_etl import contract, db, load, migrations, runlog, storage
from landing_etl.jobargs import resolve_args
from landing_etl.spark import session

ARGS = ["ingestion_id", "dataset", "source_uri", "staging_uri", "run_log_table", "datasets_uri", "db_secret_arn"]
MIGRATIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "migrations")


def main(argv: list[str]) -> None:
    args = resolve_args(argv, ARGS)
    started = time.time()
    spec = contract.load(args["datasets_uri"], args["dataset"])
    dsn = db.dsn(args["db_secret_arn"])
    with psycopg.connect(dsn) as conn:
        migrations.apply(conn, MIGRATIONS)
    spark = session(f"load-{args['ingestion_id']}")
    accepted = spark.read.parquet(storage.resolve(storage.join(args["staging_uri"], "accepted")))
    loaded = load.load(
        accepted, dsn, spec.table, [c.target for c in spec.columns], args["ingestion_id"], args["source_uri"]
    )
    runlog.record_metrics(
        args["run_log_table"],
        args["ingestion_id"],
        "load",
        {"rowsOut": loaded, "table": spec.table, "seconds": round(time.time() - started, 2)},
    )


if __name__ == "__main__":
    main(sys.argv[1:])
