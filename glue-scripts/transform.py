"""Glue job: transform. Reads exactly the landed object version, types it by the dataset contract, applies the
contract's privacy (hash, mask, drop), writes Parquet to the attempt's staging `transformed/` (replacing what an
earlier run of the same attempt wrote)."""

import sys
import time

from landing_etl import aws, contract, privacy, runlog, source, storage, transform
from landing_etl.jobargs import resolve_args
from landing_etl.joberror import bounded_errors
from landing_etl.spark import session

ARGS = [
    "ingestion_id",
    "dataset",
    "source_uri",
    "source_version",
    "staging_uri",
    "run_log_table",
    "datasets_uri",
    "aws_region",
]


@bounded_errors
def main(argv: list[str]) -> None:
    args = resolve_args(argv, ARGS, optional=("privacy_key_secret_arn", "attempt"))
    aws.use_region(args["aws_region"])
    started = time.time()
    spec = contract.load(args["datasets_uri"], args["dataset"])
    secret = privacy.key(args["privacy_key_secret_arn"]) if privacy.needs_key(spec) else None
    version = source.version_or_none(args["source_version"])
    obj = source.stage(args["source_uri"], version, args["staging_uri"])
    source.verify_compressed(obj.uri, spec)
    spark = session(f"transform-{args['ingestion_id']}")
    raw, rows = transform.transformed(
        spark, storage.resolve(obj.uri), spec, args["ingestion_id"], args["source_uri"], version, secret
    )
    out = storage.resolve(storage.join(args["staging_uri"], "transformed"))
    rows.write.mode("overwrite").parquet(out)
    written = spark.read.parquet(out).count()  # from the Parquet footers, not another pass over the CSV
    runlog.record_metrics(
        args["run_log_table"],
        args["ingestion_id"],
        "transform",
        {
            "rowsIn": written,
            "rowsOut": written,
            "bytesRead": obj.size,
            # How many tasks read the file: a .csv.gz is one (gzip cannot be split), then its records are spread.
            "partitions": raw.partitions,
            "splittable": raw.splittable,
            "multiline": raw.multiline,
            "sourceModified": obj.modified.isoformat(),
            "seconds": round(time.time() - started, 2),
        },
        attempt=runlog.attempt_of(args["attempt"]),
    )


if __name__ == "__main__":
    main(sys.argv[1:])
