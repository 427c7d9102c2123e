import hashlib
import hmac
import json
import threading

import pyarrow.parquet as pq
import pytest
from pyspark.sql import functions as F

from landing_etl import contract, quality

from .pipeline import DAILYCHECKIN, DATASETS, MIXED, checked, split_size, transformed, write_csv


def test_a_mixed_file_accepts_exactly_the_rows_the_contract_accepts_and_says_why_for_each_refused_one(spark, tmp_path):
    rows = checked(spark, write_csv(tmp_path, MIXED)).cache()
    accepted = quality.accepted(rows, DAILYCHECKIN)
    assert sorted((r.source_line, r.username, r.project, str(r.hours)) for r in accepted.collect()) == [
        (2, "ana", "apollo", "0.080000"),
        (3, "ana", "apollo", "2.500000"),
        (4, "boris", "gemini", "7.250000"),
        (14, "chen", "mercury", "24.000000"),
    ]
    assert accepted.columns == ["username", "ts", "hours", "project", *quality.LINEAGE]
    refused = {
        r.source_line: [(f.rule, f.column, f.value, f.severity) for f in r.failures]
        for r in quality.rejected(rows, DAILYCHECKIN).collect()
    }
    assert refused == {
        6: [("user.required", "user", None, "quarantine")],
        7: [("timestamp.required", "timestamp", None, "quarantine")],
        8: [("timestamp.format", "timestamp", "2018-13-27 09:00:00 UTC", "quarantine")],
        9: [("hours.required", "hours", None, "quarantine")],
        10: [("hours.format", "hours", "one", "quarantine")],
        11: [("hours.range", "hours", "0", "quarantine")],
        12: [("hours.range", "hours", "24.5", "quarantine")],
        13: [("project.required", "project", "  ", "quarantine")],
    }
    counts = quality.count(rows, DAILYCHECKIN)
    assert (counts.rows, counts.accepted, counts.rejected, counts.duplicates) == (13, 4, 8, 1)
    report = quality.report(counts, DAILYCHECKIN, quality.examples(rows, DAILYCHECKIN), "soft")
    by_rule = {r["rule"]: r for r in report["rules"]}
    assert by_rule["hours.range"]["failed"] == 2 and by_rule["hours.range"]["checked"] == 13
    assert by_rule["hours.range"]["examples"] == [
        {"line": 11, "value": "0", "reason": "value must be > 0 and <= 24"},
        {"line": 12, "value": "24.5", "reason": "value must be > 0 and <= 24"},
    ]
    assert by_rule["timestamp.format"]["examples"][0]["reason"].startswith("not a timestamp in one of the formats")
    with pytest.raises(
        quality.QualityGateFailed, match=r"8 of 13 rows rejected \(61.5%\), above max_reject_ratio 5.0%"
    ):
        quality.gate(counts, DAILYCHECKIN, "soft")


SEVERITIES = contract.parse(
    {
        "name": "s",
        "columns": [
            {"name": "code", "type": "string", "target": "code", "rules": [{"check": "pattern", "regex": "[A-Z]{3}"}]},
            {
                "name": "colour",
                "type": "string",
                "target": "colour",
                "rules": [{"check": "allowed", "values": ["red", "blue"], "on_fail": "warn"}],
            },
            {"name": "n", "type": "integer", "target": "n", "rules": [{"check": "range", "max": 9, "on_fail": "fail"}]},
        ],
        "target": {"table": "t"},
        "quality": {"max_reject_ratio": 1},
    },
    "severities.json",
)


def test_warn_counts_quarantine_rejects_and_fail_stops_the_run_after_the_outputs(spark, tmp_path):
    text = "code,colour,n\nABC,red,1\nabc,red,2\nDEF,green,3\nGHI,blue,10\nJKL,blue,x\n"
    rows = checked(spark, write_csv(tmp_path, text), SEVERITIES).cache()
    assert sorted((r.code, r.colour) for r in quality.accepted(rows, SEVERITIES).collect()) == [
        ("ABC", "red"),
        ("DEF", "green"),  # warn: kept
    ]
    assert sorted((r.source_line, r.failures[0].rule) for r in quality.rejected(rows, SEVERITIES).collect()) == [
        (3, "code.pattern"),
        (5, "n.range"),
        (6, "n.format"),
    ]
    counts = quality.count(rows, SEVERITIES)
    assert {rule: n for rule, n in counts.failed_by_rule.items() if n} == {
        "code.pattern": 1,
        "colour.allowed": 1,
        "n.range": 1,
        "n.format": 1,
    }
    with pytest.raises(quality.QualityGateFailed, match=r"on_fail=fail failed: n.range \(1 rows\); 5 rows checked"):
        quality.gate(counts, SEVERITIES, "soft")


# More than EXAMPLES failures of one rule, read by several tasks, so that the earliest lines must be picked.
MANY_RANGE = MIXED + "".join(f"dan,2018-11-27 09:00:00 UTC,{30 + i},gemini\n" for i in range(6))  # 15-20 hours.range


@pytest.mark.parametrize(
    ("spec", "text", "lines"),
    [
        # No warn rule: the examples come from the rejected rows written.
        (DAILYCHECKIN, MANY_RANGE, {"hours.range": [11, 12, 15], "user.required": [6], "project.required": [13]}),
        # A warn rule failed on an accepted row (line 4): a pass over every checked row.
        (SEVERITIES, "code,colour,n\nABC,red,1\nabc,red,2\nDEF,green,3\nGHI,blue,10\n", {"colour.allowed": [4]}),
        (DAILYCHECKIN, "user,timestamp,hours,project\nana,2018-11-26 14:47:36 UTC,1,apollo\n", {}),
    ],
    ids=["from-rejected-output", "warn-failed", "clean"],
)
def test_the_stage_reports_the_same_counts_and_examples_as_passes_over_every_checked_row(
    spark, tmp_path, spec, text, lines
):
    staged = str(tmp_path / "transformed")
    with split_size(spark, 200):
        rows = checked(spark, write_csv(tmp_path, text), spec, staged=staged)
        counts, found = quality.split(spark.read.parquet(staged), spec, lambda name: str(tmp_path / name))
        assert found == quality.examples(rows, spec)
        assert counts == quality.count(rows, spec)  # the duplicates from the repeated keys, the rest observed
    for rule, expected in lines.items():
        assert [e["line"] for e in found[rule]] == expected
    assert set(found) >= set(lines) and (lines or not found)


def gate_counts(rows, rejected, duplicates=0):
    return quality.Counts(rows, rejected, duplicates, {"hours.range": rejected})


def test_hard_mode_fails_on_any_rejected_row_and_soft_mode_tolerates_up_to_the_ratio():
    quality.gate(gate_counts(100, 5), DAILYCHECKIN, "soft")
    with pytest.raises(quality.QualityGateFailed, match=r"hard mode: 1 of 100 rows rejected \(hours.range: 1\)"):
        quality.gate(gate_counts(100, 1), DAILYCHECKIN, "hard")
    with pytest.raises(
        quality.QualityGateFailed, match=r"6 of 100 rows rejected \(6.0%\), above max_reject_ratio 5.0%"
    ):
        quality.gate(gate_counts(100, 6), DAILYCHECKIN, "soft")


def test_min_rows_fails_a_file_with_too_few_accepted_rows():
    with pytest.raises(
        quality.QualityGateFailed, match=r"0 rows accepted, fewer than min_rows 1 \(2 rows in, 0 rejected"
    ):
        quality.gate(gate_counts(2, 0, duplicates=2), DAILYCHECKIN, "soft")
    with pytest.raises(quality.QualityGateFailed, match=r"0 rows accepted, fewer than min_rows 1 \(0 rows in"):
        quality.gate(gate_counts(0, 0), DAILYCHECKIN, "soft")


def with_changes(base: str, **changes) -> contract.Contract:
    """The dailycheckin contract with some top-level fields changed."""
    raw = json.loads((DATASETS / f"{base}.json").read_text())
    return contract.parse({**raw, **changes}, f"{base}-variant.json")


def test_the_deployments_quality_mode_overrides_the_contracts_and_without_one_the_contract_decides():
    hard = with_changes("dailycheckin", quality={"mode": "hard"})
    soft = with_changes("dailycheckin", quality={"mode": "soft"})
    assert [quality.mode_for("hard", soft), quality.mode_for("soft", hard)] == ["hard", "soft"]
    # What a job is given when no mode is set: nothing, or the state machine's rendering of a missing value.
    for requested in ("", "null", "None", "HARD", "strict"):
        assert (quality.mode_for(requested, hard), quality.mode_for(requested, soft)) == ("hard", "soft"), requested
    # And the mode decides the gate: the same counts pass in soft mode and fail in hard mode.
    quality.gate(gate_counts(100, 1), soft, quality.mode_for("", soft))
    with pytest.raises(quality.QualityGateFailed, match="hard mode"):
        quality.gate(gate_counts(100, 1), soft, quality.mode_for("hard", soft))


def test_each_task_writes_its_accepted_rows_in_the_serving_index_order(spark, tmp_path):
    # dailycheckin's table is indexed on (username, ts DESC, id DESC): the rows carry username and ts, not id.
    users = ["chen", "ana", "boris", "ana", "chen", "boris", "ana", "dora", "chen", "ana"]
    text = "user,timestamp,hours,project\n" + "".join(
        f"{u},2018-11-{10 + (i * 7) % 17:02d} 09:00:00 UTC,{i + 1},apollo\n" for i, u in enumerate(users)
    )
    with split_size(spark, 150):
        staged = str(tmp_path / "transformed")
        checked(spark, write_csv(tmp_path, text), staged=staged)
        quality.split(spark.read.parquet(staged), DAILYCHECKIN, lambda name: str(tmp_path / name))
    files = sorted((tmp_path / "accepted").glob("*.parquet"))
    in_files = [pq.read_table(f, columns=["username", "ts"]).to_pylist() for f in files]
    assert len([rows for rows in in_files if len(rows) > 1]) >= 2  # several tasks, each with rows to order
    for rows in in_files:
        keys = [(r["username"], -r["ts"].timestamp()) for r in rows]
        assert keys == sorted(keys)
    assert sum(len(rows) for rows in in_files) == len(users)


def test_the_load_order_is_the_leading_columns_of_the_first_index_that_the_rows_carry():
    def order(*indexes):
        spec = with_changes("dailycheckin", target={"table": "t", "indexes": [{"columns": list(i)} for i in indexes]})
        return [str(c) for c in quality.load_order(spec)]

    assert order(["project", "ts desc", "id desc", "hours"]) == [
        str(F.col("project").asc_nulls_last()),
        str(F.col("ts").desc_nulls_first()),
    ]
    assert order(["id"], ["username"]) == []  # the first index leads with the table's own id
    assert order() == []


@pytest.fixture(params=["broadcast", "shuffled"])
def repeated_keys_joined(request, monkeypatch):
    """Both ways the repeated dedup keys go back to the rows: broadcast (a daily file's few), or shuffled (past
    BROADCAST_KEYS)."""
    if request.param == "shuffled":
        monkeypatch.setattr(quality, "BROADCAST_KEYS", -1)
    return request.param


def test_dedup_on_some_columns_drops_later_lines_equal_on_those_columns_only(spark, tmp_path, repeated_keys_joined):
    # Two check-ins of one user at one time are one, whatever their hours or project say; the earliest line stays.
    spec = with_changes("dailycheckin", dedup={"columns": ["username", "ts"]})
    text = (
        "user,timestamp,hours,project\n"
        "ana,2018-11-26 14:47:36 UTC,1,apollo\n"  # 2 kept
        "ana,11/26/2018 02:47 PM,2,gemini\n"  # 3 another time (14:47:00): kept
        " ana ,2018-11-26 14:47:36.000 UTC,3,gemini\n"  # 4 same user and time as line 2: duplicate
        "bob,2018-11-26 14:47:36 UTC,1,apollo\n"  # 5 another user: kept
        "ana,2018-11-26 14:47:36 UTC,0,apollo\n"  # 6 rejected (hours.range): not a duplicate, not a keeper
        "ana,2018-11-26 14:47:36 UTC,1,apollo\n"  # 7 duplicate of line 2
    )
    rows = checked(spark, write_csv(tmp_path, text), spec).cache()
    flags = {
        r.source_line: (r.rejected, r.duplicate) for r in rows.select("source_line", "rejected", "duplicate").collect()
    }
    assert flags == {
        2: (False, False),
        3: (False, False),
        4: (False, True),
        5: (False, False),
        6: (True, False),
        7: (False, True),
    }
    counts = quality.count(rows, spec)
    assert (counts.rows, counts.rejected, counts.duplicates, counts.accepted) == (6, 1, 2, 3)
    loaded = quality.accepted(rows, spec).orderBy("source_line").collect()
    assert [(r.source_line, r.username, str(r.hours), r.project) for r in loaded] == [
        (2, "ana", "1.000000", "apollo"),
        (3, "ana", "2.000000", "gemini"),
        (5, "bob", "1.000000", "apollo"),
    ]


PRIVATE = contract.parse(
    {
        "name": "p",
        "columns": [
            {
                "name": "email",
                "type": "string",
                "target": "email_hash",
                "privacy": "hash",
                "rules": [{"check": "required"}],
            },
            {"name": "phone", "type": "string", "target": "phone", "privacy": "mask", "mask_keep": 2},
            {"name": "note", "type": "string", "privacy": "drop"},
            {"name": "n", "type": "integer", "target": "n"},
        ],
        "target": {"table": "t"},
        "quality": {"max_reject_ratio": 1},
    },
    "private.json",
)


def test_privacy_hashes_with_the_key_masks_and_drops_before_anything_leaves_the_job(spark, tmp_path):
    key = b"deployment-key"
    text = "email,phone,note,n\nann@x.org,+4412345,secret,1\nann@x.org,+4499,other,2\nbob@x.org,12,n,bad\n"
    rows = checked(spark, write_csv(tmp_path, text), PRIVATE, secret=key).cache()
    accepted = quality.accepted(rows, PRIVATE)
    assert accepted.columns == ["email_hash", "phone", "n", *quality.LINEAGE]
    expected = hmac.new(key, b"ann@x.org", hashlib.sha256).hexdigest()
    assert sorted((r.email_hash, r.phone) for r in accepted.collect()) == [(expected, "******45"), (expected, "***99")]
    (bad,) = quality.rejected(rows, PRIVATE).collect()
    assert "note" not in bad.asDict() and bad.email == hmac.new(key, b"bob@x.org", hashlib.sha256).hexdigest()
    assert (bad.phone, bad.failures[0].rule, bad.failures[0].value) == ("12", "n.format", "bad")


def test_dailycheckin_quarantines_implausible_dates_users_the_api_could_not_serve_and_bytes_not_utf8(spark, tmp_path):
    text = (
        "user,timestamp,hours,project\n"
        "ana,1999-12-31 23:59:59 UTC,1,apollo\n"  # 2 before 2000
        "ana,2100-01-01 00:00:00 UTC,1,apollo\n"  # 3 far future
        f"{'x' * 101},2020-01-01 00:00:00 UTC,1,apollo\n"  # 4 longer than the API accepts
        "ana\u0007bell,2020-01-01 00:00:00 UTC,1,apollo\n"  # 5 a control character
        "ana,2000-01-01 00:00:00 UTC,1,apollo\n"  # 6 the first accepted instant
        f"{'y' * 100},2099-12-31 23:59:59 UTC,1,apollo\n"  # 7
    )
    path = write_csv(tmp_path, text)
    with open(path, "ab") as f:
        f.write("Jos\xe9,2020-01-01 00:00:00 UTC,1,apollo\n".encode("latin-1"))  # 8 Latin-1, not UTF-8
    rows = checked(spark, path, DAILYCHECKIN).cache()
    refused = sorted(
        (r.source_line, [f.rule for f in r.failures]) for r in quality.rejected(rows, DAILYCHECKIN).collect()
    )
    assert refused == [
        (2, ["timestamp.range"]),
        (3, ["timestamp.range"]),
        (4, ["user.pattern"]),
        (5, ["user.pattern"]),
        (8, ["user.encoding"]),
    ]
    assert sorted(r.source_line for r in quality.accepted(rows, DAILYCHECKIN).collect()) == [6, 7]


def test_dedup_treats_empty_optional_values_as_equal(spark, tmp_path, repeated_keys_joined):
    # With no rule on project, a missing project is a value like any other: two lines alike but for nothing are one.
    raw = json.loads((DATASETS / "dailycheckin.json").read_text())
    columns = [{**c, "rules": []} if c["name"] == "project" else c for c in raw["columns"]]
    spec = contract.parse({**raw, "columns": columns}, "dailycheckin-optional-project.json")
    text = (
        "user,timestamp,hours,project\n"
        "ana,2018-11-26 14:47:36 UTC,1,\n"  # 2 kept
        "ana,2018-11-26 14:47:36 UTC,1,apollo\n"  # 3 kept: a project is not no project
        "ana,2018-11-26 14:47:36 UTC,1,\n"  # 4 duplicate of line 2
        "ana,2018-11-26 14:47:36 UTC,1,apollo\n"  # 5 duplicate of line 3
    )
    rows = checked(spark, write_csv(tmp_path, text), spec)
    flags = {r.source_line: r.duplicate for r in rows.select("source_line", "duplicate").collect()}
    assert flags == {2: False, 3: False, 4: True, 5: True}


def test_runs_side_by_side_in_one_driver_each_count_their_own_rows(spark, tmp_path):
    # The local stack's warm driver runs job runs side by side in one Spark session. Run A's counts are observed while
    # it writes its rejected rows; run B writes and finishes in between, and A must still count A's rows.
    def staged(name: str, text: str):
        out = str(tmp_path / f"{name}-staged")
        transformed(spark, write_csv(tmp_path, text, f"{name}.csv")).write.parquet(out)
        return spark.read.parquet(out)

    header = "user,timestamp,hours,project\n"
    a = staged("a", header + "ana,2018-11-26 14:47:36 UTC,1,apollo\nana,2018-11-26 14:47:36 UTC,99,apollo\n")
    b = staged("b", header + "".join(f"bob{i},2018-11-26 14:47:36 UTC,1,apollo\n" for i in range(5)))
    b_done = threading.Event()

    def location(name: str, wait: threading.Event | None = None):
        def path(kind):  # asked for right before each write
            if wait is not None and kind == "rejected":
                wait.wait(120)
            return str(tmp_path / f"{name}-{kind}")

        return path

    results = {}
    run_a = threading.Thread(target=lambda: results.update(a=quality.split(a, DAILYCHECKIN, location("a", b_done))[0]))
    run_a.start()
    results["b"] = quality.split(b, DAILYCHECKIN, location("b"))[0]
    b_done.set()
    run_a.join(120)
    assert (results["a"].rows, results["a"].rejected, results["a"].failed_by_rule["hours.range"]) == (2, 1, 1)
    assert (results["b"].rows, results["b"].rejected) == (5, 0)


@pytest.mark.parametrize("on_fail", ["quarantine", "warn"], ids=["from-rejected-output", "warn-pass"])
def test_a_report_example_of_a_huge_value_is_cut_to_its_first_characters_saying_how_many_were_cut(
    spark, tmp_path, on_fail
):
    rules = [{"check": "pattern", "regex": "[a-z]{1,10}", "on_fail": on_fail}]
    spec = contract.parse(
        {
            "name": "huge",
            "columns": [{"name": "v", "type": "string", "target": "v", "rules": rules}],
            "target": {"table": "huge"},
            "quality": {"mode": "soft", "max_reject_ratio": 1},
        },
        "huge.json",
    )
    value = "é" + "x" * (10 * 1024 * 1024)
    staged = str(tmp_path / "transformed")
    checked(spark, write_csv(tmp_path, f"v\nok\n{value}\n"), spec, staged=staged)
    counts, found = quality.split(spark.read.parquet(staged), spec, lambda name: str(tmp_path / name))
    cut = len(value) - quality.EXAMPLE_CHARS
    assert found["v.pattern"] == [
        {
            "line": 3,
            "value": f"{value[: quality.EXAMPLE_CHARS]}… ({cut} more characters)",
            "reason": "value does not match the pattern [a-z]{1,10}",
        }
    ]
    assert len(json.dumps(quality.report(counts, spec, found, "soft"))) < 2_000
    # The rejected rows keep the value whole: they are the evidence, in staging, not in the report the API serves.
    if on_fail == "quarantine":
        assert pq.read_table(str(tmp_path / "rejected")).column("v").to_pylist() == [value]
