"""test: evaluates the contract's rules on the transformed rows, drops duplicates, splits accepted from rejected rows,
reports per rule and applies the quality gate (hard/soft mode, max_reject_ratio, min_rows, `fail` rules).

A privacy column never reaches staging in clear: transform evaluates its rules on the clear value (`shield`), keeps
the outcomes as flags, then hashes, masks or drops it; the test stage reads the flags. Reports and rejected rows show
each value as written (text: a refused value may have no type), privacy applied."""

from __future__ import annotations

import operator
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import reduce

from pyspark.sql import Column as SparkColumn
from pyspark.sql import DataFrame, Observation, Window
from pyspark.sql import functions as F

from .contract import MODES, Column, Contract, Rule
from .privacy import protected

LINEAGE = ["ingestion_id", "source_object", "source_version", "source_line"]
REJECTING = ("quarantine", "fail")
EXAMPLES = 3
# A report example shows at most this many characters of its value, then how many were cut (docs/limits.md): a
# report stays far below what the API may return (Lambda's 6 MB response) whatever the file holds.
EXAMPLE_CHARS = 200


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
    return protected(df.select("*", *flags), {n: c for c in private for n in (f"{c.key}_raw", c.key)}, secret)


def _checks(contract: Contract) -> list[tuple[Column, Rule, SparkColumn]]:
    """Each rule, in the contract's order, with its column and its condition: true when the row fails it."""
    return [(c, rule, _failed(rule, c)) for c in contract.columns for rule in c.rules]


def _any(conditions: list[SparkColumn]) -> SparkColumn:
    return reduce(operator.or_, conditions, F.lit(False))


def failures(contract: Contract) -> SparkColumn:
    """One struct per rule the row fails: rule, column, severity, value as written (privacy columns as staged: hashed,
    masked or absent), reason. An array of structs per row is costly: queries build it only on the rows they keep
    (the rejected rows, the report's examples), never on the accepted rows."""
    found = [
        F.when(
            failed,
            F.struct(
                F.lit(rule.name).alias("rule"),
                F.lit(c.name).alias("column"),
                F.lit(rule.on_fail).alias("severity"),
                F.col(f"{c.key}_raw").alias("value"),
                _describe(rule, c).alias("reason"),
            ),
        )
        for c, rule, failed in _checks(contract)
    ]
    if not found:
        return F.from_json(
            F.lit("[]"), "array<struct<rule:string,column:string,severity:string,value:string,reason:string>>"
        )
    return F.filter(F.array(*found), lambda x: x.isNotNull())


def evaluate(df: DataFrame, contract: Contract) -> DataFrame:
    """Adds `rejected`: a quarantine or fail rule failed."""
    return df.withColumn(
        "rejected", _any([failed for _, rule, failed in _checks(contract) if rule.on_fail in REJECTING])
    )


# Above this many repeated dedup keys the keys are joined back by a shuffle rather than broadcast to every task.
BROADCAST_KEYS = 1_000_000
_KEYS = "_dedup{}"


def repeated_keys(df: DataFrame, contract: Contract) -> DataFrame | None:
    """The dedup keys found on more than one accepted line, with their first line and how many lines have the key;
    cached (the caller unpersists).

    A shuffle of the key columns only, partially aggregated in each task, and a handful of rows in a daily file.
    Joined back to the rows (`mark_duplicates`), the rows stay in the tasks that read them: a window over the rows
    shuffled every row with all its columns. NULL keys compare equal, as GROUP BY's do. None without dedup columns."""
    if not contract.dedup:
        return None
    return (
        df.filter(~F.col("rejected"))
        .groupBy(*[F.col(c).alias(_KEYS.format(i)) for i, c in enumerate(contract.dedup)])
        .agg(F.min("source_line").alias("_first"), F.count("*").alias("_lines"))
        .filter(F.col("_lines") > 1)
        .cache()
    )


def mark_duplicates(df: DataFrame, contract: Contract, repeated: DataFrame | None) -> DataFrame:
    """`duplicate`: an accepted row equal on the dedup columns (typed, trimmed values) to an earlier accepted line;
    `repeated` is `repeated_keys` of the same rows."""
    if repeated is None:
        return df.withColumn("duplicate", F.lit(False))
    if repeated.count() <= BROADCAST_KEYS:
        repeated = F.broadcast(repeated)
    keys = [_KEYS.format(i) for i in range(len(contract.dedup))]
    same_key = [df[c].eqNullSafe(repeated[k]) for c, k in zip(contract.dedup, keys, strict=True)]
    later = F.col("_first").isNotNull() & (F.col("source_line") != F.col("_first"))
    return (
        df.join(repeated, same_key, "left")
        .withColumn("duplicate", ~F.col("rejected") & later)
        .drop(*keys, "_first", "_lines")
    )


def duplicates(repeated: DataFrame | None) -> int:
    """How many accepted lines repeat an earlier one: every line of a repeated key but its first."""
    return 0 if repeated is None else repeated.agg(F.sum(F.col("_lines") - 1)).first()[0] or 0


def load_order(contract: Contract) -> list[SparkColumn]:
    """The leading columns of the serving table's first index that the accepted rows carry, in its directions.

    The load COPYs the accepted files one after the other, so rows sorted within each file reach the index as a few
    sorted runs: each insert lands next to the last, on a page already in memory, instead of anywhere in the tree.
    A plain COPY of 985,550 rows into the dailycheckin table (indexed on username, ts DESC, id DESC) took 8.4 s in
    line order, 4.1 s sorted and 4.5 s as two sorted runs, on 2 cores (docs/performance.md).
    Spark orders text by its bytes, the database by its collation: the runs may differ from the index's order on
    case and accents, and stay local. NULLs go where PostgreSQL's B-tree puts them (last ascending, first
    descending)."""
    if not contract.indexes:
        return []
    order = []
    for part in contract.indexes[0]:
        name, _, direction = part.partition(" ")
        if name not in (*[c.key for c in contract.loaded_columns], *LINEAGE):
            break
        order.append(F.col(name).desc_nulls_first() if direction == "DESC" else F.col(name).asc_nulls_last())
    return order


def accepted(checked: DataFrame, contract: Contract) -> DataFrame:
    """The rows to load: typed target columns (privacy applied in transform), plus lineage; each task's rows in the
    serving table's index order (`load_order`), sorted where they are, without a shuffle."""
    rows = checked.filter(~F.col("rejected") & ~F.col("duplicate"))
    rows = rows.select(*[c.key for c in contract.loaded_columns], *LINEAGE)
    order = load_order(contract)
    return rows.sortWithinPartitions(*order) if order else rows


def rejected(checked: DataFrame, contract: Contract) -> DataFrame:
    """The refused rows: every value as written (privacy applied), why, and where they came from."""
    rows = checked.filter(F.col("rejected"))
    raw = [F.col(f"{c.key}_raw").alias(c.name) for c in contract.loaded_columns]
    return rows.select(*raw, failures(contract).alias("failures"), *LINEAGE)


@dataclass(frozen=True)
class Counts:
    rows: int
    rejected: int
    duplicates: int
    failed_by_rule: dict[str, int]

    @property
    def accepted(self) -> int:
        return self.rows - self.rejected - self.duplicates


def _number_of(rows_where: SparkColumn) -> SparkColumn:
    return F.sum(F.when(rows_where, 1).otherwise(0))


def _counting(contract: Contract) -> list[SparkColumn]:
    """Every count but the duplicates as one aggregate expression each, over the evaluated rows."""
    per_rule = [_number_of(failed).alias(f"r{i}") for i, (_, _, failed) in enumerate(_checks(contract))]
    return [F.count("*").alias("rows"), _number_of(F.col("rejected")).alias("rejected"), *per_rule]


def _counts(row, contract: Contract, duplicates: int) -> Counts:
    return Counts(
        rows=row["rows"],
        rejected=row["rejected"] or 0,
        duplicates=duplicates,
        failed_by_rule={r.name: row[f"r{i}"] or 0 for i, r in enumerate(contract.rules)},
    )


def count(checked: DataFrame, contract: Contract) -> Counts:
    """Every count in one aggregation over the checked rows."""
    row = checked.agg(*_counting(contract), _number_of(F.col("duplicate")).alias("dups")).first()
    return _counts(row, contract, row["dups"] or 0)


def _earliest(failed: DataFrame) -> dict[str, list[dict]]:
    """Up to EXAMPLES failures per rule, the earliest lines, from rows of (source_line, f: a failure struct). Each task
    keeps its own earliest EXAMPLES per rule (a window per rule and task, not per rule: one rule failing on every row
    would otherwise put all rows in one task), and the driver picks the earliest of those."""
    each = failed.withColumn("task", F.spark_partition_id())
    first = Window.partitionBy("f.rule", "task").orderBy("source_line")
    picked = each.withColumn("n", F.row_number().over(first)).filter(F.col("n") <= EXAMPLES)
    out: dict[str, list[dict]] = {}
    for r in sorted(picked.select("f.rule", "source_line", _shortened("f.value"), "f.reason").collect()):
        found = out.setdefault(r["rule"], [])
        if len(found) < EXAMPLES:
            found.append({"line": r["source_line"], "value": r["value"], "reason": r["reason"]})
    return out


def _shortened(name: str) -> SparkColumn:
    """The value cut to EXAMPLE_CHARS characters in the task, so no longer value reaches the driver."""
    value, extra = F.col(name), F.length(name) - EXAMPLE_CHARS
    cut = F.concat(F.substring(value, 1, EXAMPLE_CHARS), F.lit("… ("), extra.cast("string"), F.lit(" more characters)"))
    return F.when(extra > 0, cut).otherwise(value).alias("value")


def examples(checked: DataFrame, contract: Contract) -> dict[str, list[dict]]:
    """Up to EXAMPLES failures per rule (the earliest lines) over all the checked rows: report material."""
    failing = checked.filter(_any([failed for _, _, failed in _checks(contract)]))
    return _earliest(failing.select("source_line", F.explode(failures(contract)).alias("f")))


def _report_examples(
    evaluated: DataFrame, written_rejected: DataFrame, counts: Counts, contract: Contract
) -> dict[str, list[dict]]:
    """The report's examples without a pass over every row when no `warn` rule failed: then the failing rows are
    exactly the rejected rows, whose failures the rejected output already holds (a small read: the rows refused)."""
    if any(counts.failed_by_rule[r.name] for r in contract.rules if r.on_fail not in REJECTING):
        return examples(evaluated, contract)
    if not counts.rejected:
        return {}
    return _earliest(written_rejected.select("source_line", F.explode("failures").alias("f")))


def _written(rows: DataFrame, path: str) -> DataFrame:
    """`rows` written as Parquet to `path` (replacing an earlier attempt's), and read back from there."""
    rows.write.mode("overwrite").parquet(path)
    return rows.sparkSession.read.parquet(path)


def split(
    staged: DataFrame, contract: Contract, location: Callable[[str], str]
) -> tuple[Counts, dict[str, list[dict]]]:
    """The test stage's work: writes the rejected and the accepted rows as Parquet to `location("rejected")` and
    `location("accepted")`, and returns the counts and the report's examples.

    Only the repeated dedup keys are cached: each pass reads the staged Parquet again and evaluates the rules, which
    is cheaper than caching the checked rows (1M rows: caching them cost 5-6 s of a 10 s stage). Only the accepted
    rows are joined with the repeated keys; the duplicates are counted from the keys. The other counts are observed
    while the rejected rows are written, over every row before the filter; the examples come from the rejected rows
    written unless a `warn` rule failed."""
    evaluated = evaluate(staged, contract)
    repeated = repeated_keys(evaluated, contract)
    try:
        # A name of its own: an Observation takes the metrics of the first query in the session that observes its
        # name, and a warm driver runs job runs side by side in one session.
        observed = Observation(f"counts-{uuid.uuid4().hex}")
        refused = rejected(evaluated.observe(observed, *_counting(contract)), contract)
        written_rejected = _written(refused, location("rejected"))
        _written(accepted(mark_duplicates(evaluated, contract, repeated), contract), location("accepted"))
        counts = _counts(observed.get, contract, duplicates(repeated))
        return counts, _report_examples(evaluated, written_rejected, counts, contract)
    finally:
        if repeated is not None:
            repeated.unpersist()  # a warm driver (Glue's, the local stack's) runs many jobs: free the cache with the run


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
