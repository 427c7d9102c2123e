"""A source value (text, trimmed, empty as NULL) → its contract type, with the reason when it does not parse.

Everything is a Spark column expression: the same code runs on every executor, no Python UDF. The reasons are the
format rule's: reports and rejected rows show them next to the value as written."""

from __future__ import annotations

from pyspark.sql import Column as SparkColumn
from pyspark.sql import functions as F

from .contract import Column
from .timestamps import parse_date, parse_timestamp

_DECIMAL = r"^[+-]?(\d+\.?\d*|\.\d+)$"
_INTEGER = r"^[+-]?\d{1,18}$"
# A decimal without declared precision and scale, as the check-in hours always were.
DEFAULT_DECIMAL = "decimal(18,6)"


def spark_type(c: Column) -> str:
    """The Spark type a column's typed value has in staging."""
    return {
        "timestamp": "timestamp",
        "date": "date",
        "boolean": "boolean",
        "integer": "bigint",
        "decimal": f"decimal({c.precision},{c.scale})" if c.precision is not None else DEFAULT_DECIMAL,
    }.get(c.type, "string")


def _decimal(c: Column, value: SparkColumn) -> tuple[SparkColumn, str]:
    if c.precision is None:
        return F.when(value.rlike(_DECIMAL), value.cast(DEFAULT_DECIMAL)), "a decimal number"
    # Digits that do not fit are refused, not rounded: 4.505 in a scale-2 column is a question for the sender.
    whole, fraction = c.precision - c.scale, c.scale
    fits = value.rlike(_DECIMAL) & value.rlike(rf"^[+-]?0*\d{{0,{whole}}}(\.\d{{0,{fraction}}})?$")
    return (
        F.when(fits, value.cast(spark_type(c))),
        f"a decimal number with at most {whole} digit(s) before the point and {fraction} after it",
    )


def _boolean(c: Column, value: SparkColumn) -> tuple[SparkColumn, str]:
    spelled = F.lower(value)
    parsed = F.when(spelled.isin(*c.true_values), F.lit(True)).when(spelled.isin(*c.false_values), F.lit(False))
    return parsed, f"a boolean: one of {list(c.true_values)} or {list(c.false_values)}"


def typed_value(c: Column, value: SparkColumn) -> tuple[SparkColumn, SparkColumn | None]:
    """The typed value (NULL when empty or unparseable) and, for a column that can be malformed, why a non-empty
    value did not parse."""
    present = value.isNotNull()
    labels = ", ".join(f.label for f in c.formats)
    problem = None
    if c.type == "timestamp":
        parsed, problem = parse_timestamp(value, c.formats)
        expected = f"a timestamp in one of the formats {labels}"
    elif c.type == "date":
        parsed, expected = parse_date(value, c.formats), f"a date in one of the formats {labels}"
    elif c.type == "boolean":
        parsed, expected = _boolean(c, value)
    elif c.type == "decimal":
        parsed, expected = _decimal(c, value)
    elif c.type == "integer":
        parsed, expected = F.when(value.rlike(_INTEGER), value.cast("long")), "an integer"
    elif c.max_length is not None:
        parsed = F.when(F.length(value) <= c.max_length, value)
        expected = f"a text of at most {c.max_length} characters"
    else:
        return value, None
    why = F.lit(f"not {expected}")
    # A timestamp's problem quotes the local time it read: never for a privacy column.
    if problem is not None and not c.privacy:
        why = F.coalesce(problem, why)
    return parsed, F.when(present & parsed.isNull(), why)
