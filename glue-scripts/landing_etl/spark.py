"""The SparkSession: Glue provides the cluster; locally a small local[*] session with the same semantics."""

from __future__ import annotations

import os

from pyspark.sql import SparkSession


def session(app_name: str) -> SparkSession:
    builder = SparkSession.builder.appName(app_name)
    master = os.environ.get("LANDING_ETL_SPARK_MASTER")
    if master:
        # Local runs (the local stack, the tests) are small and short: no UI, few shuffle partitions (2 cores), a
        # bounded heap. On Glue the variable is unset and Glue's own cluster settings apply.
        builder = (
            builder.master(master)
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.default.parallelism", "2")
            .config("spark.driver.memory", os.environ.get("LANDING_ETL_SPARK_MEMORY", "1536m"))
            # Tight free ratios: the full GC a warm driver runs when it goes idle (local/glue_worker.py) hands the
            # unused heap back to the system, so the drivers of the other jobs (one per job locally) do not each hold
            # the peak of their last run. LANDING_ETL_SPARK_JAVA_OPTIONS adds options (the tests run C1 only, for
            # their small files: test/support/local-stack.ts, tests/conftest.py).
            .config(
                "spark.driver.extraJavaOptions",
                " ".join(
                    ["-XX:+UseG1GC -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=20"]
                    + os.environ.get("LANDING_ETL_SPARK_JAVA_OPTIONS", "").split()
                ),
            )
            .config("spark.sql.adaptive.enabled", "true")
            .config("spark.sql.sources.parallelPartitionDiscovery.threshold", "1000")
        )
    spark = (
        builder.config("spark.sql.session.timeZone", "UTC")
        # Unparseable timestamps become NULL (and a reported rule failure) instead of an exception.
        .config("spark.sql.legacy.timeParserPolicy", "CORRECTED")
        .config("spark.sql.ansi.enabled", "false")
        # UTC-adjusted microsecond timestamps, which every Parquet reader (the load's pyarrow too) reads as UTC.
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("WARN")
    return spark
