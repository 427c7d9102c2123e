"""Properties of the contract reader: whatever JSON it is given, it returns a contract it can vouch for or raises
ContractError naming the file; a contract it accepts reads back exactly as written."""

import copy
import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from landing_etl import contract

from .pipeline import DATASETS

DAILYCHECKIN = json.loads((DATASETS / "dailycheckin.json").read_text())
SOURCE = "d.json"
IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")  # fullmatch: no trailing newline

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
# Values a field is likely to be compared with: the names the reader knows, near-identifiers, huge numbers.
field_values = (
    json_values
    | st.sampled_from([*contract.TYPES, *contract.TIMESTAMP_FORMATS, *contract.SEVERITIES, *contract.PRIVACY])
    | st.sampled_from([*contract.MODES, *contract.CHECKS, "username\n", "t\n", "dailycheckin\n", "Ts", "", " "])
    | st.integers(min_value=10**300, max_value=10**400)
    | st.lists(st.sampled_from(["username", "ts", "hours", "project", "iso_utc", {}, []]), max_size=3)
)


def paths(value, prefix=()):
    """Every path to a value inside a JSON document."""
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from paths(v, (*prefix, i))


ALL_PATHS = [p for p in paths(DAILYCHECKIN) if p]


def read(raw):
    """The reader's answer: a contract, or the ContractError's message. Anything else propagates (a crash)."""
    try:
        return contract.parse(raw, SOURCE)
    except contract.ContractError as e:
        assert str(e).startswith(f"{SOURCE}: "), e
        return str(e)


def vouched_for(spec: contract.Contract):
    assert contract.DATASET_NAME.fullmatch(spec.name) and len(spec.name) <= contract.DATASET_NAME_MAX
    assert IDENTIFIER.fullmatch(spec.table), spec.table
    assert all(IDENTIFIER.fullmatch(c.target) for c in spec.loaded_columns), [c.target for c in spec.columns]
    assert set(spec.dedup) <= {c.target for c in spec.loaded_columns}
    assert spec.mode in contract.MODES and 0 <= spec.max_reject_ratio <= 1 and spec.min_rows >= 0
    for c in spec.columns:
        assert c.type in contract.TYPES and all(
            f.preset in (*contract.TIMESTAMP_FORMATS, *contract.DATE_FORMATS) or f.pattern for f in c.formats
        )
        assert all(r.on_fail in (*contract.SEVERITIES,) for r in c.rules)


@settings(derandomize=True, max_examples=400, deadline=None)
@given(data=st.data())
def test_a_contract_with_fields_changed_or_removed_is_read_or_refused_by_name_never_a_crash(data):
    raw = copy.deepcopy(DAILYCHECKIN)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(ALL_PATHS))
        node = raw
        try:
            for key in path[:-1]:
                node = node[key]
            if data.draw(st.booleans()) and isinstance(node, dict):
                node.pop(path[-1], None)
            else:
                node[path[-1]] = data.draw(field_values)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed or replaced the path
    answer = read(raw)
    if isinstance(answer, contract.Contract):
        vouched_for(answer)


NASTY = [
    None,
    True,
    0,
    -1,
    10**400,
    1e308,
    -1e-308,
    "",
    " ",
    "\n",
    "x\n",
    "a{99999999999}",
    "(" * 500 + ")" * 500,
    "[",
    "2000-01-01T00:00:00+99:00",
    "2000-02-30T00:00:00Z",
    [],
    [{}],
    [[]],
    {},
    {"": []},
]


def test_every_field_replaced_by_every_kind_of_wrong_value_is_read_or_refused_by_name():
    """Exhaustive where the random walk above is thin: every field of the dailycheckin contract, every nasty value."""
    for path in ALL_PATHS:
        for value in NASTY:
            raw = copy.deepcopy(DAILYCHECKIN)
            node = raw
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
            answer = read(raw)
            if isinstance(answer, contract.Contract):
                vouched_for(answer)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(raw=json_values | st.dictionaries(st.sampled_from([*DAILYCHECKIN, "x"]), field_values, max_size=6))
def test_any_json_document_is_read_or_refused_by_name(raw):
    answer = read(raw)
    if isinstance(answer, contract.Contract):
        vouched_for(answer)


identifiers = st.from_regex(r"\A[a-z_][a-z0-9_]{0,15}\Z")
names = st.from_regex(r"\A[a-z][a-z0-9_]{0,39}\Z")


@st.composite
def valid_contracts(draw):
    targets = draw(st.lists(identifiers, min_size=1, max_size=5, unique=True))
    columns = []
    for i, target in enumerate(targets):
        ctype = draw(st.sampled_from(contract.TYPES))
        column = {
            "name": f"{draw(st.text(min_size=1, max_size=6).filter(str.strip))}{i}",
            "type": ctype,
            "target": target,
        }
        if ctype == "timestamp":
            column["formats"] = draw(st.lists(st.sampled_from(contract.TIMESTAMP_FORMATS), min_size=1, unique=True))
        rules = [{"check": "required", "on_fail": draw(st.sampled_from(contract.SEVERITIES))}]
        if ctype in ("decimal", "integer"):
            rules.append({"check": "range", "min": draw(st.integers(-5, 5)), "max_exclusive": draw(st.floats(6, 1e6))})
        column["rules"] = rules
        column["trim"] = draw(st.booleans())
        columns.append(column)
    return {
        "name": draw(names),
        "columns": columns,
        "dedup": {"columns": draw(st.lists(st.sampled_from(targets), min_size=1, unique=True))},
        "target": {"table": draw(identifiers)},
        "quality": {
            "mode": draw(st.sampled_from(contract.MODES)),
            "max_reject_ratio": draw(st.floats(0, 1)),
            "min_rows": draw(st.integers(0, 10**6)),
        },
    }


@settings(derandomize=True, max_examples=200, deadline=None)
@given(raw=valid_contracts())
def test_a_valid_contract_reads_back_exactly_as_written(raw):
    spec = read(json.loads(json.dumps(raw)))
    assert isinstance(spec, contract.Contract), spec
    vouched_for(spec)
    assert (spec.name, spec.table, spec.dedup) == (raw["name"], raw["target"]["table"], tuple(raw["dedup"]["columns"]))
    assert (spec.mode, spec.max_reject_ratio, spec.min_rows) == tuple(raw["quality"].values())
    assert [(c.name, c.type, c.target, c.trim, tuple(f.preset for f in c.formats)) for c in spec.columns] == [
        (
            c["name"],
            c["type"],
            c["target"],
            c["trim"],
            tuple(c.get("formats", ["iso_date"] if c["type"] == "date" else [])),
        )
        for c in raw["columns"]
    ]
    for c, written in zip(spec.columns, raw["columns"], strict=True):
        as_written = [
            (r["check"], r.get("on_fail", "quarantine"), r.get("min"), r.get("max_exclusive")) for r in written["rules"]
        ]
        assert [
            (r.check, r.on_fail, r.min, r.max_exclusive) for r in c.rules if r.check in ("required", "range")
        ] == as_written


@settings(derandomize=True, max_examples=200, deadline=None)
@given(
    field=st.sampled_from([("name",), ("target", "table"), ("columns", 0, "target"), ("dedup", "columns", 0)]),
    text=st.from_regex(r"\A[a-z_][a-z0-9_]{0,15}\Z"),
    tail=st.sampled_from(["", "\n", " ", "\r\n", "\x00", "-", "É"]),
)
def test_a_name_table_or_target_is_accepted_only_as_the_whole_identifier(field, text, tail):
    raw = copy.deepcopy(DAILYCHECKIN)
    node = raw
    for key in field[:-1]:
        node = node[key]
    node[field[-1]] = text + tail
    if field[0] == "columns":  # keep dedup naming the targets
        raw["dedup"]["columns"] = [text + tail if c == "username" else c for c in raw["dedup"]["columns"]]
        raw["target"]["indexes"] = [{"columns": [text + tail, "ts desc"]}]
    answer = read(raw)
    if isinstance(answer, contract.Contract):
        vouched_for(answer)
    else:
        assert tail or (field == ("name",) and text[0] == "_") or field[0] == "dedup", answer
