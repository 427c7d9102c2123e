"""transform: source CSV → typed rows with the raw values and lineage, ready for the quality checks."""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from .contract import Contract
from .timestamps import parse_timestamp


class HeaderMismatch(ValueError):
    pass


def read_source(spark: SparkSession, path: str) -> DataFrame:
    """Every value as a string, exactly as written (quoted fields, CRLF and gzip handled by the CSV reader)."""
    return (
        spark.read.option("header", True)
        .option("multiLine", True)
        .option("encoding", "UTF-8")
        .option("mode", "PERMISSIVE")
        .csv(path)
    )


def check_header(df: DataFrame, contract: Contract) -> None:
    found = [c.strip().lstrip("\ufeff") for c in df.columns]
    missing = [c for c in contract.source_columns if c not in found]
    if missing:
        unexpected = [c for c in found if c not in contract.source_columns]
        raise HeaderMismatch(
            f"header is missing column(s) {missing}; unexpected column(s) {unexpected}; "
            f"expected {contract.source_columns}"
        )


def with_source_line(df: DataFrame) -> DataFrame:
    """1-based line of each record in the file (the header is line 1), stable across partitions: row ids are
    consecutive within a partition, so each partition's offset is the count of the partitions before it."""
    df = df.withColumn("_pid", F.spark_partition_id()).withColumn("_mid", F.monotonically_increasing_id())
    counts = df.groupBy("_pid").agg(F.count("*").alias("_n"), F.min("_mid").alias("_first"))
    offsets = counts.withColumn(
        "_offset",
        F.coalesce(F.sum("_n").over(Window.orderBy("_pid").rowsBetween(Window.unboundedPreceding, -1)), F.lit(0)),
    )
    return (
        df.join(F.broadcast(offsets.select("_pid", "_offset", "_first")), "_pid")
        .withColumn("source_line", (F.col("_mid") - F.col("_first") + F.col("_offset") + 2).cast("int"))
        .drop("_pid", "_mid", "_first", "_offset")
    )


def typed(df: DataFrame, contract: Contract) -> DataFrame:
    """Trims every value, keeps it as `<column>_raw`, and adds the typed `<target>` column (NULL when it does not parse)."""
    df = df.toDF(*[c.strip().lstrip("\ufeff") for c in df.columns])
    out = []
    for c in contract.columns:
        raw = F.trim(F.col(f"`{c.name}`"))
        out.append(raw.alias(f"{c.name}_raw"))
        if c.type == "timestamp":
            out.append(parse_timestamp(raw, c.formats).alias(c.target))
        elif c.type == "decimal":
            out.append(F.when(raw.rlike(r"^[+-]?(\d+\.?\d*|\.\d+)$"), raw.cast("decimal(18,6)")).alias(c.target))
        else:
            out.append(F.when(raw != "", raw).alias(c.target))
    return df.select(*out, "source_line")


def with_lineage(df: DataFrame, ingestion_id: str, source_uri: str, source_version: str) -> DataFrame:
    return (
        df.withColumn("ingestion_id", F.lit(ingestion_id))
        .withColumn("source_object", F.lit(source_uri))
        .withColumn("source_version", F.lit(source_version or None).cast("string"))
    )
