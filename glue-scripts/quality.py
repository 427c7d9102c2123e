"""Glue job: test (data quality). Splits the transformed rows into accepted and rejected rows and reports why."""

import sys
import time

from pyspark.sql import functions as F

from landing_etl import contract, quality, runlog, storage
from landing_etl.jobargs import resolve_args
from landing_etl.spark import session

ARGS = ["ingestion_id", "dataset", "staging_uri", "quality_mode", "run_log_table", "datasets_uri"]


def main(argv: list[str]) -> None:
    args = resolve_args(argv, ARGS)
    started = time.time()
    spec = contract.load(args["datasets_uri"], args["dataset"])
    spark = session(f"test-{args['ingestion_id']}")
    staged = spark.read.parquet(storage.resolve(storage.join(args["staging_uri"], "transformed")))
    checked = quality.drop_duplicates(quality.evaluate(staged, spec), spec).cache()

    rejected = checked.filter(F.size("failures") > 0)
    accepted = checked.filter((F.size("failures") == 0) & ~F.col("is_duplicate"))
    rejected.write.mode("overwrite").parquet(storage.resolve(storage.join(args["staging_uri"], "rejected")))
    accepted.drop("failures", "is_duplicate").write.mode("overwrite").parquet(
        storage.resolve(storage.join(args["staging_uri"], "accepted"))
    )

    counts = checked.agg(
        F.count("*").alias("rows"),
        F.sum(F.when(F.size("failures") > 0, 1).otherwise(0)).alias("rejected"),
        F.sum(F.when((F.size("failures") == 0) & F.col("is_duplicate"), 1).otherwise(0)).alias("duplicates"),
    ).first()
    rows_in, rejected_n, duplicates = counts["rows"], counts["rejected"] or 0, counts["duplicates"] or 0
    accepted_n = rows_in - rejected_n - duplicates
    by_rule = {
        r["rule"]: r["n"]
        for r in rejected.select(F.explode("failures.rule").alias("rule"))
        .groupBy("rule")
        .agg(F.count("*").alias("n"))
        .collect()
    }
    report = {
        "ingestionId": args["ingestion_id"],
        "rowsIn": rows_in,
        "accepted": accepted_n,
        "rejected": rejected_n,
        "duplicates": duplicates,
        "rejectedByRule": by_rule,
    }
    storage.write_json(storage.join(args["staging_uri"], "quality-report.json"), report)
    runlog.record_metrics(
        args["run_log_table"], args["ingestion_id"], "test", {**report, "seconds": round(time.time() - started, 2)}
    )

    mode = args["quality_mode"] or spec.mode
    if mode == "hard" and rejected_n:
        raise quality.QualityGateFailed(f"hard mode: {rejected_n} of {rows_in} rows rejected {by_rule}")
    if rows_in and rejected_n / rows_in > spec.max_reject_ratio:
        raise quality.QualityGateFailed(
            f"{rejected_n} of {rows_in} rows rejected ({rejected_n / rows_in:.1%}), above max_reject_ratio "
            f"{spec.max_reject_ratio:.1%}: {by_rule}"
        )
    if accepted_n < spec.min_rows:
        raise quality.QualityGateFailed(f"{accepted_n} accepted rows, fewer than min_rows {spec.min_rows}")


if __name__ == "__main__":
    main(sys.argv[1:])
