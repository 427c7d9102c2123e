"""Every contract type parsed from text as the transform job parses it: the typed value, or the format failure's
reason. Each test parses all its cases in one Spark job."""

from datetime import UTC, date, datetime
from decimal import Decimal

from pyspark.sql import functions as F

from landing_etl import contract
from landing_etl.typed_values import typed_value


def column(**fields) -> contract.Column:
    spec = contract.parse(
        {"name": "d", "columns": [{"name": "v", "target": "v", **fields}], "target": {"table": "t"}}, "d.json"
    )
    return spec.columns[0]


def parse(spark, c: contract.Column, values: list[str | None]) -> dict:
    """value as written → (typed value, reason it failed or None)."""
    df = spark.createDataFrame([(i, v) for i, v in enumerate(values)], "i int, v string")
    parsed, error = typed_value(c, F.when(F.trim("v") != "", F.trim("v")))
    rows = df.select("i", parsed.alias("t"), (error if error is not None else F.lit(None)).alias("e")).collect()
    return {values[r.i]: (r.t, r.e) for r in rows}


def utc(*args) -> datetime:
    # Spark hands timestamps back in the session's zone (UTC) as naive datetimes.
    return datetime(*args, tzinfo=UTC).replace(tzinfo=None)


LONDON = column(type="timestamp", formats=[{"pattern": "dd/MM/yyyy HH:mm", "zone": "Europe/London"}])


def test_a_pattern_in_a_zone_reads_local_time_on_either_side_of_daylight_saving(spark):
    assert parse(spark, LONDON, ["25/08/2021 09:00", "25/01/2021 09:00", "28/03/2021 00:59", "28/03/2021 02:00"]) == {
        "25/08/2021 09:00": (utc(2021, 8, 25, 8, 0), None),  # BST, UTC+1
        "25/01/2021 09:00": (utc(2021, 1, 25, 9, 0), None),  # GMT
        "28/03/2021 00:59": (utc(2021, 3, 28, 0, 59), None),  # the minute before the clocks go forward
        "28/03/2021 02:00": (utc(2021, 3, 28, 1, 0), None),  # the first minute after
    }


def test_a_local_time_the_clocks_skipped_or_repeated_is_a_format_failure_naming_the_zone_not_a_guess(spark):
    out = parse(spark, LONDON, ["28/03/2021 01:30", "31/10/2021 01:30", "31/10/2021 00:59", "31/10/2021 02:00"])
    assert out == {
        "28/03/2021 01:30": (
            None,
            "2021-03-28 01:30:00 did not happen in Europe/London (the clocks went forward)",
        ),
        "31/10/2021 01:30": (
            None,
            "2021-10-31 01:30:00 happened twice in Europe/London (the clocks went back): which one is not said",
        ),
        "31/10/2021 00:59": (utc(2021, 10, 30, 23, 59), None),
        "31/10/2021 02:00": (utc(2021, 10, 31, 2, 0), None),
    }


def test_formats_are_tried_in_order_across_zones_presets_epochs_and_a_written_offset(spark):
    c = column(
        type="timestamp",
        formats=[
            {"preset": "us_12h", "zone": "America/New_York"},
            {"pattern": "yyyy-MM-dd'T'HH:mm:ssXXX"},
            "epoch_seconds",  # 11 digits at most, so a 13-digit millisecond count falls through to the next
            "epoch_milliseconds",
            "ru_day_month_year",
        ],
    )
    out = parse(
        spark,
        c,
        [
            "11/20/2018 12:29 PM",
            "2021-08-25T09:00:00+02:00",
            "1629878400250",
            "1629878400",
            "1629878400.5",
            "26 сентября 2019 00:00",
            "03/10/2019 2:30 AM",  # New York's clocks went forward at 2:00 that day
            "yesterday",
        ],
    )
    reason = "not a timestamp in one of the formats us_12h (America/New_York), yyyy-MM-dd'T'HH:mm:ssXXX, "
    assert out == {
        "11/20/2018 12:29 PM": (utc(2018, 11, 20, 17, 29), None),
        "2021-08-25T09:00:00+02:00": (utc(2021, 8, 25, 7, 0), None),
        "1629878400250": (utc(2021, 8, 25, 8, 0, 0, 250000), None),
        "1629878400": (utc(2021, 8, 25, 8, 0), None),
        "1629878400.5": (utc(2021, 8, 25, 8, 0, 0, 500000), None),
        "26 сентября 2019 00:00": (utc(2019, 9, 26), None),
        "03/10/2019 2:30 AM": (
            None,
            "2019-03-10 02:30:00 did not happen in America/New_York (the clocks went forward)",
        ),
        "yesterday": (None, reason + "epoch_seconds, epoch_milliseconds, ru_day_month_year"),
    }


def test_a_date_column_reads_its_patterns_and_refuses_impossible_dates(spark):
    c = column(type="date", formats=[{"pattern": "dd.MM.yyyy"}, "iso_date"])
    assert parse(spark, c, ["25.08.2021", "2021-08-25", "31.02.2021", "25/08/2021"]) == {
        "25.08.2021": (date(2021, 8, 25), None),
        "2021-08-25": (date(2021, 8, 25), None),
        "31.02.2021": (None, "not a date in one of the formats dd.MM.yyyy, iso_date"),
        "25/08/2021": (None, "not a date in one of the formats dd.MM.yyyy, iso_date"),
    }


def test_a_boolean_column_accepts_the_contract_spellings_ignoring_case_and_refuses_others(spark):
    c = column(type="boolean", true_values=["Y", "yes"], false_values=["N", "no"])
    assert parse(spark, c, ["Y", "yes", "YES", "n", "No", "true", None]) == {
        "Y": (True, None),
        "yes": (True, None),
        "YES": (True, None),
        "n": (False, None),
        "No": (False, None),
        "true": (None, "not a boolean: one of ['y', 'yes'] or ['n', 'no']"),
        None: (None, None),
    }


def test_a_decimal_with_precision_and_scale_keeps_what_fits_and_never_rounds(spark):
    c = column(type="decimal", precision=6, scale=2)
    reason = "not a decimal number with at most 4 digit(s) before the point and 2 after it"
    assert parse(spark, c, ["4.50", "-9999.99", "0012.5", ".5", "4.505", "10000", "1e3"]) == {
        "4.50": (Decimal("4.50"), None),
        "-9999.99": (Decimal("-9999.99"), None),
        "0012.5": (Decimal("12.50"), None),
        ".5": (Decimal("0.50"), None),
        "4.505": (None, reason),
        "10000": (None, reason),
        "1e3": (None, reason),
    }


def test_a_text_with_a_maximum_length_refuses_a_longer_value_counting_characters_not_bytes(spark):
    c = column(type="string", max_length=5)
    assert parse(spark, c, ["Brixt", "Chloé", "Camden"]) == {
        "Brixt": ("Brixt", None),
        "Chloé": ("Chloé", None),
        "Camden": (None, "not a text of at most 5 characters"),
    }
