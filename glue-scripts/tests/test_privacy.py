"""Privacy holds for every character: a privacy column's value is masked, hashed or dropped whatever it contains, no
clear value reaches any output of the jobs, and the HMAC key appears in no query plan or event log."""

import base64
import hashlib
import hmac
import json
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pyspark.sql import functions as F

from landing_etl import contract, quality, transform

from .pipeline import checked, write_csv
from .test_cafe_transactions import CAFE, HEADER

KEY = b"privacy-test-key"
# Values no regex-based mask handled: line terminators ('.' matches none of \n \r U+0085 U+2028 U+2029), combining
# marks, astral characters, the U+FFFD invalid UTF-8 becomes, control characters, empty and blank values.
HOSTILE = [
    "4929\n1234\n5678\n1234",
    "4929\r\n1234\r5678\r1234",
    "4929\u00851234\u20285678\u20291234",
    "e\u0301e\u0301e\u0301e\u0301e\u0301",
    "\U0001f600\U0001f600\U0001f600\U0001f600\U0001f600\U0001f600",
    "\ufffd\ufffd\ufffd12345",
    "\x00\x0b\x0c\x1c\x1d\x1e\x1f4321",
    "\n\n\n\n\n\n",
    "12",
    "",
    "   ",
]


def masked(value: str | None, keep: int) -> str | None:
    """The mask rule in code points: every character but the last `keep` is '*'."""
    if value is None:
        return None
    cut = max(len(value) - keep, 0)
    return "*" * cut + value[cut:]


def pseudonym(value: str | None, key: bytes = KEY) -> str | None:
    return None if value is None else hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def spec(columns: list[dict], **quality_settings) -> contract.Contract:
    return contract.parse(
        {
            "name": "p",
            "columns": columns,
            "target": {"table": "p"},
            "quality": {"max_reject_ratio": 1, **quality_settings},
        },
        "p.json",
    )


# A row id in clear, then one column per privacy handling; rules that fail on hostile values, of every severity.
PRIVATE = spec(
    [
        {"name": "id", "type": "string", "target": "id"},
        {
            "name": "card",
            "type": "string",
            "target": "card",
            "privacy": "mask",
            "mask_keep": 4,
            "rules": [{"check": "pattern", "regex": "[0-9]{12,19}", "on_fail": "quarantine"}],
        },
        {
            "name": "pin",
            "type": "string",
            "target": "pin",
            "privacy": "mask",
            "rules": [{"check": "required", "on_fail": "warn"}],
        },
        {
            "name": "name",
            "type": "string",
            "target": "name_hash",
            "max_length": 40,
            "privacy": "hash",
            "rules": [{"check": "pattern", "regex": "[A-Za-z ]+", "on_fail": "warn"}],
        },
        {"name": "note", "type": "string", "privacy": "drop", "rules": [{"check": "required", "on_fail": "fail"}]},
    ]
)


def staged_rows(spark, rows: list[tuple], spec: contract.Contract = PRIVATE, secret: bytes | None = KEY):
    """Source records as transform reads them (every column text, numbered by line), typed, protected, with lineage."""
    names = ", ".join(f"`{n}` string" for n in spec.source_columns)
    df = spark.createDataFrame([(*r, line) for line, r in enumerate(rows, 2)], f"{names}, source_line int")
    return transform.with_lineage(quality.shield(transform.typed(df, spec), spec, secret), "ing-1", "s3://l/k", None)


@pytest.mark.parametrize("key", [b"k", b"x" * 64, b"y" * 65, "clé-🔑".encode()])
def test_hash_is_hmac_sha256_of_the_utf8_value_for_keys_of_any_length(spark, key):
    values = ["ann@x.org", "Chloé Martin", *HOSTILE]
    hashed = spec([{"name": "v", "type": "string", "target": "v", "privacy": "hash"}])
    got = staged_rows(spark, [(v,) for v in values], hashed, key)
    assert sorted((r.v_raw, r.v) for r in got.collect()) == sorted(
        (pseudonym(v, key), pseudonym(v.strip(" ") or None, key)) for v in values
    )


def test_a_card_number_with_quoted_line_breaks_reaches_no_output_in_clear(spark, tmp_path):
    # The reproduction: the number split by line breaks inside a quoted field of the cafe file.
    line = 'TX-000001,25/08/2021 09:00,Camden,Olivia Bennett,Tea,1,card,2.00,"4929\n1234\n5678\n1234",Y\n'
    staged = str(tmp_path / "transformed")
    rows = checked(spark, write_csv(tmp_path, HEADER + line), CAFE, staged=staged, secret=KEY)
    shown = "*" * 15 + "1234"  # 19 characters: the three line breaks are characters too
    (refused,) = quality.rejected(rows, CAFE).collect()
    assert refused["Card Number"] == shown
    report = quality.examples(rows, CAFE)
    assert report["Card Number.pattern"][0]["value"] == shown
    written = pq.read_table(staged).to_pylist()
    assert [(r["card_number_raw"], r["card_number"]) for r in written] == [(shown, shown)]


def test_a_dropped_timestamp_is_not_quoted_in_the_reason_it_was_refused(spark):
    # A local time the clocks skipped is named in its reason ("… did not happen in …"), unless the column is private.
    dropped = spec(
        [
            {"name": "id", "type": "string", "target": "id"},
            {
                "name": "born",
                "type": "timestamp",
                "privacy": "drop",
                "formats": [{"pattern": "dd/MM/yyyy HH:mm", "zone": "Europe/London"}],
            },
        ]
    )
    rows = quality.evaluate(staged_rows(spark, [("a", "28/03/2021 01:30")], dropped, None), dropped)
    (refused,) = quality.rejected(rows, dropped).collect()
    assert [(f.rule, f.value, f.reason) for f in refused.failures] == [
        ("born.format", None, "not a timestamp in one of the formats dd/MM/yyyy HH:mm (Europe/London)")
    ]
    (staged,) = rows.collect()
    assert "2021-03-28" not in json.dumps(staged.asDict(), default=str)


# --- No clear value reaches any output: a property over arbitrary Unicode. ---

# Any code point a UTF-8 file can hold (no surrogates), with the hostile ones made likely.
characters = st.characters(exclude_categories=["Cs"]) | st.sampled_from(
    ["\n", "\r", "\u0085", "\u2028", "\u2029", "\u0301", "\U0001f600", "\ufffd", " ", "\t", '"', ",", "*"]
)
texts = st.text(characters, max_size=12)
MARK = "§"


@st.composite
def clear_values(draw) -> str:
    """A value of at least 8 code points holding a random marker, so that finding it in an output is no accident."""
    marker = draw(st.text("0123456789abcdef", min_size=6, max_size=6))
    return draw(texts) + MARK + marker + draw(texts)


@settings(max_examples=6, deadline=None)
@given(values=st.lists(texts | clear_values(), min_size=1, max_size=100))
@example(values=HOSTILE)
def test_mask_hash_and_drop_give_exactly_what_the_rule_says_for_any_unicode(spark, values):
    staged = staged_rows(spark, [(f"r{i}", v, v, v, v) for i, v in enumerate(values)]).collect()
    for row in staged:
        v = values[row.source_line - 2]
        trimmed = v.strip(" ") or None
        assert (row.card_raw, row.card, row.pin_raw) == (masked(v, 4), masked(trimmed, 4), masked(v, 0))
        assert (row.name_hash_raw, row["_note_raw"], row["_note"]) == (pseudonym(v), None, None)


# Card numbers also as the pattern wants them, so that some rows are accepted (the digits carry no marker: an exact
# check covers them, where a substring search could find 12 digits in a hex digest by chance).
cards = clear_values() | st.text("0123456789", min_size=12, max_size=19)
rows_of = st.lists(st.tuples(cards, clear_values(), clear_values(), clear_values()), min_size=1, max_size=12)


def strings_in(value):
    """Every string anywhere in a JSON-like value (an output as it is stored, before any escaping)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from strings_in(k)
            yield from strings_in(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from strings_in(v)
    elif isinstance(value, bytes):
        yield value.decode("utf-8", "replace")


def parquet_strings(folder: Path) -> list[str]:
    """Every string a Parquet output holds: its rows, and the min/max statistics of its footers."""
    found = []
    for f in sorted(folder.glob("*.parquet")):
        found += strings_in(pq.read_table(f).to_pylist())
        meta = pq.ParquetFile(f).metadata
        for g in range(meta.num_row_groups):
            for c in range(meta.num_columns):
                stats = meta.row_group(g).column(c).statistics
                if stats is not None and stats.has_min_max:
                    found += strings_in([stats.min, stats.max])
    return found


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows_of)
@example(rows=[tuple(f"{v}{MARK}{i:06x}" for _ in range(4)) for i, v in enumerate(HOSTILE)])
def test_no_clear_value_of_a_privacy_column_reaches_staging_rejected_rows_reports_or_errors(spark, tmp_path, rows):
    run = tmp_path / uuid.uuid4().hex
    source = [(f"r{i}", *values) for i, values in enumerate(rows)]
    staged_rows(spark, source).write.parquet(str(run / "transformed"))
    counts, found = quality.split(spark.read.parquet(str(run / "transformed")), PRIVATE, lambda n: str(run / n))
    report = quality.report(counts, PRIVATE, found, "soft")
    errors = []
    for mode in ("soft", "hard"):
        try:
            quality.gate(counts, PRIVATE, mode)
        except quality.QualityGateFailed as e:
            errors.append(str(e))

    # Exactly what the rule says, in every output that shows the value.
    staged = {r["source_line"]: r for r in pq.read_table(run / "transformed").to_pylist()}
    rejected = {r["source_line"]: r for r in pq.read_table(run / "rejected").to_pylist()}
    accepted = {r["source_line"]: r for r in pq.read_table(run / "accepted").to_pylist()}
    assert staged.keys() == rejected.keys() | accepted.keys() and not rejected.keys() & accepted.keys()
    for line, (_, card, pin, name, _note) in enumerate(source, 2):
        s, trimmed = staged[line], card.strip(" ") or None
        assert (s["card_raw"], s["pin_raw"], s["name_hash_raw"]) == (masked(card, 4), masked(pin, 0), pseudonym(name))
        assert (s["_note_raw"], s["_note"]) == (None, None)
        if line in rejected:
            assert (rejected[line]["card"], rejected[line]["name"]) == (masked(card, 4), pseudonym(name))
            assert "note" not in rejected[line]
        else:
            assert accepted[line]["card"] == masked(trimmed, 4) and "_note" not in accepted[line]
    shown = {s[k] for s in staged.values() for k in ("card_raw", "pin_raw", "name_hash_raw", "_note_raw")}
    assert {e["value"] for r in report["rules"] for e in r["examples"]} <= shown

    # And no clear value anywhere, as a substring of any string any output holds.
    outputs = [
        *parquet_strings(run / "transformed"),
        *parquet_strings(run / "rejected"),
        *parquet_strings(run / "accepted"),
        *strings_in(report),
        *errors,
    ]
    clear = [v for values in rows for v in values if MARK in v]
    assert not [(v, o) for v in clear for o in outputs if v in o]


# --- The key appears in no plan. ---


def key_encodings(secret: bytes) -> dict[str, str]:
    """`secret` as a plan, a log or an error could print it."""
    words = [secret[i : i + 8] for i in range(0, len(secret) - len(secret) % 8, 8)]
    return {
        "latin-1": secret.decode("latin-1"),
        "utf-8": secret.decode("utf-8", "replace"),
        "hex": secret.hex(),
        "HEX": secret.hex().upper(),
        "X'…'": f"X'{secret.hex().upper()}'",
        "base64": base64.b64encode(secret).decode(),
        "base64url": base64.urlsafe_b64encode(secret).decode().rstrip("="),
        "repr": repr(bytearray(secret))[len("bytearray(b'") : -2],
        "bytes": str(list(secret))[1:-1],
        "signed bytes": str([b - 256 if b > 127 else b for b in secret])[1:-1],
        # An UnsafeRow prints its memory as 8-byte little-endian words in hex.
        "row words": ",".join(f"{int.from_bytes(w, 'little'):x}" for w in words),
    }


def hmac_pads(secret: bytes) -> list[bytes]:
    k = secret.ljust(64, b"\0")
    return [bytes(b ^ 0x36 for b in k), bytes(b ^ 0x5C for b in k)]


def event_log(spark) -> str:
    """The session's event log so far (conftest turns it on): once a marker query is in it, every earlier one is."""
    marker = f"event-log-marker-{uuid.uuid4().hex}"
    spark.range(1).select(F.lit(marker)).collect()
    folder = Path(urlparse(spark.conf.get("spark.eventLog.dir")).path)
    deadline = time.time() + 30
    while True:
        text = "".join(f.read_text(errors="replace") for f in folder.iterdir() if f.is_file())
        if marker in text:
            return text
        assert time.time() < deadline, f"the event log in {folder} did not record the marker query"
        time.sleep(0.1)


def test_the_hmac_key_and_its_pads_appear_in_no_plan_or_event_log_of_the_transform_stage(spark, tmp_path, capsys):
    secret = f"key-{uuid.uuid4().hex}".encode()
    path = write_csv(
        tmp_path, HEADER + "TX-000001,25/08/2021 09:00,Camden,Olivia Bennett,Tea,1,card,2.00,4929123456781234,Y\n"
    )
    # As the transform job runs them: read, type, protect, write the Parquet, count it.
    raw, rows = transform.transformed(spark, path, CAFE, "ing-key", path, None, secret)
    out = str(tmp_path / "transformed")
    rows.write.parquet(out)
    assert spark.read.parquet(out).count() == 1
    for mode in ("simple", "extended", "codegen", "cost", "formatted"):
        rows.explain(mode=mode)
    plans = capsys.readouterr().out
    logged = event_log(spark)
    assert "sha2(" in plans and "SparkListenerSQLExecutionStart" in logged and "sha2(" in logged
    assert pq.read_table(out).column("customer_hash").to_pylist() == [pseudonym("Olivia Bennett", secret)]
    for name, material in [("key", secret), ("inner pad", hmac_pads(secret)[0]), ("outer pad", hmac_pads(secret)[1])]:
        for encoding, text in key_encodings(material).items():
            assert text not in logged, f"the {name} ({encoding}) is in the event log"
            assert text not in plans, f"the {name} ({encoding}) is in a plan"
