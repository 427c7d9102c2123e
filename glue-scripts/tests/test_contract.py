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
