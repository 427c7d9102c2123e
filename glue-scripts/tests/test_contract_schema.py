"""datasets/contract.schema.json and the jobs' contract reader agree: what an editor accepts as a contract is typed,
the jobs accept, and what the schema refuses the jobs refuse too. The rules that tie fields together stay in code."""

import json

import pytest
from jsonschema import Draft202012Validator

from landing_etl import contract

from .pipeline import DATASETS
from .test_contract import with_change as reader_case

SCHEMA = json.loads((DATASETS / "contract.schema.json").read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA)
CONTRACTS = sorted(p for p in DATASETS.glob("*.json") if p.name != "contract.schema.json")


def with_change(path: list, value):
    """test_contract.py's contract with one field changed, with the quality mode the executor needs."""
    raw = reader_case(path, value)
    raw.setdefault("quality", {"mode": "soft"})
    return raw


BASE = with_change(["name"], "d")


def test_the_schema_is_a_valid_json_schema_and_accepts_the_base_contract():
    Draft202012Validator.check_schema(SCHEMA)
    assert list(VALIDATOR.iter_errors(BASE)) == []
    contract.parse(BASE, "x.json")


@pytest.mark.parametrize("path", CONTRACTS, ids=lambda p: p.name)
def test_every_contract_in_datasets_names_the_schema_and_validates_against_it(path):
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert raw["$schema"] == "./contract.schema.json"
    assert [e.message for e in VALIDATOR.iter_errors(raw)] == []
    assert contract.parse(raw, str(path)).name == path.stem


@pytest.mark.parametrize(
    "path, value",
    [
        (["columns"], []),
        (["columns", 0, "type"], "int"),
        (["columns", 0, "formats"], ["epoch"]),
        (["columns", 0, "privacy"], "encrypt"),
        (["columns", 0, "target"], "A b"),
        (["columns", 0, "colour"], "red"),
        (["columns", 0], {"name": "a", "type": "string", "privacy": "drop", "target": "a"}),
        (["columns", 0], {"name": "a", "type": "string"}),
        (["columns", 0, "mask_keep"], -1),
        (["columns", 1, "rules", 0, "on_fail"], "explode"),
        (["columns", 1, "rules", 0], {"check": "range"}),
        (["columns", 1, "rules", 0], {"check": "range", "min": 0, "regex": "x"}),
        (["columns", 0, "rules", 0], {"check": "pattern"}),
        (["columns", 0, "rules", 0], {"check": "allowed", "values": []}),
        (["columns", 0, "rules", 0], {"check": "unique"}),
        (["quality"], {"max_reject_ratio": 2, "mode": "soft"}),
        (["quality"], {"min_rows": True, "mode": "soft"}),
        (["dedup"], {"columns": []}),
        (["target"], {}),
        (["name"], "Daily-Checkin"),
        (["name"], "d" * 41),
        (["extra"], 1),
        (["schedule"], {"due": "6:00", "timeZone": "UTC"}),
        (["schedule"], {"due": "06:00"}),
        (["schedule"], {"due": "06:00", "timeZone": "Europe London"}),
        (["schedule"], {"due": "06:00", "timeZone": "UTC", "every": "hour"}),
        (["schedule"], {"due": "06:00", "timeZone": "UTC", "graceMinutes": -1}),
        (["schedule"], {"due": "06:00", "timeZone": "UTC", "graceMinutes": 1441}),
        (["schedule"], {"due": "06:00", "timeZone": "UTC", "businessDate": "yesterday"}),
        (["schedule"], {"due": "06:00", "timeZone": "UTC", "cron": "0 6 * * *"}),
        (["schedule"], "daily at 6"),
        (["max_bytes"], 0),
        (["max_bytes"], 1.5),
        (["max_bytes"], "4 GiB"),
    ],
)
def test_a_contract_the_schema_refuses_is_refused_by_the_reader_too(path, value):
    raw = with_change(path, value)
    assert not VALIDATOR.is_valid(raw)
    with pytest.raises(contract.ContractError):
        contract.parse(raw, "x.json")


@pytest.mark.parametrize(
    "path, value",
    [
        # A bound's type follows its column's: a string bound is a timestamp's.
        (["columns", 1, "rules", 0, "min"], "0"),
        (["columns", 0, "rules"], [{"check": "range", "min": 1}]),
        (["columns", 0, "rules"], [{"check": "pattern", "regex": "("}]),
        (["columns", 0, "rules"], [{"check": "required"}, {"check": "required"}]),
        (["columns", 1, "privacy"], "hash"),
        (["columns", 0, "formats"], ["iso_utc"]),
        (["columns", 0, "mask_keep"], 2),
        (["dedup"], {"columns": ["zz"]}),
        (["columns", 1, "target"], "a"),
    ],
)
def test_the_rules_that_tie_fields_together_are_the_readers(path, value):
    raw = with_change(path, value)
    assert VALIDATOR.is_valid(raw)
    with pytest.raises(contract.ContractError):
        contract.parse(raw, "x.json")


@pytest.mark.parametrize(
    "schedule",
    [
        {"due": "06:00", "timeZone": "Europe/London"},
        {
            "every": "weekday",
            "due": "23:59",
            "timeZone": "America/New_York",
            "graceMinutes": 0,
            "businessDate": "same day",
        },
        {"due": "00:00", "timeZone": "UTC", "graceMinutes": 1440, "businessDate": "previous day"},
    ],
)
def test_a_schedule_the_schema_accepts_the_jobs_accept(schedule):
    raw = with_change(["schedule"], schedule)
    assert list(VALIDATOR.iter_errors(raw)) == []
    assert contract.parse(raw, "x.json").name == "d"
