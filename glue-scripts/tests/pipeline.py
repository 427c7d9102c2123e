"""Helpers that run the jobs' package functions the way the entry scripts chain them, on files the tests write."""

from __future__ import annotations

import gzip
from pathlib import Path

from landing_etl import contract, quality, transform

DATASETS = Path(__file__).resolve().parents[2] / "datasets"
DAILYCHECKIN = contract.load(str(DATASETS), "dailycheckin")


def write_csv(tmp_path: Path, text: str, name: str = "in.csv", bom: bool = False) -> str:
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return str(path)


def transformed(spark, path: str, spec=DAILYCHECKIN, ingestion_id="ing-1", version=None, source_uri=None):
    raw = transform.read_source(spark, path)
    transform.check_header(raw, spec)
    rows = transform.typed(transform.with_source_line(raw), spec)
    return transform.with_lineage(rows, ingestion_id, source_uri or path, version)


def checked(spark, path: str, spec=DAILYCHECKIN, secret=None, **kw):
    return quality.mark_duplicates(quality.evaluate(transformed(spark, path, spec, **kw), spec, secret), spec)
