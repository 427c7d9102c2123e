from datetime import datetime

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pyspark.sql import functions as F

from landing_etl.contract import Format
from landing_etl.timestamps import RUSSIAN_MONTHS, parse_timestamp

ALL = tuple(Format(preset=p) for p in ("iso_utc", "us_12h", "ru_day_month_year"))

# Each test parses all its cases in one Spark job: one job per case would cost a second each.


def parse(spark, values):
    df = spark.createDataFrame([(i, v) for i, v in enumerate(values)], "i int, v string")
    out = df.select("i", parse_timestamp(F.col("v"), ALL)[0].alias("ts"))
    assert out.schema["ts"].dataType.typeName() == "timestamp"
    return [r.ts for r in out.orderBy("i").collect()]


def check(spark, cases: dict[str, datetime | None]):
    assert dict(zip(cases, parse(spark, list(cases)), strict=True)) == cases


def test_parses_each_family_to_utc(spark):
    check(
        spark,
        {
            "2018-11-26 14:47:36.0429 UTC": datetime(2018, 11, 26, 14, 47, 36, 42900),
            "11/20/2018 12:29 PM": datetime(2018, 11, 20, 12, 29),
            "1/2/2018 1:05 pm": datetime(2018, 1, 2, 13, 5),
            "26 сентября 2019 00:00": datetime(2019, 9, 26, 0, 0),
            "5 января 2020 9:30": datetime(2020, 1, 5, 9, 30),
        },
    )


def test_parses_iso_utc_with_every_fraction_length_from_0_to_6(spark):
    cases = {"2018-11-26 14:47:36 UTC": datetime(2018, 11, 26, 14, 47, 36)}
    for digits in range(1, 7):
        fraction = "123456"[:digits]
        cases[f"2018-11-26 14:47:36.{fraction} UTC"] = datetime(2018, 11, 26, 14, 47, 36, int(fraction.ljust(6, "0")))
    cases["2018-11-26 14:47:36.0 UTC"] = datetime(2018, 11, 26, 14, 47, 36)
    cases["2018-11-26 14:47:36.000001 UTC"] = datetime(2018, 11, 26, 14, 47, 36, 1)
    check(spark, cases)


def test_parses_12_hour_clock_edges(spark):
    check(
        spark,
        {
            "11/20/2018 12:00 AM": datetime(2018, 11, 20, 0, 0),
            "11/20/2018 12:59 AM": datetime(2018, 11, 20, 0, 59),
            "11/20/2018 01:00 AM": datetime(2018, 11, 20, 1, 0),
            "11/20/2018 11:59 AM": datetime(2018, 11, 20, 11, 59),
            "11/20/2018 12:00 PM": datetime(2018, 11, 20, 12, 0),
            "11/20/2018 12:59 PM": datetime(2018, 11, 20, 12, 59),
            "11/20/2018 01:00 PM": datetime(2018, 11, 20, 13, 0),
            "12/31/2018 11:59 PM": datetime(2018, 12, 31, 23, 59),
        },
    )


def test_parses_every_russian_month_name_in_any_case(spark):
    cases = {f"1 {m} 2020 10:00": datetime(2020, i + 1, 1, 10, 0) for i, m in enumerate(RUSSIAN_MONTHS)}
    cases |= {f"28 {m.upper()} 2021 23:59": datetime(2021, i + 1, 28, 23, 59) for i, m in enumerate(RUSSIAN_MONTHS)}
    check(spark, cases)


def test_leaves_unparseable_values_null(spark):
    bad = [
        "2018-02-30 10:00:00 UTC",
        "2018-11-26 25:00:00 UTC",
        "2018-11-26 14:47:36.1234567 UTC",
        "2018-11-26 14:47:36 CET",
        "2018-11-26T14:47:36Z",
        "13/01/2018 10:00 AM",
        "11/20/2018 13:00 PM",
        "11/20/2018 00:30 AM",
        "11/20/2018 10:00",
        "1 сентябрь 2019 00:00",
        "31 февраля 2019 10:00",
        "26 сентября 2019 24:00",
        "26 September 2019 00:00",
        "yesterday",
        "",
    ]
    check(spark, dict.fromkeys(bad))


# Property: any instant, written in any family's accepted spellings, parses back to itself. One example is a batch of
# instants parsed in one Spark job, and there are few examples: each Spark job costs about a second.
instants = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59, 999999))


@st.composite
def written(draw):
    """An instant and one way a file may write it, with the instant that spelling stands for."""
    t = draw(instants)
    family = draw(st.sampled_from(ALL)).preset
    pad = draw(st.booleans())  # optional leading zeros where the family allows them
    if family == "iso_utc":
        digits = draw(st.integers(0, 6))
        t = t.replace(microsecond=t.microsecond - t.microsecond % 10 ** (6 - digits))
        fraction = f".{t.microsecond:06d}"[: digits + 1] if digits else ""
        return f"{t.year:04d}-{t.month:02d}-{t.day:02d} {t:%H:%M:%S}{fraction} UTC", t
    t = t.replace(second=0, microsecond=0)
    if family == "us_12h":
        hour = t.hour % 12 or 12
        noon = draw(st.sampled_from(["AM", "am", "Am"] if t.hour < 12 else ["PM", "pm", "pM"]))
        fmt = "{:02d}" if pad else "{}"
        return f"{fmt.format(t.month)}/{fmt.format(t.day)}/{t.year:04d} {fmt.format(hour)}:{t.minute:02d} {noon}", t
    month = RUSSIAN_MONTHS[t.month - 1]
    month = draw(st.sampled_from([month, month.capitalize(), month.upper()]))
    day, hour = (f"{t.day:02d}", f"{t.hour:02d}") if pad else (str(t.day), str(t.hour))
    return f"{day} {month} {t.year:04d} {hour}:{t.minute:02d}", t


# No shrinking: each step would be a Spark job (minutes); the failed batch's dict diff names the spellings that broke.
@settings(
    derandomize=True,
    max_examples=4,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)
@given(cases=st.lists(written(), min_size=30, max_size=60))
def test_any_instant_written_in_any_family_parses_back_to_itself(spark, cases):
    texts = [text for text, _ in cases]
    assert dict(zip(texts, parse(spark, texts), strict=True)) == dict(cases)
