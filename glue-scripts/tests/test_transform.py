import gzip
from datetime import datetime
from decimal import Decimal

import pytest

from landing_etl import source, transform

from .pipeline import DAILYCHECKIN, transformed, write_csv

MESSY = (
    "project, hours ,user,timestamp\r\n"  # any column order, padded header names
    "apollo,1.5,ann,2020-01-02 03:04:05 UTC\r\n"
    '"gemini, phase 2", 2 ,"bob ",01/03/2020 12:15 AM\r\n'
    '"multi\r\nline ""quoted""",0.25,cy,5 января 2020 18:30\r\n'
    "mercury,abc,dee,not a date\r\n"
    "venus,,  ,\r\n"
)


def rows(df):
    return [r.asDict() for r in df.orderBy("source_line").collect()]


def test_types_a_file_with_bom_crlf_and_quoted_multiline_fields_numbering_source_lines(spark, tmp_path):
    df = transformed(spark, write_csv(tmp_path, MESSY, bom=True), ingestion_id="ing-7", version="v3")
    got = rows(df)
    assert [(r["source_line"], r["username"], r["project"], r["hours"], r["ts"]) for r in got] == [
        (2, "ann", "apollo", Decimal("1.500000"), datetime(2020, 1, 2, 3, 4, 5)),
        (3, "bob", "gemini, phase 2", Decimal("2.000000"), datetime(2020, 1, 3, 0, 15)),
        (4, "cy", 'multi\nline "quoted"', Decimal("0.250000"), datetime(2020, 1, 5, 18, 30)),
        (6, "dee", "mercury", None, None),
        (7, None, "venus", None, None),
    ]
    assert {(r["ingestion_id"], r["source_version"]) for r in got} == {("ing-7", "v3")}
    dee, venus = got[3], got[4]
    assert (dee["hours_raw"], dee["hours_error"]) == ("abc", "not a decimal number")
    assert (dee["ts_raw"], dee["ts_error"]) == (
        "not a date",
        "not a timestamp in one of the formats iso_utc, us_12h, ru_day_month_year",
    )
    # Empty values are missing, not malformed: `required` reports them, not `format`.
    assert (venus["username_raw"], venus["hours_error"], venus["ts_error"]) == ("  ", None, None)
    types = {f.name: f.dataType.simpleString() for f in df.schema.fields}
    assert {k: types[k] for k in ("username", "ts", "hours", "project", "source_line")} == {
        "username": "string",
        "ts": "timestamp",
        "hours": "decimal(18,6)",
        "project": "string",
        "source_line": "int",
    }


def test_reads_a_gzipped_file_like_the_plain_one(spark, tmp_path):
    plain = rows(transformed(spark, write_csv(tmp_path, MESSY, "a.csv")).drop("source_object"))
    gzipped = rows(transformed(spark, write_csv(tmp_path, MESSY, "a.csv.gz", bom=True)).drop("source_object"))
    assert gzipped == plain and len(plain) == 5


def test_a_header_missing_a_column_fails_naming_missing_and_unexpected_columns(spark, tmp_path):
    df = transform.read_source(spark, write_csv(tmp_path, "user,when,hours,project,extra\na,b,1,c,d\n"))
    with pytest.raises(
        transform.HeaderMismatch,
        match=r"missing column\(s\) \['timestamp'\]; unexpected column\(s\) \['when', 'extra'\]",
    ):
        transform.check_header(df, DAILYCHECKIN)


def test_an_empty_file_fails_naming_every_column_as_missing(spark, tmp_path):
    df = transform.read_source(spark, write_csv(tmp_path, ""))
    with pytest.raises(
        transform.HeaderMismatch, match=r"missing column\(s\) \['user', 'timestamp', 'hours', 'project'\]"
    ):
        transform.check_header(df, DAILYCHECKIN)


def test_a_truncated_gzip_is_refused_before_spark_reads_part_of_it(tmp_path):
    whole = gzip.compress(("user,timestamp,hours,project\n" + "a,b,1,c\n" * 5000).encode())
    (tmp_path / "ok.csv.gz").write_bytes(whole + gzip.compress(b"a,b,2,c\n"))  # two members: still one valid file
    (tmp_path / "cut.csv.gz").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "fake.csv.gz").write_bytes(b"user,timestamp,hours,project\n")
    source.verify_gzip(f"file://{tmp_path / 'ok.csv.gz'}")
    with pytest.raises(source.CorruptSource, match="is a truncated gzip file"):
        source.verify_gzip(f"file://{tmp_path / 'cut.csv.gz'}")
    with pytest.raises(source.CorruptSource, match="is not a valid gzip file"):
        source.verify_gzip(f"file://{tmp_path / 'fake.csv.gz'}")
