"""test: evaluates the contract's rules on the transformed rows, drops duplicates, splits accepted from rejected rows,
reports per rule and applies the quality gate (hard/soft mode, max_reject_ratio, min_rows, `fail` rules).

A privacy column never reaches staging in clear: transform evaluates its rules on the clear value (`shield`), keeps
the outcomes as flags, then hashes, masks or drops it; the test stage reads the flags. Reports and rejected rows show
each value as written (text: a refused value may have no type), privacy applied."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pyspark.sql import Column as SparkColumn
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from .contract import MODES, Column, Contract, Rule
from .privacy import protect

LINEAGE = ["ingestion_id", "source_object", "source_version", "source_line"]
REJECTING = ("quarantine", "fail")
EXAMPLES = 3


class QualityGateFailed(RuntimeError):
    pass


def _flag(rule: Rule, c: Column) -> str:
    return f"{c.key}__{rule.check}_failed"


def _failed(rule: Rule, c: Column) -> SparkColumn:
    """True when the row fails the rule (never NULL); for a privacy column, what transform found on the clear value."""
    if c.privacy:
        return F.col(_flag(rule, c))
    return _failed_in_clear(rule, c)


def _failed_in_clear(rule: Rule, c: Column) -> SparkColumn:
    typed, raw = F.col(c.key), F.col(f"{c.key}_raw")
    if rule.check == "required":
        value = F.trim(raw) if c.trim else raw
        failed = value.isNull() | (value == "")
    elif rule.check == "format":
        failed = F.col(f"{c.key}_error").isNotNull()
    elif rule.check == "range":
        failed = F.lit(False)
        for bound, op in (
            (rule.min, typed.__lt__),
            (rule.min_exclusive, typed.__le__),
            (rule.max, typed.__gt__),
            (rule.max_exclusive, typed.__ge__),
        ):
            if bound is not None:
                failed = failed | op(F.lit(bound))
    elif rule.check == "encoding":
        failed = raw.contains("\ufffd")
    elif rule.check == "pattern":
        failed = ~typed.cast("string").rlike(f"^(?:{rule.regex})$")
    else:  # allowed
        failed = ~typed.cast("string").isin(list(rule.values))
    return F.coalesce(failed, F.lit(False))


def _describe(rule: Rule, c: Column) -> SparkColumn:
    """Why the value failed, in words a data engineer can act on."""
    if rule.check == "required":
        return F.lit("value is missing or empty")
    if rule.check == "format":
        return F.col(f"{c.key}_error")
    if rule.check == "range":
        bounds = [
            f"{label} {bound.isoformat() if isinstance(bound, date) else f'{bound:g}'}"
            for label, bound in (
                (">=", rule.min),
                (">", rule.min_exclusive),
                ("<=", rule.max),
                ("<", rule.max_exclusive),
            )
            if bound is not None
        ]
        return F.lit(f"value must be {' and '.join(bounds)}")
    if rule.check == "encoding":
        return F.lit("value is not valid UTF-8: is the file in another encoding?")
    if rule.check == "pattern":
        return F.lit(f"value does not match the pattern {rule.regex}")
    return F.lit(f"value is not one of {list(rule.values)}")


def shield(df: DataFrame, contract: Contract, secret: bytes | None) -> DataFrame:
    """transform's last step: each privacy column's rules evaluated on the clear value (flags the test stage reads),
    then its value as written and its typed value hashed, masked or dropped (NULL)."""
    private = [c for c in contract.columns if c.privacy]
    flags = [_failed_in_clear(rule, c).alias(_flag(rule, c)) for c in private for rule in c.rules]
    df = df.select("*", *flags)
    for c in private:
        for name in (f"{c.key}_raw", c.key):
            df = df.withColumn(name, protect(c, F.col(name), secret))
    return df


def evaluate(df: DataFrame, contract: Contract) -> DataFrame:
    """Adds `failures` (one struct per failed rule: rule, column, severity, value as written, reason) and `rejected`
    (a quarantine or fail rule failed). Values of privacy columns are as staged: hashed, masked or absent."""
    failures = []
    for c in contract.columns:
        value = F.col(f"{c.key}_raw")
        for rule in c.rules:
            failures.append(
                F.when(
                    _failed(rule, c),
                    F.struct(
                        F.lit(rule.name).alias("rule"),
                        F.lit(c.name).alias("column"),
                        F.lit(rule.on_fail).alias("severity"),
                        value.alias("value"),
                        _describe(rule, c).alias("reason"),
                    ),
                )
            )
    if not failures:
        empty = "array<struct<rule:string,column:string,severity:string,value:string,reason:string>>"
        return df.withColumn("failures", F.from_json(F.lit("[]"), empty)).withColumn("rejected", F.lit(False))
    with_failures = df.withColumn("failures", F.filter(F.array(*failures), lambda x: x.isNotNull()))
    return with_failures.withColumn("rejected", F.exists("failures", lambda f: f["severity"].isin(*REJECTING)))


def mark_duplicates(df: DataFrame, contract: Contract) -> DataFrame:
    """`duplicate`: an accepted row equal on the dedup columns (typed, trimmed values) to an earlier line."""
    if not contract.dedup:
        return df.withColumn("duplicate", F.lit(False))
    first = Window.partitionBy("rejected", *contract.dedup).orderBy("source_line")
    return df.withColumn("duplicate", ~F.col("rejected") & (F.row_number().over(first) > 1))


def accepted(checked: DataFrame, contract: Contract) -> DataFrame:
    """The rows to load: typed target columns (privacy applied in transform), plus lineage."""
    rows = checked.filter(~F.col("rejected") & ~F.col("duplicate"))
    return rows.select(*[c.key for c in contract.loaded_columns], *LINEAGE)


def rejected(checked: DataFrame, contract: Contract) -> DataFrame:
    """The refused rows: every value as written (privacy applied), why, and where they came from."""
    rows = checked.filter(F.col("rejected"))
    return rows.select(*[F.col(f"{c.key}_raw").alias(c.name) for c in contract.loaded_columns], "failures", *LINEAGE)


@dataclass(frozen=True)
class Counts:
    rows: int
    rejected: int
    duplicates: int
    failed_by_rule: dict[str, int]

    @property
    def accepted(self) -> int:
        return self.rows - self.rejected - self.duplicates


def count(checked: DataFrame, contract: Contract) -> Counts:
    """Every count in one aggregation over the checked rows."""

    def flag(cond: SparkColumn) -> SparkColumn:
        return F.sum(F.when(cond, 1).otherwise(0))

    def has_failed(rule: str) -> SparkColumn:
        return F.exists("failures", lambda f: f["rule"] == rule)

    per_rule = [flag(has_failed(r.name)).alias(f"r{i}") for i, r in enumerate(contract.rules)]
    row = checked.agg(
        F.count("*").alias("rows"),
        flag(F.col("rejected")).alias("rejected"),
        flag(F.col("duplicate")).alias("dups"),
        *per_rule,
    ).first()
    return Counts(
        rows=row["rows"],
        rejected=row["rejected"] or 0,
        duplicates=row["dups"] or 0,
        failed_by_rule={r.name: row[f"r{i}"] or 0 for i, r in enumerate(contract.rules)},
    )


def examples(checked: DataFrame) -> dict[str, list[dict]]:
    """Up to EXAMPLES failures per rule (the earliest lines): report material, a handful of rows at most. Each task
    keeps its own earliest EXAMPLES per rule (a window per rule and task, not per rule: one rule failing on every
    row would otherwise put all rows in one task), and the driver picks the earliest of those."""
    failures = checked.filter(F.size("failures") > 0).select(
        "source_line", F.explode("failures").alias("f"), F.spark_partition_id().alias("task")
    )
    first = Window.partitionBy("f.rule", "task").orderBy("source_line")
    picked = failures.withColumn("n", F.row_number().over(first)).filter(F.col("n") <= EXAMPLES)
    out: dict[str, list[dict]] = {}
    for r in sorted(picked.select("f.rule", "source_line", "f.value", "f.reason").collect()):
        found = out.setdefault(r["rule"], [])
        if len(found) < EXAMPLES:
            found.append({"line": r["source_line"], "value": r["value"], "reason": r["reason"]})
    return out


def split(staged: DataFrame, contract: Contract, write) -> tuple[Counts, dict[str, list[dict]]]:
    """The test stage's work: checks the staged rows once (cached), hands the rejected and the accepted rows to
    `write(name, rows)`, and returns the counts and the report's examples."""
    checked = mark_duplicates(evaluate(staged, contract), contract).cache()
    try:
        write("rejected", rejected(checked, contract))
        write("accepted", accepted(checked, contract))
        return count(checked, contract), examples(checked)
    finally:
        checked.unpersist()  # a warm driver (Glue's, the local stack's) runs many jobs: free the cache with the run


def report(counts: Counts, contract: Contract, found: dict[str, list[dict]], mode: str) -> dict:
    return {
        "dataset": contract.name,
        "mode": mode,
        "rowsIn": counts.rows,
        "accepted": counts.accepted,
        "rejected": counts.rejected,
        "duplicates": counts.duplicates,
        "rules": [
            {
                "rule": r.name,
                "severity": r.on_fail,
                "checked": counts.rows,
                "failed": counts.failed_by_rule[r.name],
                "examples": found.get(r.name, []),
            }
            for r in contract.rules
        ],
    }


def mode_for(requested: str, contract: Contract) -> str:
    """The quality mode a run applies: the deployment's QUALITY_MODE (the state machine passes it as --quality_mode)
    overrides the contract's; anything else (none set, an execution input without one) falls back to the contract."""
    return requested if requested in MODES else contract.mode


def gate(counts: Counts, contract: Contract, mode: str) -> None:
    """Raises QualityGateFailed naming the rule(s) and counts when the run must stop."""
    by_rule = {
        r.name: counts.failed_by_rule.get(r.name, 0) for r in contract.rules if counts.failed_by_rule.get(r.name)
    }
    detail = ", ".join(f"{name}: {n}" for name, n in by_rule.items()) or "no rule failures"
    fatal = [f"{r.name} ({by_rule[r.name]} rows)" for r in contract.rules if r.on_fail == "fail" and r.name in by_rule]
    if fatal:
        raise QualityGateFailed(f"rule(s) with on_fail=fail failed: {', '.join(fatal)}; {counts.rows} rows checked")
    if mode == "hard" and counts.rejected:
        raise QualityGateFailed(f"hard mode: {counts.rejected} of {counts.rows} rows rejected ({detail})")
    if counts.rows and counts.rejected / counts.rows > contract.max_reject_ratio:
        raise QualityGateFailed(
            f"{counts.rejected} of {counts.rows} rows rejected ({counts.rejected / counts.rows:.1%}), above "
            f"max_reject_ratio {contract.max_reject_ratio:.1%} ({detail})"
        )
    if counts.accepted < contract.min_rows:
        raise QualityGateFailed(
            f"{counts.accepted} rows accepted, fewer than min_rows {contract.min_rows} "
            f"({counts.rows} rows in, {counts.rejected} rejected, {counts.duplicates} duplicates)"
        )
