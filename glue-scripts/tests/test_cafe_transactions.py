"""The second bundled dataset, cafe till transactions (UK local times, money, customer names and card numbers),
through the jobs' code: every rule and severity, the quality report, privacy before staging, the load into the
table its contract creates, reloads, and the exact rows out of the bundled sample."""

import hashlib
import hmac
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from landing_etl import contract, load, quality, schema, transform

from .conftest import REPO
from .pipeline import DATASETS, checked, split_size, write_csv

CAFE = contract.load(str(DATASETS), "cafe_transactions")
KEY = b"cafe-test-key"
HEADER = "Transaction ID,Date,Branch,Customer Name,Items,Item Count,Payment Type,Total,Card Number,Loyalty Member\n"
LONG_ITEMS = "Latte; " * 30
# One line per rule: the line each rule fails on (and nothing else does).
LINES = [
    "TX-000001,25/08/2021 09:00,Camden,Olivia Bennett,Flat white,1,card,3.20,4929123456781234,Y",  # 2 accepted
    ",25/08/2021 09:01,Camden,,Tea,1,cash,2.00,,N",  # 3 Transaction ID.required
    "TX-0000000003,25/08/2021 09:02,Camden,,Tea,1,cash,2.00,,N",  # 4 Transaction ID.format (13 > 12 characters)
    "TX-00A004,25/08/2021 09:03,Camden,,Tea,1,cash,2.00,,N",  # 5 Transaction ID.pattern
    "TX-000005,,Camden,,Tea,1,cash,2.00,,N",  # 6 Date.required
    "TX-000006,2021-08-25 09:05,Camden,,Tea,1,cash,2.00,,N",  # 7 Date.format
    "TX-000007,28/03/2021 01:30,Camden,,Tea,1,cash,2.00,,N",  # 8 Date.format: skipped by the clocks
    "TX-000008,31/10/2021 01:30,Camden,,Tea,1,cash,2.00,,N",  # 9 Date.format: passed twice
    "TX-000009,01/01/2014 10:00,Camden,,Tea,1,cash,2.00,,N",  # 10 Date.range
    "TX-000010,25/08/2021 09:09,,,Tea,1,cash,2.00,,N",  # 11 Branch.required
    f"TX-000011,25/08/2021 09:10,{'Camden' * 7},,Tea,1,cash,2.00,,N",  # 12 Branch.format (42 > 40)
    "TX-000012,25/08/2021 09:11,Camden,,,1,cash,2.00,,N",  # 13 Items.required
    f"TX-000013,25/08/2021 09:12,Camden,,{LONG_ITEMS},1,cash,2.00,,N",  # 14 Items.format (210 > 200)
    "TX-000014,25/08/2021 09:13,Camden,,Tea,,cash,2.00,,N",  # 15 Item Count.required
    "TX-000015,25/08/2021 09:14,Camden,,Tea,two,cash,2.00,,N",  # 16 Item Count.format
    "TX-000016,25/08/2021 09:15,Camden,,Party box,25,card,80.00,5454545454545454,N",  # 17 Item Count.range (warn)
    "TX-000017,25/08/2021 09:16,Camden,,Tea,1,,2.00,,N",  # 18 Payment Type.required
    "TX-000018,25/08/2021 09:17,Camden,,Tea,1,cheque,2.00,,N",  # 19 Payment Type.allowed
    "TX-000019,25/08/2021 09:18,Camden,,Tea,1,cash,,,N",  # 20 Total.required
    "TX-000020,25/08/2021 09:19,Camden,,Tea,1,cash,4.505,,N",  # 21 Total.format (3 decimals in a scale-2 column)
    "TX-000021,25/08/2021 09:20,Camden,,Tea,1,cash,0.00,,N",  # 22 Total.range
    "TX-000022,25/08/2021 09:21,Camden,Ada Lovelace,Tea,1,card,2.00,4111-1111,N",  # 23 Card Number.pattern
    "TX-000023,25/08/2021 09:22,Camden,,Tea,1,cash,2.00,,maybe",  # 24 Loyalty Member.format (warn)
    "TX-000024,25/08/2021 09:23,Camden,,T\udcffa,1,cash,2.00,,N",  # 25 Items.encoding (a byte that is not UTF-8)
    "TX-000001,25/08/2021 09:00,Camden,Olivia Bennett,Flat white,1,card,3.20,4929123456781234,Y",  # 26 duplicate
    "TX-000026,31/10/2021 02:30,Brixton,Chloé Martin,Mocha,2,contactless,7.80,374245455400126,yes",  # 27 accepted
]
REJECTED = {
    3: "Transaction ID.required",
    4: "Transaction ID.format",
    5: "Transaction ID.pattern",
    6: "Date.required",
    7: "Date.format",
    8: "Date.format",
    9: "Date.format",
    10: "Date.range",
    11: "Branch.required",
    12: "Branch.format",
    13: "Items.required",
    14: "Items.format",
    15: "Item Count.required",
    16: "Item Count.format",
    18: "Payment Type.required",
    19: "Payment Type.allowed",
    20: "Total.required",
    21: "Total.format",
    22: "Total.range",
    23: "Card Number.pattern",
    25: "Items.encoding",
}


def every_rule_file(tmp_path: Path) -> str:
    path = tmp_path / "cafe.csv"
    path.write_bytes((HEADER + "\n".join(LINES) + "\n").encode("utf-8", "surrogateescape"))
    return str(path)


def pseudonym(name: str) -> str:
    return hmac.new(KEY, name.encode(), hashlib.sha256).hexdigest()


@pytest.fixture(scope="module")
def every_rule(spark, tmp_path_factory):
    """The every-rule file read as a large file is on a cluster: in splits of 400 bytes, by several tasks."""
    folder = tmp_path_factory.mktemp("cafe")
    staged = str(folder / "transformed")
    with split_size(spark, 400):
        assert transform.read_source(spark, every_rule_file(folder)).partitions > 3
        rows = checked(spark, every_rule_file(folder), CAFE, staged=staged, secret=KEY).cache()
    yield staged, rows
    rows.unpersist()


def test_every_rule_fails_on_its_line_alone_with_its_severity(every_rule):
    _, rows = every_rule
    refused = {r.source_line: [f.rule for f in r.failures] for r in quality.rejected(rows, CAFE).collect()}
    assert refused == {line: [rule] for line, rule in REJECTED.items()}
    warned = {
        r.source_line: [(f.rule, f.severity) for f in r.failures]
        for r in rows.withColumn("failures", quality.failures(CAFE))
        .filter("not rejected and size(failures) > 0")
        .collect()
    }
    assert warned == {17: [("Item Count.range", "warn")], 24: [("Loyalty Member.format", "warn")]}
    assert sorted(r.source_line for r in quality.accepted(rows, CAFE).collect()) == [2, 17, 24, 27]
    counts = quality.count(rows, CAFE)
    assert (counts.rows, counts.accepted, counts.rejected, counts.duplicates) == (26, 4, 21, 1)


def test_the_quality_report_counts_each_rule_and_shows_why_with_privacy_applied(every_rule):
    _, rows = every_rule
    report = quality.report(quality.count(rows, CAFE), CAFE, quality.examples(rows, CAFE), "soft")
    by_rule = {r["rule"]: r for r in report["rules"]}
    assert (report["rowsIn"], report["accepted"], report["rejected"], report["duplicates"]) == (26, 4, 21, 1)
    assert {r: (x["severity"], x["failed"]) for r, x in by_rule.items() if x["failed"]} == {
        **{rule: ("quarantine", 1) for rule in REJECTED.values() if rule != "Date.format"},
        "Date.format": ("quarantine", 3),
        "Item Count.range": ("warn", 1),
        "Loyalty Member.format": ("warn", 1),
    }
    assert by_rule["Branch.allowed"] == {
        "rule": "Branch.allowed",
        "severity": "fail",
        "checked": 26,
        "failed": 0,
        "examples": [],
    }
    assert by_rule["Date.format"]["examples"] == [
        {
            "line": 7,
            "value": "2021-08-25 09:05",
            "reason": "not a timestamp in one of the formats dd/MM/yyyy HH:mm (Europe/London)",
        },
        {
            "line": 8,
            "value": "28/03/2021 01:30",
            "reason": "2021-03-28 01:30:00 did not happen in Europe/London (the clocks went forward)",
        },
        {
            "line": 9,
            "value": "31/10/2021 01:30",
            "reason": "2021-10-31 01:30:00 happened twice in Europe/London (the clocks went back): which one is not said",
        },
    ]
    assert by_rule["Card Number.pattern"]["examples"] == [
        {"line": 23, "value": "*****1111", "reason": "value does not match the pattern [0-9]{12,19}"}
    ]
    assert by_rule["Total.format"]["examples"][0]["reason"] == (
        "not a decimal number with at most 8 digit(s) before the point and 2 after it"
    )
    with pytest.raises(quality.QualityGateFailed, match=r"21 of 26 rows rejected \(80.8%\), above max_reject_ratio"):
        quality.gate(quality.count(rows, CAFE), CAFE, "soft")


def test_no_clear_card_number_or_customer_name_reaches_staging(every_rule):
    transformed, rows = every_rule
    staged = pq.read_table(transformed).to_pylist()
    written = {str(v) for row in staged for v in row.values()}
    for secret in ("4929123456781234", "4111-1111", "Olivia Bennett", "Ada Lovelace", "Chloé Martin"):
        assert not any(secret in v for v in written), secret
    (olivia,) = [r for r in staged if r["source_line"] == 2]
    assert (olivia["customer_hash"], olivia["customer_hash_raw"]) == (pseudonym("Olivia Bennett"),) * 2
    assert (olivia["card_number"], olivia["card_number_raw"]) == ("************1234",) * 2
    (bad,) = [r for r in quality.rejected(rows, CAFE).collect() if r.source_line == 23]
    assert (bad["Customer Name"], bad["Card Number"]) == (pseudonym("Ada Lovelace"), "*****1111")


def test_a_branch_the_contract_does_not_know_fails_the_run(spark, tmp_path):
    text = HEADER + LINES[0] + "\nTX-000002,25/08/2021 10:00,Soho,,Tea,1,cash,2.00,,N\n"
    rows = checked(spark, write_csv(tmp_path, text), CAFE, secret=KEY)
    with pytest.raises(
        quality.QualityGateFailed, match=r"rule\(s\) with on_fail=fail failed: Branch.allowed \(1 rows\)"
    ):
        quality.gate(quality.count(rows, CAFE), CAFE, "soft")


SAMPLE = REPO / "samples" / "cafe_transactions-sample.csv"
OBJECT = "s3://landing/cafe_transactions/2021-08-26/till.csv"
COLUMNS = [c.key for c in CAFE.loaded_columns]


def load_file(spark, db, database_url, tmp_path, path: str, ingestion_id: str):
    """transform, test and load as the jobs chain them: the accepted rows staged over two connections, then swapped."""
    accepted = tmp_path / f"{ingestion_id}-accepted"
    rows = checked(spark, path, CAFE, secret=KEY, ingestion_id=ingestion_id, source_uri=OBJECT)
    quality.accepted(rows, CAFE).write.parquet(str(accepted))
    schema.ensure(db, CAFE)
    db.commit()  # the staging table is created from the serving table's shape, over other connections
    version = load.Version(datetime.now(UTC))
    return load.load(database_url, CAFE.table, COLUMNS, str(accepted), ingestion_id, OBJECT, None, version, 2)


def served(db):
    return db.execute(
        """SELECT source_line, transaction_id, sold_at, branch, customer_hash, items, item_count, payment_type, total,
                  card_number, loyalty_member, ingestion_id FROM cafe_transactions ORDER BY source_line"""
    ).fetchall()


def at(*args):
    return datetime(*args, tzinfo=UTC)


def test_the_bundled_sample_loads_exactly_these_rows_and_a_new_version_replaces_them(spark, db, database_url, tmp_path):
    db.execute("DROP TABLE IF EXISTS cafe_transactions")
    db.commit()
    first = load_file(spark, db, database_url, tmp_path, str(SAMPLE), "ing-1")
    olivia, priya = pseudonym("Olivia Bennett"), pseudonym("Priya Patel")
    mohammed, chloe = pseudonym("Mohammed Khan"), pseudonym("Chloé Martin")
    daniel, tom = pseudonym("Daniel O'Connor"), pseudonym("Tom Hughes")
    rows = [
        (2, "TX-000101", at(2021, 8, 25, 7, 2), "Camden", olivia, "Flat white; almond croissant", 2, "contactless",
         Decimal("6.40"), "************1234", True, "ing-1"),
        (3, "TX-000102", at(2021, 8, 25, 7, 15), "Camden", None, "Americano", 1, "cash", Decimal("2.80"), None, False,
         "ing-1"),
        (4, "TX-000103", at(2021, 8, 25, 7, 31), "Shoreditch", mohammed, "Latte; banana bread; orange juice", 3, "card",
         Decimal("9.75"), "************5454", True, "ing-1"),
        (5, "TX-000104", at(2021, 8, 25, 8, 0), "Brixton", chloe, "Cappuccino, oat milk", 1, "contactless",
         Decimal("3.60"), "***********0126", False, "ing-1"),
        (6, "TX-000105", at(2021, 8, 25, 11, 47), "Islington", olivia, "Soup of the day; sourdough; sparkling water", 3,
         "card", Decimal("11.20"), "************1234", True, "ing-1"),
        (7, "TX-000106", at(2021, 8, 25, 12, 5), "Shoreditch", daniel, "Club sandwich; crisps; cola", 3, "cash",
         Decimal("8.95"), None, False, "ing-1"),
        (8, "TX-000107", at(2021, 8, 26, 6, 58), "Camden", priya, "Espresso", 1, "contactless", Decimal("2.20"),
         "************9424", True, "ing-1"),
        (9, "TX-000108", at(2021, 8, 26, 16, 30), "Brixton", tom, "Catering box (24 pastries)", 24, "card",
         Decimal("58.50"), "************1111", False, "ing-1"),
    ]  # fmt: skip
    assert served(db) == rows
    assert (first.rows_in, first.rows_out, first.replaced) == (8, 8, 0)
    # Each type in its natural JSON form: numbers, booleans, ISO times.
    db.execute("SET TimeZone = 'UTC'")
    (as_json,) = db.execute("SELECT row_to_json(c) FROM cafe_transactions c WHERE source_line = 2").fetchone()
    assert (as_json["total"], as_json["item_count"], as_json["loyalty_member"], as_json["sold_at"]) == (
        6.40,
        2,
        True,
        "2021-08-25T07:02:00+00:00",
    )

    fixed = tmp_path / "till-v2.csv"
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    fixed.write_text("\n".join([lines[0], lines[1], lines[9].replace("24:10", "14:10")]) + "\n", encoding="utf-8")
    second = load_file(spark, db, database_url, tmp_path, str(fixed), "ing-2")
    assert (second.rows_out, second.replaced) == (2, 8)
    assert [(r[0], r[1], r[2], r[-1]) for r in served(db)] == [
        (2, "TX-000101", at(2021, 8, 25, 7, 2), "ing-2"),
        (3, "TX-000109", at(2021, 8, 26, 13, 10), "ing-2"),
    ]
