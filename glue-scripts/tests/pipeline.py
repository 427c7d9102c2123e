"""Helpers that run the jobs' package functions the way the entry scripts chain them, on files the tests write."""

from __future__ import annotations

import gzip
import io
import tempfile
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from landing_etl import contract, quality, transform

DATASETS = Path(__file__).resolve().parents[2] / "datasets"


@contextmanager
def split_size(spark, size: int):
    """Files read in splits of `size` bytes: a small file is read by many tasks, as a large one is on a cluster."""
    spark.conf.set("spark.sql.files.maxPartitionBytes", str(size))
    try:
        yield
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")


DAILYCHECKIN = contract.load(str(DATASETS), "dailycheckin")

# Every timestamp family, and a few bad rows of each kind the dailycheckin contract refuses.
MIXED = (
    "user,timestamp,hours,project\n"
    "ana,2018-11-26 14:47:36.0429 UTC,0.08,apollo\n"  # 2
    "ana,11/20/2018 12:29 PM,2.5,apollo\n"  # 3
    "boris,26 сентября 2019 00:00,7.25,gemini\n"  # 4
    " ana ,11/20/2018 12:29 PM,2.50,apollo \n"  # 5 duplicate of line 3 after normalisation
    ",2018-11-27 09:00:00 UTC,1,gemini\n"  # 6 user.required
    "chen,,1,gemini\n"  # 7 timestamp.required
    "chen,2018-13-27 09:00:00 UTC,1,gemini\n"  # 8 timestamp.format
    "chen,2018-11-27 09:00:00 UTC,,gemini\n"  # 9 hours.required
    "chen,2018-11-27 09:00:00 UTC,one,gemini\n"  # 10 hours.format
    "chen,2018-11-27 09:00:00 UTC,0,gemini\n"  # 11 hours.range (0 < hours)
    "chen,2018-11-27 09:00:00 UTC,24.5,gemini\n"  # 12 hours.range (hours <= 24)
    "chen,2018-11-27 09:00:00 UTC,24,  \n"  # 13 project.required
    "chen,2018-11-27 09:00:00 UTC,24,mercury\n"  # 14
)


def write_csv(tmp_path: Path, text: str, name: str = "in.csv", bom: bool = False) -> str:
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return str(path)


def transformed(spark, path: str, spec=DAILYCHECKIN, ingestion_id="ing-1", version=None, source_uri=None, secret=None):
    return transform.transformed(spark, path, spec, ingestion_id, source_uri or path, version, secret)[1]


def checked(spark, path: str, spec=DAILYCHECKIN, staged: str | None = None, **kw):
    """The test stage's checked rows, read from the Parquet transform wrote (to `staged`, else a new temporary folder),
    as the jobs hand over."""
    staged = staged or tempfile.mkdtemp(prefix="landing-etl-transformed-")
    transformed(spark, path, spec, **kw).write.mode("overwrite").parquet(staged)
    evaluated = quality.evaluate(spark.read.parquet(staged), spec)
    return quality.mark_duplicates(evaluated, spec, quality.repeated_keys(evaluated, spec))


def accepted_parquet(source_object: str, version: str | None = "v1", ingestion_id: str = "ing-1") -> tuple[bytes, list]:
    """Two accepted dailycheckin rows as the test stage writes them (loaded columns + lineage) as Parquet bytes, and
    the rows as the load's COPY CSV spells them."""
    table = pa.table(
        {
            "username": ["ann", "bob"],
            "ts": pa.array(
                [datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC), datetime(2020, 1, 3, tzinfo=UTC)], pa.timestamp("us", "UTC")
            ),
            "hours": pa.array([Decimal("1.5"), Decimal("2")], pa.decimal128(10, 2)),
            "project": ["apollo", "gemini"],
            "ingestion_id": [ingestion_id] * 2,
            "source_object": [source_object] * 2,
            "source_version": [version] * 2,
            "source_line": pa.array([2, 3], pa.int32()),
        }
    )
    out = io.BytesIO()
    pq.write_table(table, out)
    lineage = f'"{ingestion_id}","{source_object}",' + (f'"{version}"' if version else "")
    return out.getvalue(), [
        f'"ann",2020-01-02 03:04:05.000000Z,1.50,"apollo",{lineage},2',
        f'"bob",2020-01-03 00:00:00.000000Z,2.00,"gemini",{lineage},3',
    ]
