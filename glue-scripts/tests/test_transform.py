import pytest

from landing_etl import contract, transform

SPEC = contract.parse(
    {
        "name": "dailycheckin",
        "columns": [
            {"name": "user", "type": "string", "required": True, "target": "username"},
            {"name": "timestamp", "type": "timestamp", "formats": ["iso_utc"], "target": "ts"},
            {"name": "hours", "type": "decimal", "target": "hours"},
            {"name": "project", "type": "string", "target": "project"},
        ],
        "target": {"table": "daily_checkins"},
    },
    "test",
)


def write(tmp_path, text, name="in.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return str(path)


def test_types_columns_in_any_order_with_line_numbers(spark, tmp_path):
    path = write(tmp_path, "project,hours,user,timestamp\r\nx, 1.5 ,ann,2020-01-01 00:00:00 UTC\r\ny,abc,bob,nope\r\n")
    df = transform.read_source(spark, path)
    transform.check_header(df, SPEC)
    rows = transform.typed(transform.with_source_line(df), SPEC).orderBy("source_line").collect()
    assert [(r.username, str(r.hours) if r.hours is not None else None, r.source_line) for r in rows] == [
        ("ann", "1.500000", 2),
        ("bob", None, 3),
    ]
    assert rows[1].hours_raw == "abc"


def test_rejects_a_header_missing_a_column_naming_missing_and_unexpected(spark, tmp_path):
    df = transform.read_source(spark, write(tmp_path, "user,when,hours,project\na,b,1,c\n"))
    with pytest.raises(
        transform.HeaderMismatch, match=r"missing column\(s\) \['timestamp'\]; unexpected column\(s\) \['when'\]"
    ):
        transform.check_header(df, SPEC)


def test_a_bad_contract_names_the_file_and_field():
    with pytest.raises(contract.ContractError, match=r"x.json: field columns\[0\].type must be one of"):
        contract.parse(
            {"name": "d", "columns": [{"name": "a", "type": "int", "target": "a"}], "target": {"table": "t"}}, "x.json"
        )
