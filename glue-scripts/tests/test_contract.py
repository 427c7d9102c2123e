import copy
import json

import pytest

from landing_etl import contract

from .pipeline import DATASETS

BASE = {
    "name": "d",
    "columns": [
        {"name": "a", "type": "string", "target": "a", "rules": [{"check": "required"}]},
        {"name": "n", "type": "decimal", "target": "n", "rules": [{"check": "range", "min": 0, "on_fail": "warn"}]},
    ],
    "target": {"table": "t"},
}


def with_change(path: list, value):
    raw = copy.deepcopy(BASE)
    node = raw
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return raw


def test_the_dailycheckin_contract_reads_as_the_issue_describes_it():
    spec = contract.load(str(DATASETS), "dailycheckin")
    assert spec.table == "daily_checkins"
    assert (spec.mode, spec.max_reject_ratio, spec.min_rows) == ("soft", 0.05, 1)
    assert [c.key for c in spec.loaded_columns] == ["username", "ts", "hours", "project"]
    assert spec.dedup == ("username", "ts", "hours", "project")
    assert {(r.name, r.on_fail) for r in spec.rules} == {
        ("user.required", "quarantine"),
        ("user.pattern", "quarantine"),
        ("timestamp.required", "quarantine"),
        ("timestamp.format", "quarantine"),
        ("timestamp.range", "quarantine"),
        ("hours.required", "quarantine"),
        ("hours.format", "quarantine"),
        ("hours.range", "quarantine"),
        ("project.required", "quarantine"),
    } | {(f"{c}.encoding", "quarantine") for c in ("user", "timestamp", "hours", "project")}
    hours = next(r for r in spec.rules if r.name == "hours.range")
    assert (hours.min_exclusive, hours.max) == (0, 24)
    when = next(r for r in spec.rules if r.name == "timestamp.range")
    assert (when.min.isoformat(), when.max_exclusive.isoformat()) == (
        "2000-01-01T00:00:00+00:00",
        "2100-01-01T00:00:00+00:00",
    )


def test_max_bytes_defaults_to_4_gib_and_must_be_a_positive_whole_number():
    assert contract.parse(BASE, "x.json").max_bytes == 4 * 1024**3
    assert contract.parse(with_change(["max_bytes"], 1000), "x.json").max_bytes == 1000
    for bad in (0, -1, 2.5, True):
        with pytest.raises(contract.ContractError, match="field max_bytes must be"):
            contract.parse(with_change(["max_bytes"], bad), "x.json")


def test_a_typed_column_always_has_a_format_rule_and_every_column_an_encoding_rule():
    spec = contract.parse(BASE, "x.json")
    assert [r.name for r in spec.rules] == ["a.required", "a.encoding", "n.range", "n.format", "n.encoding"]


@pytest.mark.parametrize(
    "path, value, message",
    [
        (["columns", 0, "type"], "int", r"field columns\[0\].type must be one of"),
        (["columns", 1, "rules", 0, "on_fail"], "explode", r"field columns\[1\].rules\[0\].on_fail must be one of"),
        (["columns", 1, "rules", 0, "min"], "0", r"field columns\[1\].rules\[0\].min must be a number"),
        (
            ["columns", 0, "rules"],
            [{"check": "range", "min": 1}],
            r"field columns\[0\].rules\[0\].check range applies to",
        ),
        (
            ["columns", 0, "rules"],
            [{"check": "pattern", "regex": "("}],
            r"field columns\[0\].rules\[0\].regex is not a valid",
        ),
        (
            ["columns", 0, "rules"],
            [{"check": "allowed", "values": []}],
            r"field columns\[0\].rules\[0\].values must be",
        ),
        (["columns", 0, "privacy"], "encrypt", r"field columns\[0\].privacy must be one of"),
        (["columns", 1, "privacy"], "hash", r"field columns\[1\].privacy hash applies to string columns only"),
        (["columns", 0, "target"], "A b", r"field columns\[0\].target must be a lowercase SQL identifier"),
        (["columns", 0, "colour"], "red", r"field columns\[0\] has unknown key\(s\) \['colour'\]"),
        (["quality"], {"mode": "lenient"}, r"field quality.mode must be one of \['hard', 'soft'\]"),
        (["quality"], {"max_reject_ratio": 2}, r"field quality.max_reject_ratio must be between 0 and 1"),
        (["quality"], {"min_rows": True}, r"field quality.min_rows must be a number"),
        (["dedup"], {"columns": ["zz"]}, r"field dedup.columns must name target columns; unknown: \['zz'\]"),
        (["target"], {}, r"field target.table is required"),
        (["name"], "Daily-Checkin", r"field name must be lowercase letters, digits and _, starting with a letter"),
        (["name"], "d" * 41, r"field name must be at most 40 characters, got 41"),
    ],
)
def test_a_bad_contract_is_an_error_naming_the_file_and_the_field(path, value, message):
    with pytest.raises(contract.ContractError, match=r"^x\.json: " + message):
        contract.parse(with_change(path, value), "x.json")


def test_a_dataset_name_of_the_maximum_length_is_accepted():
    assert contract.parse(with_change(["name"], "d" * contract.DATASET_NAME_MAX), "x.json").name == "d" * 40


def test_a_dropped_column_has_no_target_and_is_not_loaded():
    raw = with_change(["columns", 0], {"name": "a", "type": "string", "privacy": "drop"})
    spec = contract.parse(raw, "x.json")
    assert [c.key for c in spec.loaded_columns] == ["n"]
    with pytest.raises(contract.ContractError, match=r"columns\[0\].target must be absent"):
        contract.parse(with_change(["columns", 0], {**raw["columns"][0], "target": "a"}), "x.json")


def test_reading_a_contract_names_the_file_when_it_is_not_json(tmp_path):
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    with pytest.raises(contract.ContractError, match=r"broken.json: not valid JSON"):
        contract.load(str(tmp_path), "broken")
    with pytest.raises(contract.ContractError, match=r"no contract for dataset 'missing'"):
        contract.load(str(tmp_path), "missing")
    (tmp_path / "ok.json").write_text(json.dumps(BASE), encoding="utf-8")
    assert contract.load(f"file://{tmp_path}", "ok").name == "d"


def ts(*formats) -> dict:
    return {"name": "t", "type": "timestamp", "target": "t", "formats": list(formats)}


@pytest.mark.parametrize(
    "column, message",
    [
        (ts({"pattern": "dd/MM/yyyy HH:mm", "zone": "Europe/Londn"}), r"formats\[0\].zone must be an IANA time zone"),
        (ts({"pattern": "dd/MM/YYYY"}), r"formats\[0\].pattern uses letter\(s\) \['Y'\]"),
        (ts({"pattern": "yyyy-MM-dd'T"}), r"formats\[0\].pattern has an unclosed quote"),
        (ts({"pattern": "yyyy-MM-ddXXX", "zone": "UTC"}), r"formats\[0\].zone does not apply: the pattern reads"),
        (ts({"preset": "epoch_seconds", "zone": "UTC"}), r"formats\[0\].zone does not apply to an epoch"),
        (ts("iso_date"), r"formats\[0\] is an unknown format 'iso_date'"),
        (ts("us_12h", "us_12h"), r"formats lists a format more than once"),
        (ts({"pattern": "dd", "preset": "us_12h"}), r"formats\[0\] must give exactly one of preset and pattern"),
        ({"name": "t", "type": "timestamp", "target": "t"}, r"formats is required for a timestamp column"),
        ({"name": "d", "type": "date", "target": "d", "formats": [{"pattern": "dd", "zone": "UTC"}]}, r"formats\[0\]"),
        ({"name": "b", "type": "boolean", "target": "b", "formats": ["iso_date"]}, r"formats applies to timestamp and"),
        ({"name": "n", "type": "decimal", "target": "n", "precision": 10}, r"precision and scale go together"),
        ({"name": "n", "type": "decimal", "target": "n", "precision": 39, "scale": 2}, r"precision must be between 1"),
        ({"name": "n", "type": "decimal", "target": "n", "precision": 4, "scale": 5}, r"scale must be between 0 and"),
        ({"name": "s", "type": "string", "target": "s", "precision": 4, "scale": 1}, r"precision applies to decimal"),
        ({"name": "s", "type": "string", "target": "s", "max_length": 0}, r"max_length must be at least 1"),
        ({"name": "i", "type": "integer", "target": "i", "max_length": 3}, r"max_length applies to string columns"),
        (
            {"name": "b", "type": "boolean", "target": "b", "true_values": ["Y"], "false_values": ["y"]},
            r"false_values repeat\(s\) \['y'\] of true_values",
        ),
        ({"name": "b", "type": "boolean", "target": "b", "true_values": [" "]}, r"true_values must be a non-empty"),
        (
            {"name": "s", "type": "string", "target": "s", "rules": [{"check": "format"}]},
            r"rules\[0\].check format applies to typed columns and strings with a max_length only",
        ),
        (
            {"name": "d", "type": "date", "target": "d", "rules": [{"check": "range", "min": "2020-13-01"}]},
            r"rules\[0\].min must be a date YYYY-MM-DD",
        ),
    ],
)
def test_a_bad_type_parameter_or_format_is_an_error_naming_the_field(column, message):
    with pytest.raises(contract.ContractError, match=r"^x\.json: field columns\[0\]\." + message):
        contract.parse(with_change(["columns", 0], column), "x.json")


@pytest.mark.parametrize(
    "indexes, message",
    [
        ([{"columns": ["zz"]}], r"target.indexes\[0\].columns has 'zz': each must be a target column"),
        ([{"columns": ["a sideways"]}], r"target.indexes\[0\].columns has 'a sideways'"),
        ([{"columns": []}], r"target.indexes\[0\].columns must list at least one column"),
        ([{"columns": ["a"], "unique": True}], r'target.indexes\[0\] must be an object with only "columns"'),
        ([{"columns": ["a"]}, {"columns": ["a asc"]}], r"target.indexes lists the same index more than once"),
    ],
)
def test_a_bad_index_is_an_error_naming_it(indexes, message):
    with pytest.raises(contract.ContractError, match=r"^x\.json: field " + message):
        contract.parse(with_change(["target"], {"table": "t", "indexes": indexes}), "x.json")


def test_the_cafe_contract_reads_its_zone_types_privacy_and_indexes():
    spec = contract.load(str(DATASETS), "cafe_transactions")
    by_name = {c.name: c for c in spec.columns}
    assert by_name["Date"].formats == (contract.Format(pattern="dd/MM/yyyy HH:mm", zone="Europe/London"),)
    assert (by_name["Total"].precision, by_name["Total"].scale) == (10, 2)
    assert (by_name["Loyalty Member"].true_values, by_name["Loyalty Member"].false_values) == (
        ("y", "yes"),
        ("n", "no"),
    )
    assert (by_name["Card Number"].privacy, by_name["Card Number"].mask_keep) == ("mask", 4)
    assert by_name["Customer Name"].privacy == "hash"
    assert spec.indexes == (("branch", "sold_at DESC"), ("transaction_id",))
    assert {(r.name, r.on_fail) for r in spec.rules if r.on_fail != "quarantine"} == {
        ("Branch.allowed", "fail"),
        ("Item Count.range", "warn"),
        ("Loyalty Member.format", "warn"),
    }
