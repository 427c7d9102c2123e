"""Quoted fields of any length and any number of fields: the split read finds the lines that leave a quoted field
open in time linear in the line, in Spark and in the driver's Python alike, exactly as the CSV grammar says."""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyspark.sql import functions as F

from landing_etl import transform

from .pipeline import transformed, write_csv

HEADER = "user,timestamp,hours,project\n"
GOOD = "u{},2020-01-02 03:04:05 UTC,1,apollo\n"

# The grammar as regular expressions (backtracking: fine for the short lines of the property test, a stack overflow
# for a long quoted field): a field is quoted (a quote only opens it at its start; `""` inside is a quote; after the
# closing quote the value runs to the delimiter), unquoted (its quotes are literal) or empty.
_FIELD = r'(?:"(?:[^"]|"")*"(?!")[^,]*|[^",][^,]*|)'
_OPEN = r'"(?:[^"]|"")*$'
GRAMMAR = {
    False: re.compile(rf"^(?:{_FIELD},)*{_OPEN}"),  # read from outside quotes, the line ends inside one
    True: re.compile(rf'^(?:(?:[^"]|"")*$|(?:[^"]|"")*"(?!")[^,]*,(?:{_FIELD},)*{_OPEN})'),  # from inside
}

lines = st.text(alphabet='",a ', max_size=40) | st.text(alphabet='",', max_size=12)


@settings(max_examples=500)
@given(line=lines, inside=st.booleans())
def test_the_drivers_quote_state_is_the_csv_grammars(line, inside):
    assert transform.ends_inside(line, inside) == (GRAMMAR[inside].match(line) is not None)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(lines, min_size=20, max_size=60))
def test_the_spark_expression_and_the_drivers_function_agree_on_every_line(spark, batch):
    df = spark.createDataFrame([(line,) for line in batch], "value string")
    got = df.select(
        "value",
        transform.ends_inside_expr(F.col("value"), False).alias("out"),
        transform.ends_inside_expr(F.col("value"), True),
    ).collect()
    assert [(r[0], r[1], r[2]) for r in got] == [
        (line, transform.ends_inside(line, False), transform.ends_inside(line, True)) for line in batch
    ]


SIZES = {"1KB": 1024, "100KB": 100 * 1024, "10MB": 10 * 1024 * 1024}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("spanning", [False, True], ids=["one-line", "spanning-lines"])
def test_a_long_quoted_field_reads_exactly_in_the_split_and_the_multiline_read(spark, tmp_path, size, spanning):
    n = SIZES[size]
    value = ("x" * (n // 2) + "\n" + 'y "q", ' * 3 + "z" * (n // 2)) if spanning else ("x" * n)
    quoted = '"' + value.replace('"', '""') + '"'
    text = HEADER + GOOD.format(2) + f"u3,2020-01-02 03:04:05 UTC,1,{quoted}\n" + GOOD.format(4)
    path = write_csv(tmp_path, text)
    after = 5 if spanning else 4
    for multiline in (False, True):
        got = sorted(
            (r.source_line, r.username, r.project)
            for r in transform.read_source(spark, path, multiline)
            .records.withColumnRenamed("user", "username")
            .selectExpr("source_line", "username", "project")
            .collect()
        )
        assert got == [(2, "u2", "apollo"), (3, "u3", value), (after, "u4", "apollo")], multiline


def test_a_field_of_nothing_but_escaped_quotes_reads_as_its_quotes(spark, tmp_path):
    value = '"' * 200_000 + "\n" + '"' * 3
    text = HEADER + f'u2,2020-01-02 03:04:05 UTC,1,"{value.replace(chr(34), chr(34) * 2)}"\n' + GOOD.format(4)
    rows = sorted((r.source_line, r.project) for r in transformed(spark, write_csv(tmp_path, text)).collect())
    assert rows == [(2, value), (4, "apollo")]


def test_a_line_of_fifty_thousand_commas_in_and_out_of_quotes_reads_exactly(spark, tmp_path):
    commas = "," * 50_000
    text = (
        HEADER
        + f'u2,2020-01-02 03:04:05 UTC,1,"{commas}\n{commas}"\n'  # a quoted field of 100,000 commas over two lines
        + f'"u3",2020-01-02 03:04:05 UTC,1,"a"{commas}\n'  # 50,000 empty extra fields after a quoted one
        + GOOD.format(4)
    )
    rows = sorted(
        (r.source_line, r.username, r.project) for r in transformed(spark, write_csv(tmp_path, text)).collect()
    )
    assert rows == [(2, "u2", f"{commas}\n{commas}"), (4, "u3", "a"), (5, "u4", "apollo")]
