"""The serving table follows the contract: created from it when missing, compared with it when present.

The load calls `ensure` once before its swap. A missing table is created (typed columns, identity id, lineage
columns, the contract's indexes); an existing one must match, or the load stops with every difference named and
the table untouched. A change of shape (a new column, a wider type) is a hand-written migration in migrations/
(docs/datasets.md: Evolve a dataset): the table may then be looser than the contract (a column nullable where the contract
requires a value), never stricter or of another type."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

from .contract import Column, Contract


class SchemaMismatch(RuntimeError):
    pass


@dataclass(frozen=True)
class TableColumn:
    name: str
    type: str  # as PostgreSQL's format_type() spells it
    not_null: bool
    has_default: bool = False


# Lineage beside every dataset's own columns: which ingestion and which line of which object loaded each row.
LINEAGE = (
    TableColumn("ingestion_id", "text", True),
    TableColumn("source_object", "text", True),
    TableColumn("source_version", "text", False),
    TableColumn("source_line", "integer", True),
    TableColumn("loaded_at", "timestamp with time zone", True, has_default=True),
)


def sql_type(c: Column) -> str:
    if c.type == "string" or c.privacy:
        return f"character varying({c.max_length})" if c.max_length and not c.privacy else "text"
    if c.type == "decimal":
        return f"numeric({c.precision},{c.scale})" if c.precision is not None else "numeric"
    return {
        "timestamp": "timestamp with time zone",
        "date": "date",
        "boolean": "boolean",
        "integer": "bigint",
    }[c.type]


def _required(c: Column) -> bool:
    """A loaded value can never be NULL when an empty one is refused (required, quarantined or failing the run)."""
    return any(r.check == "required" and r.on_fail != "warn" for r in c.rules)


def expected_columns(contract: Contract) -> list[TableColumn]:
    own = [TableColumn(c.key, sql_type(c), _required(c)) for c in contract.loaded_columns]
    return [TableColumn("id", "bigint", True, has_default=True), *own, *LINEAGE]


def index_name(table: str, columns: tuple[str, ...]) -> str:
    # PostgreSQL truncates identifiers at 63 bytes; a long name keeps its start.
    return f"{table}_{'_'.join(c.split(' ')[0] for c in columns)}_idx"[:63]


def create_statements(contract: Contract) -> list[sql.Composable]:
    table = sql.Identifier(contract.table)
    defs = [sql.SQL("id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY")]
    for c in expected_columns(contract)[1:]:
        defs.append(
            sql.SQL("{} {}{}{}").format(
                sql.Identifier(c.name),
                sql.SQL(c.type),
                sql.SQL(" NOT NULL" if c.not_null else ""),
                sql.SQL(" DEFAULT now()" if c.has_default else ""),
            )
        )
    statements: list[sql.Composable] = [sql.SQL("CREATE TABLE {} ({})").format(table, sql.SQL(", ").join(defs))]
    for columns in contract.indexes:
        parts = [
            sql.SQL("{}{}").format(sql.Identifier(c.split(" ")[0]), sql.SQL(" DESC" if c.endswith(" DESC") else ""))
            for c in columns
        ]
        statements.append(
            sql.SQL("CREATE INDEX {} ON {} ({})").format(
                sql.Identifier(index_name(contract.table, columns)), table, sql.SQL(", ").join(parts)
            )
        )
    return statements


def _existing_columns(conn: psycopg.Connection, table: str) -> dict[str, TableColumn]:
    rows = conn.execute(
        """SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                  a.atthasdef OR a.attidentity <> ''
           FROM pg_attribute a
           WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped""",
        (table,),
    ).fetchall()
    return {r[0]: TableColumn(r[0], r[1], r[2], r[3]) for r in rows}


def _existing_indexes(conn: psycopg.Connection, table: str) -> set[str]:
    """Each index's key as pg_get_indexdef spells it: "username, ts DESC, id DESC"."""
    rows = conn.execute(
        """SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = to_regclass(%s)""", (table,)
    ).fetchall()
    return {r[0][r[0].index("(") + 1 : r[0].rindex(")")] for r in rows}


def differences(contract: Contract, columns: dict[str, TableColumn], indexes: set[str]) -> list[str]:
    """What keeps the existing table from holding the contract's rows, in words."""
    found = []
    expected = expected_columns(contract)
    for want in expected:
        have = columns.get(want.name)
        if have is None:
            found.append(f"column {want.name} ({want.type}) is missing")
        elif have.type != want.type:
            found.append(f"column {want.name} is {have.type}, the contract says {want.type}")
        elif have.not_null and not want.not_null and not have.has_default:
            found.append(f"column {want.name} is NOT NULL, but the contract lets it be empty")
    names = {c.name for c in expected}
    for have in columns.values():
        if have.name not in names and have.not_null and not have.has_default:
            found.append(f"column {have.name} is NOT NULL without a default and not in the contract")
    for index in contract.indexes:
        key = ", ".join(index)
        if key not in indexes:
            found.append(f"index ({key}) is missing")
    return found


def ensure(conn: psycopg.Connection, contract: Contract) -> bool:
    """Creates the contract's table if it does not exist (True when it did), else checks it matches; raises
    SchemaMismatch naming every difference. Concurrent loads of a new dataset create it once."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 1))", (f"table:{contract.table}",))
        columns = _existing_columns(conn, contract.table)
        if not columns:
            for statement in create_statements(contract):
                conn.execute(statement)
            return True
        found = differences(contract, columns, _existing_indexes(conn, contract.table))
    if found:
        raise SchemaMismatch(
            f"table {contract.table} does not match the contract of dataset {contract.name}: {'; '.join(found)}. "
            "A change of shape needs a migration (docs/datasets.md: Evolve a dataset); nothing was loaded"
        )
    return False
