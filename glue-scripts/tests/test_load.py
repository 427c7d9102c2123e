import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from landing_etl import load, migrations, quality

from .conftest import REPO
from .pipeline import DAILYCHECKIN, MIXED, checked, write_csv

OBJECT = "s3://landing/dailycheckin/2020-01-03/checkins.csv"
COLUMNS = [c.key for c in DAILYCHECKIN.loaded_columns]
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def staged(spark, tmp_path_factory):
    """Accepted Parquet, written by the test stage's code, of two versions of one object."""
    out = {}
    for version, text in {
        "v1": "user,timestamp,hours,project\nann,2020-01-02 03:04:05.5 UTC,1.5,apollo\nann,01/03/2020 12:15 AM,2,gemini\n"
        "bob,5 января 2020 18:30,0.25,mercury\n",
        "v2": "user,timestamp,hours,project\nann,2020-01-02 03:04:05.5 UTC,3,apollo\ncy,2020-02-02 00:00:00 UTC,4,venus\n",
        "mixed": MIXED,
    }.items():
        folder = tmp_path_factory.mktemp(version)
        accepted = quality.accepted(
            checked(spark, write_csv(folder, text), ingestion_id=f"ing-{version}", version=version, source_uri=OBJECT),
            DAILYCHECKIN,
        )
        accepted.write.parquet(str(folder / "accepted"))
        out[version] = str(folder / "accepted")
    return out


def run(conn, staged, version, modified, chunks=None, sequencer=None):
    return load.swap(
        conn,
        "daily_checkins",
        COLUMNS,
        chunks if chunks is not None else load.accepted_batches(staged[version], COLUMNS + load.LINEAGE, OBJECT),
        f"ing-{version}",
        OBJECT,
        version,
        load.Version(modified, sequencer),
    )


def table(conn):
    return conn.execute(
        "SELECT username, project, hours, ts, ingestion_id, source_version, source_line FROM daily_checkins ORDER BY source_line, username"
    ).fetchall()


def test_loads_the_accepted_rows_with_lineage_and_a_reload_changes_nothing(db, staged):
    first = run(db, staged, "v1", T0)
    loaded = table(db)
    assert loaded == [
        ("ann", "apollo", Decimal("1.500000"), datetime(2020, 1, 2, 3, 4, 5, 500000, tzinfo=UTC), "ing-v1", "v1", 2),
        ("ann", "gemini", Decimal("2.000000"), datetime(2020, 1, 3, 0, 15, tzinfo=UTC), "ing-v1", "v1", 3),
        ("bob", "mercury", Decimal("0.250000"), datetime(2020, 1, 5, 18, 30, tzinfo=UTC), "ing-v1", "v1", 4),
    ]
    again = run(db, staged, "v1", T0)
    assert table(db) == loaded
    assert (first.rows_out, first.replaced, again.rows_out, again.replaced) == (3, 0, 3, 3)
    assert db.execute("SELECT ingestion_id, row_count FROM source_loads").fetchall() == [("ing-v1", 3)]


def test_a_file_mixing_every_family_and_bad_rows_loads_exactly_the_accepted_rows_and_again_changes_nothing(db, staged):
    for _ in range(2):
        result = run(db, staged, "mixed", T0)
        assert [(r[6], r[0], r[3]) for r in table(db)] == [
            (2, "ana", datetime(2018, 11, 26, 14, 47, 36, 42900, tzinfo=UTC)),
            (3, "ana", datetime(2018, 11, 20, 12, 29, tzinfo=UTC)),
            (4, "boris", datetime(2019, 9, 26, 0, 0, tzinfo=UTC)),
            (14, "chen", datetime(2018, 11, 27, 9, 0, tzinfo=UTC)),
        ]
    assert (result.rows_out, result.replaced) == (4, 4)


def test_a_newer_version_replaces_the_rows_and_an_older_one_finishing_later_changes_nothing(db, staged):
    run(db, staged, "v1", T0)
    newer = run(db, staged, "v2", T0 + timedelta(seconds=5))
    assert (newer.rows_out, newer.replaced) == (2, 3)
    after_newer = table(db)
    assert [(r[0], r[2], r[4]) for r in after_newer] == [
        ("ann", Decimal("3.000000"), "ing-v2"),
        ("cy", Decimal("4.000000"), "ing-v2"),
    ]
    late = run(db, staged, "v1", T0)
    assert (late.rows_out, late.superseded_by) == (0, "ing-v2")
    assert table(db) == after_newer


def loaded_from(conn):
    return conn.execute("SELECT DISTINCT ingestion_id FROM daily_checkins").fetchall()


def test_two_versions_uploaded_within_the_same_second_are_ordered_by_their_s3_event_sequencers(db, staged):
    # S3's LastModified has whole seconds: both versions say T0. Whichever load finishes last, the later upload stays.
    first, second = "0062A1B2C3D4E5F60A", "0062A1B2C3D4E5F60B"
    run(db, staged, "v1", T0, sequencer=first)
    newer = run(db, staged, "v2", T0, sequencer=second)
    assert (newer.rows_out, newer.replaced, newer.superseded_by) == (2, 3, None)
    late = run(db, staged, "v1", T0, sequencer=first)
    assert (late.rows_out, late.superseded_by) == (0, "ing-v2")
    assert loaded_from(db) == [("ing-v2",)]
    assert db.execute("SELECT source_sequencer FROM source_loads").fetchall() == [(second,)]

    # A multipart upload's LastModified is when it started: the sequencer, not the time, says which came last.
    db.execute("TRUNCATE daily_checkins, source_loads")
    run(db, staged, "v2", T0 + timedelta(seconds=30), sequencer=first)
    completed_later = run(db, staged, "v1", T0, sequencer=second)
    assert (completed_later.rows_out, completed_later.superseded_by) == (3, None)
    assert loaded_from(db) == [("ing-v1",)]


def test_without_sequencers_equal_times_fall_back_to_the_later_load_wins(db, staged):
    # A load recorded before sequencers were carried, or a retry of such an ingestion, has none.
    run(db, staged, "v1", T0)
    assert run(db, staged, "v2", T0, sequencer="0062A1B2C3D4E5F60B").superseded_by is None
    assert loaded_from(db) == [("ing-v2",)]
    assert run(db, staged, "v1", T0).superseded_by is None
    assert loaded_from(db) == [("ing-v1",)]
    assert run(db, staged, "v2", T0 - timedelta(seconds=1), sequencer="0062A1B2C3D4E5F60C").superseded_by == "ing-v1"


def test_a_failure_in_the_middle_of_a_load_leaves_the_table_exactly_as_it_was(db, staged):
    run(db, staged, "v1", T0)
    before = table(db)

    def broken_stream():
        yield from load.accepted_batches(staged["v2"], COLUMNS + load.LINEAGE, OBJECT)
        raise OSError("connection to S3 reset")

    with pytest.raises(OSError, match="connection to S3 reset"):
        run(db, staged, "v2", T0 + timedelta(seconds=5), broken_stream())
    assert table(db) == before

    # A row the table refuses (NOT NULL username) after good ones: the database aborts, nothing changes either.
    bad = [
        (1, b'"zed","2020-01-01 00:00:00Z","1","p","ing-v2","s","v2","9"\n'),
        (1, b',"2020-01-01 00:00:00Z","1","p","ing-v2","s","v2","10"\n'),
    ]
    with pytest.raises(psycopg.errors.NotNullViolation):
        run(db, staged, "v2", T0 + timedelta(seconds=5), iter(bad))
    assert table(db) == before
    assert db.execute("SELECT ingestion_id FROM source_loads").fetchall() == [("ing-v1",)]

    # Staged rows of another object would never be replaced by that object's reloads: refused before any change.
    other = load.accepted_batches(staged["v2"], COLUMNS + load.LINEAGE, "s3://landing/other.csv")
    with pytest.raises(load.LoadFailed, match=r"come from \['s3://landing/dailycheckin/2020-01-03/checkins.csv'\]"):
        load.swap(db, "daily_checkins", COLUMNS, other, "ing-x", "s3://landing/other.csv", None, load.Version(T0))
    assert table(db) == before


def test_concurrent_loads_of_the_same_object_never_duplicate_rows(database_url, db, staged):
    errors = []

    def one_load():
        try:
            with psycopg.connect(database_url) as conn:
                run(conn, staged, "v1", T0)
        except Exception as e:  # noqa: BLE001 - reported by the assertion below
            errors.append(e)

    threads = [threading.Thread(target=one_load) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert db.execute("SELECT count(*), count(DISTINCT source_line) FROM daily_checkins").fetchone() == (3, 3)


def test_migrations_apply_once(db):
    assert migrations.apply(db, f"file://{REPO / 'migrations'}") == []
    versions = [r[0] for r in db.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions[:3] == ["001_daily_checkins", "002_source_loads", "003_source_sequencer"]


HEX = st.text("0123456789ABCDEF", min_size=1, max_size=24)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(a=HEX, b=HEX, seconds=st.integers(-5, 5))
def test_sequencers_compare_as_s3_documents_right_padded_then_lexicographically_whatever_the_times(a, b, seconds):
    newer = load.Version(T0 + timedelta(seconds=seconds), a).is_newer_than(load.Version(T0, b))
    width = max(len(a), len(b))
    assert newer == (int(a.ljust(width, "0"), 16) > int(b.ljust(width, "0"), 16))
    assert load.Version(T0, a.lower()).is_newer_than(load.Version(T0, b)) == load.Version(T0, a).is_newer_than(
        load.Version(T0, b)
    )


def test_sequencers_of_different_lengths_are_right_padded_not_left_padded():
    assert load.Version(T0, "1").is_newer_than(load.Version(T0, "05"))  # "10" > "05"; left-padded "01" < "05"
    assert not load.Version(T0, "0055AED6DCD90281E5").is_newer_than(load.Version(T0, "0055AED6DCD90281E500"))


def staged_load(database_url, staged, version, modified, connections):
    return load.load(
        database_url,
        "daily_checkins",
        COLUMNS,
        staged[version],
        f"ing-{version}",
        OBJECT,
        version,
        load.Version(modified),
        connections,
    )


def staging_tables(conn):
    return conn.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'load\\_%'").fetchall()


def test_a_parallel_load_stages_over_bounded_connections_and_swaps_like_the_direct_one(
    database_url, db, staged, monkeypatch
):
    run(db, staged, "mixed", T0)
    direct = table(db)
    db.execute("TRUNCATE daily_checkins, source_loads")
    db.commit()

    open_now, most = 0, 0
    lock = threading.Lock()
    connect = psycopg.connect

    class Counted:
        def __init__(self, *a, **kw):
            self.conn = connect(*a, **kw)

        def __enter__(self):
            nonlocal open_now, most
            with lock:
                open_now += 1
                most = max(most, open_now)
            return self.conn.__enter__()

        def __exit__(self, *exc):
            nonlocal open_now
            with lock:
                open_now -= 1
            return self.conn.__exit__(*exc)

    monkeypatch.setattr(load.psycopg, "connect", Counted)
    result = staged_load(database_url, staged, "mixed", T0, connections=2)
    assert (result.rows_in, result.rows_out, result.replaced) == (len(direct), len(direct), 0)
    assert table(db) == direct
    assert 1 <= most <= 2
    # Reloaded directly (one connection, no staging): the same rows replace the earlier ones, and the staged run
    # left no staging table behind.
    assert staged_load(database_url, staged, "mixed", T0, connections=1).replaced == len(direct)
    assert table(db) == direct and staging_tables(db) == []


def test_a_parallel_load_that_fails_leaves_the_table_as_it_was_and_a_retry_drops_the_leftovers(
    database_url, db, staged
):
    run(db, staged, "v1", T0)
    before = table(db)
    db.execute("ALTER TABLE daily_checkins ADD CONSTRAINT no_cy CHECK (username <> 'cy')")
    db.commit()
    with pytest.raises(psycopg.errors.CheckViolation):
        staged_load(database_url, staged, "v2", T0 + timedelta(seconds=5), connections=2)
    db.execute("ALTER TABLE daily_checkins DROP CONSTRAINT no_cy")
    db.commit()
    assert table(db) == before and staging_tables(db) == []

    # A killed run leaves its staging table: the next run of that ingestion drops it.
    left = load.stage(database_url, "daily_checkins", COLUMNS, staged["v2"], "ing-v2", OBJECT, 2)
    assert staging_tables(db) == [(left.table,)]
    assert staged_load(database_url, staged, "v2", T0 + timedelta(seconds=5), connections=2).rows_out == 2
    assert staging_tables(db) == []

    with pytest.raises(load.LoadFailed, match="must be at least 1"):
        load.stage(database_url, "daily_checkins", COLUMNS, staged["v2"], "ing-v2", OBJECT, 0)
