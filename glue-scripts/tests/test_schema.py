"""The serving table follows the contract: created when missing, checked when present, evolved by a migration."""

import copy
import json

import psycopg
import pytest

from landing_etl import contract, schema

from .pipeline import DAILYCHECKIN, DATASETS

CAFE_RAW = json.loads((DATASETS / "cafe_transactions.json").read_text(encoding="utf-8"))
CAFE = contract.parse(CAFE_RAW, "cafe_transactions.json")


def columns(conn, table):
    return conn.execute(
        """SELECT column_name, format_type(a.atttypid, a.atttypmod), is_nullable = 'NO'
           FROM information_schema.columns c JOIN pg_attribute a
             ON a.attrelid = to_regclass(c.table_name) AND a.attname = c.column_name
           WHERE c.table_name = %s ORDER BY c.ordinal_position""",
        (table,),
    ).fetchall()


def indexes(conn, table):
    return sorted(r[0] for r in conn.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", (table,)))


@pytest.fixture
def fresh(db):
    db.execute("DROP TABLE IF EXISTS cafe_transactions, evolving")
    db.commit()
    return db


def test_the_load_creates_a_missing_table_with_typed_columns_lineage_and_the_contracts_indexes(fresh):
    assert schema.ensure(fresh, CAFE) is True
    assert columns(fresh, "cafe_transactions") == [
        ("id", "bigint", True),
        ("transaction_id", "character varying(12)", True),
        ("sold_at", "timestamp with time zone", True),
        ("branch", "character varying(40)", True),
        ("customer_hash", "text", False),
        ("items", "character varying(200)", True),
        ("item_count", "bigint", True),
        ("payment_type", "text", True),
        ("total", "numeric(10,2)", True),
        ("card_number", "text", False),
        ("loyalty_member", "boolean", False),
        ("ingestion_id", "text", True),
        ("source_object", "text", True),
        ("source_version", "text", False),
        ("source_line", "integer", True),
        ("loaded_at", "timestamp with time zone", True),
    ]
    assert indexes(fresh, "cafe_transactions") == [
        "CREATE INDEX cafe_transactions_branch_sold_at_idx ON public.cafe_transactions USING btree (branch, sold_at DESC)",
        "CREATE INDEX cafe_transactions_transaction_id_idx ON public.cafe_transactions USING btree (transaction_id)",
        "CREATE UNIQUE INDEX cafe_transactions_pkey ON public.cafe_transactions USING btree (id)",
    ]
    # The next load finds it as the contract describes it.
    assert schema.ensure(fresh, CAFE) is False


def test_the_hand_written_check_in_table_matches_its_contract(db):
    assert schema.ensure(db, DAILYCHECKIN) is False


def test_a_table_that_differs_from_the_contract_is_refused_naming_every_difference_and_left_as_it_was(fresh):
    fresh.execute(
        """CREATE TABLE cafe_transactions (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
             transaction_id text NOT NULL, sold_at timestamptz NOT NULL, branch varchar(40) NOT NULL,
             customer_hash text, items varchar(200) NOT NULL, item_count integer NOT NULL, payment_type text NOT NULL,
             card_number text, loyalty_member boolean NOT NULL, till text NOT NULL,
             ingestion_id text NOT NULL, source_object text NOT NULL, source_version text,
             source_line integer NOT NULL, loaded_at timestamptz NOT NULL DEFAULT now())"""
    )
    fresh.commit()
    before = columns(fresh, "cafe_transactions")
    with pytest.raises(schema.SchemaMismatch) as refused:
        schema.ensure(fresh, CAFE)
    assert str(refused.value) == (
        "table cafe_transactions does not match the contract of dataset cafe_transactions: "
        "column transaction_id is text, the contract says character varying(12); "
        "column item_count is integer, the contract says bigint; "
        "column total (numeric(10,2)) is missing; "
        "column loyalty_member is NOT NULL, but the contract lets it be empty; "
        "column till is NOT NULL without a default and not in the contract; "
        "index (branch, sold_at DESC) is missing; index (transaction_id) is missing. "
        "A change of shape needs a migration (docs/datasets.md: Evolve a dataset); nothing was loaded"
    )
    assert columns(fresh, "cafe_transactions") == before


@pytest.mark.parametrize(
    "key",
    [
        "branch, sold_at",  # ascending where the contract asks descending
        "branch DESC, sold_at",  # descending on the other column
        "sold_at, branch",  # the columns the other way round
        "sold_at DESC, branch",  # the right directions, the columns the other way round
    ],
)
def test_an_index_in_another_direction_or_column_order_is_refused_as_missing(fresh, key):
    # The contract asks (branch, sold_at desc): the table is as the load creates it but for that index.
    schema.ensure(fresh, CAFE)
    fresh.execute("DROP INDEX cafe_transactions_branch_sold_at_idx")
    fresh.execute(f"CREATE INDEX cafe_transactions_branch_sold_at_idx ON cafe_transactions ({key})")
    fresh.commit()
    before = indexes(fresh, "cafe_transactions")
    with pytest.raises(schema.SchemaMismatch) as refused:
        schema.ensure(fresh, CAFE)
    assert str(refused.value) == (
        "table cafe_transactions does not match the contract of dataset cafe_transactions: "
        "index (branch, sold_at DESC) is missing. "
        "A change of shape needs a migration (docs/datasets.md: Evolve a dataset); nothing was loaded"
    )
    assert indexes(fresh, "cafe_transactions") == before


def test_an_index_made_by_hand_with_the_contracts_columns_and_directions_is_accepted(fresh):
    schema.ensure(fresh, CAFE)
    fresh.execute("DROP INDEX cafe_transactions_branch_sold_at_idx")
    fresh.execute("CREATE INDEX cafe_transactions_branch_sold_at_idx ON cafe_transactions (branch ASC, sold_at DESC)")
    fresh.commit()
    assert schema.ensure(fresh, CAFE) is False


def test_a_dataset_evolves_by_a_migration_adding_the_column_and_keeps_its_rows(fresh):
    v1 = {
        "name": "evolving",
        "columns": [{"name": "a", "type": "string", "target": "a", "rules": [{"check": "required"}]}],
        "target": {"table": "evolving"},
    }
    schema.ensure(fresh, contract.parse(v1, "evolving.json"))
    fresh.execute(
        "INSERT INTO evolving (a, ingestion_id, source_object, source_line) VALUES ('kept', 'ing-1', 's3://o', 2)"
    )
    fresh.commit()
    v2 = copy.deepcopy(v1)
    v2["columns"].append(
        {"name": "n", "type": "integer", "target": "n", "rules": [{"check": "required"}]},
    )
    with pytest.raises(schema.SchemaMismatch, match=r"column n \(bigint\) is missing"):
        schema.ensure(fresh, contract.parse(v2, "evolving.json"))
    # The migration docs/datasets.md: Evolve a dataset shows: existing rows have no value, so the column is nullable.
    fresh.execute("ALTER TABLE evolving ADD COLUMN n bigint")
    fresh.commit()
    assert schema.ensure(fresh, contract.parse(v2, "evolving.json")) is False
    assert fresh.execute("SELECT a, n FROM evolving").fetchall() == [("kept", None)]


def test_concurrent_loads_of_a_new_dataset_create_its_table_once(fresh, database_url):
    import threading

    results, errors = [], []

    def load():
        try:
            with psycopg.connect(database_url) as conn:
                results.append(schema.ensure(conn, CAFE))
        except Exception as e:  # noqa: BLE001 - the test reports whatever a racing load raised
            errors.append(e)

    threads = [threading.Thread(target=load) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and sorted(results) == [False, False, False, True]
