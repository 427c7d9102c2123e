from datetime import datetime

import pytest
from pyspark.sql import functions as F

from landing_etl.timestamps import RUSSIAN_MONTHS, parse_timestamp

ALL = ("iso_utc", "us_12h", "ru_day_month_year")


def parse(spark, values):
    df = spark.createDataFrame([(v,) for v in values], "v string")
    out = df.select(parse_timestamp(F.col("v"), ALL).alias("ts"))
    assert out.schema["ts"].dataType.typeName() == "timestamp"
    return [r.ts for r in out.collect()]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2018-11-26 14:47:36 UTC", datetime(2018, 11, 26, 14, 47, 36)),
        ("2018-11-26 14:47:36.0 UTC", datetime(2018, 11, 26, 14, 47, 36)),
        ("2018-11-26 14:47:36.0429 UTC", datetime(2018, 11, 26, 14, 47, 36, 42900)),
        ("2018-11-26 14:47:36.123456 UTC", datetime(2018, 11, 26, 14, 47, 36, 123456)),
        ("11/20/2018 12:29 PM", datetime(2018, 11, 20, 12, 29)),
        ("11/20/2018 12:29 AM", datetime(2018, 11, 20, 0, 29)),
        ("1/2/2018 1:05 pm", datetime(2018, 1, 2, 13, 5)),
        ("26 сентября 2019 00:00", datetime(2019, 9, 26, 0, 0)),
    ],
)
def test_parses_each_family_to_utc(spark, raw, expected):
    assert parse(spark, [raw]) == [expected]


def test_parses_every_russian_month_name(spark):
    values = [f"1 {m} 2020 10:00" for m in RUSSIAN_MONTHS]
    assert parse(spark, values) == [datetime(2020, i + 1, 1, 10, 0) for i in range(12)]


@pytest.mark.parametrize(
    "raw",
    [
        "2018-02-30 10:00:00 UTC",
        "2018-11-26 25:00:00 UTC",
        "2018-11-26 14:47:36.1234567 UTC",
        "13/01/2018 10:00 AM",
        "1 сентябрь 2019 00:00",
        "yesterday",
        "",
    ],
)
def test_leaves_unparseable_values_null(spark, raw):
    assert parse(spark, [raw]) == [None]
