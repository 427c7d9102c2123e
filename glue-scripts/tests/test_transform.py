import bz2
import csv
import io
import time
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

import pytest

from landing_etl import contract, quality, transform

from .pipeline import DAILYCHECKIN, DATASETS, checked, split_size, transformed, write_csv

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


def test_a_header_missing_a_column_fails_naming_missing_columns_and_the_unexpected_ones_by_position(spark, tmp_path):
    df = transform.read_source(spark, write_csv(tmp_path, "user,when,hours,project,extra\na,b,1,c,d\n"))
    with pytest.raises(transform.HeaderMismatch) as e:
        transform.check_header(df, DAILYCHECKIN)
    # A header (it shares names with the contract) of a dataset without privacy columns: its short cells are quoted.
    assert str(e.value) == (
        "header is missing column(s) ['timestamp']; unexpected column(s) at position(s) 2 'when', 5 'extra'; "
        "expected ['user', 'timestamp', 'hours', 'project']"
    )


def test_a_file_without_a_header_row_fails_quoting_none_of_its_first_row(spark, tmp_path):
    first = "u-no-header,2020-01-01 00:01:00 UTC,1.5,apollo"
    df = transform.read_source(spark, write_csv(tmp_path, f"{first}\n{first}\n"))
    with pytest.raises(transform.HeaderMismatch) as e:
        transform.check_header(df, DAILYCHECKIN)
    assert str(e.value) == (
        "header is missing column(s) ['user', 'timestamp', 'hours', 'project']; unexpected column(s) at position(s) "
        "1-4 (not quoted: the first line shares no name with the contract, so it may be a row); "
        "expected ['user', 'timestamp', 'hours', 'project']"
    )


def test_the_header_of_a_dataset_with_privacy_columns_is_never_quoted(spark, tmp_path):
    cafe = contract.load(str(DATASETS), "cafe_transactions")
    row = "TX-000101,25/08/2021 09:00,Camden,Olivia Bennett,Flat white,1,card,3.20,4929123456781234,Y"
    renamed = "Transaction ID,Date,Branch,Customer,Items,Item Count,Payment Type,Total,Card,Loyalty Member"
    for first, unexpected in (
        (row, "1-10 (not quoted: the first line shares no name with the contract, so it may be a row)"),
        (renamed, "4, 9 (not quoted: the dataset has privacy columns)"),
    ):
        df = transform.read_source(spark, write_csv(tmp_path, f"{first}\n{row}\n"))
        with pytest.raises(transform.HeaderMismatch) as e:
            transform.check_header(df, cafe)
        assert f"unexpected column(s) at position(s) {unexpected};" in str(e.value)
        assert not [v for v in ("TX-000101", "Olivia", "4929123456781234", "Camden") if v in str(e.value)]


def test_a_long_or_many_unexpected_header_cells_are_named_by_position_and_the_list_is_bounded(spark, tmp_path):
    header = "user,timestamp,hours,project," + "x" * 41 + "," + ",".join(f"c{i}" for i in range(6, 200, 2))
    df = transform.read_source(spark, write_csv(tmp_path, f"{header}\n"))
    transform.check_header(df, DAILYCHECKIN)  # extra columns are ignored
    df = transform.read_source(spark, write_csv(tmp_path, header.replace("hours", "hour") + "\n"))
    with pytest.raises(transform.HeaderMismatch) as e:
        transform.check_header(df, DAILYCHECKIN)
    assert str(e.value).startswith(
        "header is missing column(s) ['hours']; unexpected column(s) at position(s) 3 'hour', 5, 6 'c6', 7 'c8', "
    )
    assert "x" * 41 not in str(e.value) and "… and 89 more;" in str(e.value)


def test_an_empty_file_fails_naming_every_column_as_missing(spark, tmp_path):
    df = transform.read_source(spark, write_csv(tmp_path, ""))
    with pytest.raises(
        transform.HeaderMismatch, match=r"missing column\(s\) \['user', 'timestamp', 'hours', 'project'\]"
    ):
        transform.check_header(df, DAILYCHECKIN)


def _record_lines(text: str) -> list[tuple[int, list[str]]]:
    """The oracle: Python's csv module's records with the line each starts on (blank lines counted, no records)."""
    out, before = [], 0
    reader = csv.reader(io.StringIO(text, newline=""))
    for row in reader:
        if row:
            out.append((before + 1, row))
        before = reader.line_num
    return out


@pytest.fixture
def small_splits(spark):
    """Splits of 200 bytes: a small file is read by many tasks, as a large one is on a cluster."""
    with split_size(spark, 200):
        yield


def test_rejected_rows_keep_their_exact_lines_when_the_file_is_read_by_many_tasks(spark, tmp_path, small_splits):
    good = "ann,2020-01-02 03:04:05 UTC,1.5,apollo"
    lines = ["user,timestamp,hours,project"]
    for i in range(2, 120):
        if i % 17 == 0:
            lines.append("")  # blank lines count as lines
        elif i % 13 == 0:
            lines.append(f"u{i},2020-01-02 03:04:05 UTC,abc,apollo")  # hours.format
        elif i % 11 == 0:
            lines.append(f"u{i},2020-01-02 03:04:05 UTC")  # too few columns: hours and project are missing
        elif i % 29 == 0:
            # A quoted field of many lines, long enough to cross a split boundary, with an escaped quote.
            lines.append(f'u{i},2020-01-02 03:04:05 UTC,2,"first' + '\r\n a ""quoted"" line' * 12 + '"')
        else:
            lines.append(good.replace("ann", f"u{i}") + (",extra" if i % 23 == 0 else ""))
    text = "\r\n".join(lines) + "\r\n"
    path = write_csv(tmp_path, text, bom=True)
    source_file = transform.read_source(spark, path)
    assert source_file.partitions > 5 and source_file.splittable and not source_file.multiline

    got = {r.source_line: r for r in transformed(spark, path).collect()}
    want = _record_lines(text.lstrip("\ufeff"))[1:]
    assert sorted(got) == [line for line, _ in want]
    for line, row in want:  # a quoted line break reads as LF, as the multi-line parser reads it
        project = row[3].replace("\r\n", "\n") if len(row) > 3 else None
        assert (got[line].username, got[line].project_raw) == (row[0], project), line
    assert 29 in got and got[29].project == "first" + '\n a "quoted" line' * 12
    rejected = quality.rejected(checked(spark, path), DAILYCHECKIN).collect()
    assert sorted(r.source_line for r in rejected) == [line for line, row in want if len(row) < 4 or row[2] == "abc"]


@pytest.mark.parametrize(
    ("stray", "records"),
    [
        ('pro"ject', 38),  # a quote inside an unquoted value is a character of it
        ('"project', 8),  # a quote opening a value that never closes: the rest of the file is that value
        ('"pro"ject",x', 38),  # closed, then the value runs to the delimiter
    ],
)
def test_a_stray_quote_reads_as_the_multiline_parser_reads_it(spark, tmp_path, small_splits, stray, records):
    text = "user,timestamp,hours,project\n" + "".join(
        f"u{i},2020-01-02 03:04:05 UTC,1,{stray if i == 9 else 'apollo'}\n" for i in range(2, 40)
    )
    path = write_csv(tmp_path, text)
    split = sorted((r.source_line, r.username, r.project_raw) for r in transformed(spark, path).collect())
    whole = transform.read_source(spark, path, multiline=True)
    assert whole.partitions == 1 and whole.multiline
    # The one difference: a value left open to the end of the file does not end with the file's last line break.
    assert split == sorted((r.source_line, r.user, r.project.rstrip("\n")) for r in whole.records.collect())
    assert len(split) == records


def test_a_dataset_declared_multiline_reads_quoted_line_breaks_in_one_task_with_exact_lines(spark, tmp_path):
    spec = replace(DAILYCHECKIN, multiline=True)
    text = (
        "user,timestamp,hours,project\n"
        'ann,2020-01-02 03:04:05 UTC,1,"two\nlines"\n'
        "\n"  # blank lines outside quotes count as lines, as in the split read
        "bob,2020-01-02 03:04:05 UTC,x,apollo\n"
        '"cy\n\nthree",2020-01-02 03:04:05 UTC,2,gemini\n'
        "\n\n"
        "dee,2020-01-02 03:04:05 UTC,3,venus\n"
    )
    path = write_csv(tmp_path, text)
    assert transform.read_source(spark, path, spec.multiline).partitions == 1
    rows = sorted(
        (r.source_line, r.username, r.project, r.hours_error) for r in transformed(spark, path, spec).collect()
    )
    assert rows == [
        (2, "ann", "two\nlines", None),
        (5, "bob", "apollo", "not a decimal number"),
        (6, "cy\n\nthree", "gemini", None),
        (11, "dee", "venus", None),
    ]
    split = sorted((r.source_line, r.username, r.project, r.hours_error) for r in transformed(spark, path).collect())
    assert split == rows


def test_the_split_read_names_repeated_and_empty_header_columns_as_the_csv_reader_does(spark, tmp_path):
    path = write_csv(tmp_path, "user,USER,timestamp,,hours,project\nu1,u2,t,x,1,p\n")
    split = transform.read_source(spark, path)
    assert split.columns == ["user0", "USER1", "timestamp", "_c3", "hours", "project"]
    assert split.columns == transform.read_source(spark, path, multiline=True).columns
    with pytest.raises(transform.HeaderMismatch, match=r"missing column\(s\) \['user'\]"):
        transform.check_header(split, DAILYCHECKIN)


def test_a_bz2_file_is_split_across_tasks_and_reads_like_the_plain_one(spark, tmp_path):
    text = "user,timestamp,hours,project\n" + "".join(
        f"u{i},2020-01-02 03:04:05 UTC,{i % 30},{'apollo' if i % 7 else chr(34) + 'two' + chr(10) + 'lines' + chr(34)}\n"
        for i in range(2, 10_000)
    )
    # bzip2 splits at its blocks: 100 kB blocks (level 1) make several of ~400 kB.
    packed_path = tmp_path / "a.csv.bz2"
    packed_path.write_bytes(bz2.compress(text.encode(), compresslevel=1))
    plain = rows(transformed(spark, write_csv(tmp_path, text, "a.csv")).drop("source_object"))
    # Splits of a quarter of the compressed file: each holds about one bzip2 block (200-byte splits, as the other
    # split tests use, would read the plain file in thousands of tasks and take minutes).
    with split_size(spark, packed_path.stat().st_size // 4):
        packed = transform.read_source(spark, str(packed_path))
        assert packed.splittable and packed.partitions > 1
        assert rows(transformed(spark, str(packed_path)).drop("source_object")) == plain
    assert transform.read_source(spark, write_csv(tmp_path, text, "a.csv.gz")).splittable is False


@pytest.mark.parametrize("multiline", [False, True], ids=["split", "multiline"])
def test_a_header_of_more_columns_than_the_parser_takes_is_refused_before_parsing(spark, tmp_path, multiline):
    header = ",".join(f"c{i}" for i in range(50_000))
    path = write_csv(tmp_path, f"{header}\nu,2020-01-02 03:04:05 UTC,1,p\n")
    started = time.monotonic()
    with pytest.raises(
        transform.HeaderMismatch, match=r"^the header has 50000 columns, more than the 20480 a file may have$"
    ):
        transform.read_source(spark, path, multiline)
    assert time.monotonic() - started < 30


def test_the_header_is_made_safe_in_time_linear_in_its_columns():
    # The widest header there may be, every name repeated (two or three times), in one case or another.
    names = [f"{'c' if i % 2 else 'C'}{i % 10_000}" for i in range(20_480)]
    started = time.monotonic()
    safe = transform._safe_header(names)
    assert time.monotonic() - started < 1
    assert safe == [f"{n}{i}" for i, n in enumerate(names)]
