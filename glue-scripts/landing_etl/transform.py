"""transform: source CSV → typed rows with the raw values, parse errors and lineage, ready for the quality checks."""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from .contract import Contract
from .typed_values import typed_value


class HeaderMismatch(ValueError):
    pass


def read_source(spark: SparkSession, path: str) -> DataFrame:
    """Every value as a string, exactly as written. The CSV reader handles a BOM, LF or CRLF, quoted fields (also
    spanning lines) and .gz by extension; multiLine keeps the whole file in one partition, in file order."""
    return (
        spark.read.option("header", True)
        .option("multiLine", True)
        .option("encoding", "UTF-8")
        .option("escape", '"')
        .option("mode", "PERMISSIVE")
        .csv(path)
    )


def header(df: DataFrame) -> list[str]:
    return [c.strip().lstrip("\ufeff") for c in df.columns]


def check_header(df: DataFrame, contract: Contract) -> None:
    found = header(df)
    missing = [c for c in contract.source_columns if c not in found]
    if missing:
        unexpected = [c for c in found if c not in contract.source_columns]
        raise HeaderMismatch(
            f"header is missing column(s) {missing}; unexpected column(s) {unexpected}; "
            f"expected {contract.source_columns}"
        )


def with_source_line(df: DataFrame) -> DataFrame:
    """`source_line`: the 1-based line of the file where each record starts (the header is line 1), counting the line
    breaks inside quoted fields of earlier records. The CSV reader skips blank lines, so they are not counted.

    multiLine reading keeps a file in one partition in file order, so monotonically_increasing_id is the record
    index; the running sum of embedded line breaks is a window over that index."""
    breaks = sum(
        (
            F.coalesce(F.length(F.col(f"`{c}`")) - F.length(F.regexp_replace(F.col(f"`{c}`"), "\n", "")), F.lit(0))
            for c in df.columns
        ),
        F.lit(0),
    )
    before = Window.orderBy("_record").rowsBetween(Window.unboundedPreceding, -1)
    return (
        df.withColumn("_record", F.monotonically_increasing_id())
        .withColumn("_breaks", breaks)
        .withColumn(
            "source_line", (F.col("_record") + 2 + F.coalesce(F.sum("_breaks").over(before), F.lit(0))).cast("int")
        )
        .drop("_record", "_breaks")
    )


def typed(df: DataFrame, contract: Contract) -> DataFrame:
    """Per contract column: `<key>_raw` as written, `<key>` typed from the (trimmed) value, `<key>_error` for typed
    columns. An empty value is NULL, so `required` sees it."""
    df = df.toDF(*header(df))
    out = []
    for c in contract.columns:
        raw = F.col(f"`{c.name}`")
        value = F.trim(raw) if c.trim else raw
        value = F.when(value != "", value)
        parsed, error = typed_value(c, value)
        out += [raw.alias(f"{c.key}_raw"), parsed.alias(c.key)]
        if error is not None:
            out.append(error.alias(f"{c.key}_error"))
    return df.select(*out, "source_line")


def with_lineage(df: DataFrame, ingestion_id: str, source_uri: str, source_version: str | None) -> DataFrame:
    return (
        df.withColumn("ingestion_id", F.lit(ingestion_id))
        .withColumn("source_object", F.lit(source_uri))
        .withColumn("source_version", F.lit(source_version).cast("string"))
    )
