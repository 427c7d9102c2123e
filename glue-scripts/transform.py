"""Glue job: transform. Reads the landed CSV, types it by the dataset contract, writes Parquet to staging."""

import sys
import time

from landing_etl import contract, runlog, storage, transform
from landing_etl.jobargs import resolve_args
from landing_etl.spark import session

ARGS = ["ingestion_id", "dataset", "source_uri", "source_version", "staging_uri", "run_log_table", "datasets_uri"]


def main(argv: list[str]) -> None:
    args = resolve_args(argv, ARGS)
    started = time.time()
    spec = contract.load(args["datasets_uri"], args["dataset"])
    spark = session(f"transform-{args['ingestion_id']}")
    source = transform.read_source(spark, storage.resolve(args["source_uri"]))
    transform.check_header(source, spec)
    rows = transform.with_lineage(
        transform.typed(transform.with_source_line(source), spec),
        args["ingestion_id"],
        args["source_uri"],
        args["source_version"],
    )
    out = storage.resolve(storage.join(args["staging_uri"], "transformed"))
    rows.write.mode("overwrite").parquet(out)
    written = spark.read.parquet(out).count()
    runlog.record_metrics(
        args["run_log_table"],
        args["ingestion_id"],
        "transform",
        {"rowsIn": written, "rowsOut": written, "seconds": round(time.time() - started, 2)},
    )


if __name__ == "__main__":
    main(sys.argv[1:])
