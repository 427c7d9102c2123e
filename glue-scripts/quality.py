"""Glue job: test (data quality). Splits the transformed rows into accepted and rejected rows, writes the quality
report, records the metrics, then applies the quality gate."""

import sys
import time

from landing_etl import aws, contract, quality, runlog, storage
from landing_etl.jobargs import resolve_args
from landing_etl.joberror import bounded_errors
from landing_etl.spark import session

ARGS = ["ingestion_id", "dataset", "staging_uri", "quality_mode", "run_log_table", "datasets_uri", "aws_region"]


@bounded_errors
def main(argv: list[str]) -> None:
    args = resolve_args(argv, ARGS, optional=("attempt",))
    aws.use_region(args["aws_region"])
    started = time.time()
    spec = contract.load(args["datasets_uri"], args["dataset"])
    mode = quality.mode_for(args["quality_mode"], spec)
    spark = session(f"test-{args['ingestion_id']}")
    staged_uri = storage.join(args["staging_uri"], "transformed")
    staged = spark.read.parquet(storage.resolve(staged_uri))

    def location(name):
        return storage.resolve(storage.join(args["staging_uri"], name))

    counts, examples = quality.split(staged, spec, location)
    report = quality.report(counts, spec, examples, mode)
    storage.write_json(
        storage.join(args["staging_uri"], "quality-report.json"), {"ingestionId": args["ingestion_id"], **report}
    )
    runlog.record_metrics(
        args["run_log_table"],
        args["ingestion_id"],
        "test",
        {
            "rowsIn": counts.rows,
            "rowsOut": counts.accepted,
            "rejected": counts.rejected,
            "duplicates": counts.duplicates,
            "rejectedByRule": {name: n for name, n in counts.failed_by_rule.items() if n},
            "bytesRead": storage.size(staged_uri),
            "partitions": staged.rdd.getNumPartitions(),
            "mode": mode,
            "rejectedUri": storage.join(args["staging_uri"], "rejected"),
            "reportUri": storage.join(args["staging_uri"], "quality-report.json"),
            "seconds": round(time.time() - started, 2),
        },
        attempt=runlog.attempt_of(args["attempt"]),
    )
    quality.gate(counts, spec, mode)


if __name__ == "__main__":
    main(sys.argv[1:])
