"""The SparkSession: Glue provides the cluster; locally a small local[*] session with the same semantics."""

from __future__ import annotations

import os

from pyspark.sql import SparkSession


def session(app_name: str) -> SparkSession:
    builder = SparkSession.builder.appName(app_name)
    if os.environ.get("LANDING_ETL_LOCAL_S3"):
        builder = (
            builder.master(os.environ.get("LANDING_ETL_SPARK_MASTER", "local[*]"))
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.driver.memory", os.environ.get("LANDING_ETL_SPARK_MEMORY", "2g"))
            .config("spark.sql.adaptive.enabled", "true")
        )
    spark = (
        builder.config("spark.sql.session.timeZone", "UTC")
        # Unparseable timestamps become NULL (and a reported rule failure) instead of an exception.
        .config("spark.sql.legacy.timeParserPolicy", "CORRECTED")
        .config("spark.sql.ansi.enabled", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("WARN")
    return spark
