"""test: evaluates the contract's rules on the transformed rows, splitting them into accepted and rejected rows."""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from .contract import Contract


class QualityGateFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class Rule:
    name: str
    column: str
    failed: F.Column


def rules(contract: Contract) -> list[Rule]:
    out = []
    for c in contract.columns:
        raw, typed = F.col(f"{c.name}_raw"), F.col(c.target)
        if c.required:
            out.append(Rule(f"{c.name}.required", c.name, raw.isNull() | (raw == "")))
        if c.type in ("timestamp", "decimal"):
            out.append(Rule(f"{c.name}.format", c.name, raw.isNotNull() & (raw != "") & typed.isNull()))
        if c.min_exclusive is not None:
            out.append(Rule(f"{c.name}.range", c.name, typed <= F.lit(c.min_exclusive)))
        if c.max is not None:
            out.append(Rule(f"{c.name}.range", c.name, typed > F.lit(c.max)))
    return out


def evaluate(df: DataFrame, contract: Contract) -> DataFrame:
    """Adds `failures`: one struct (rule, column, value) per failed rule, empty when the row passes."""
    failures = [
        F.when(
            r.failed,
            F.struct(
                F.lit(r.name).alias("rule"), F.lit(r.column).alias("column"), F.col(f"{r.column}_raw").alias("value")
            ),
        )
        for r in rules(contract)
    ]
    return df.withColumn("failures", F.filter(F.array(*failures), lambda x: x.isNotNull()))


def drop_duplicates(df: DataFrame, contract: Contract) -> DataFrame:
    """Marks exact duplicates (same typed values) after the first occurrence in the file."""
    keys = [c.target for c in contract.columns]
    first = Window.partitionBy(*keys).orderBy("source_line")
    return df.withColumn("is_duplicate", F.row_number().over(first) > 1)
