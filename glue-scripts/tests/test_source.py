"""The landed file before Spark reads it: staged under a name of our own, and a compressed one inflated once,
streamed, to refuse a truncated file or one that inflates past the contract's max_bytes (a decompression bomb)."""

import bz2
import gzip
import time
from dataclasses import replace

import pytest

from landing_etl import source

from .pipeline import DAILYCHECKIN

CSV = b"user,timestamp,hours,project\n" + b"a,2020-01-02 03:04:05 UTC,1,c\n" * 5000
CAP = replace(DAILYCHECKIN, max_bytes=10 << 20)


def test_a_truncated_or_fake_gzip_is_refused_before_spark_reads_part_of_it(tmp_path):
    whole = gzip.compress(CSV)
    (tmp_path / "ok.csv.gz").write_bytes(whole + gzip.compress(b"a,b,2,c\n"))  # two members: still one valid file
    (tmp_path / "cut.csv.gz").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "fake.csv.gz").write_bytes(b"user,timestamp,hours,project\n")
    source.verify_compressed(f"file://{tmp_path / 'ok.csv.gz'}", DAILYCHECKIN)
    with pytest.raises(source.CorruptSource, match="is a truncated gzip file"):
        source.verify_compressed(f"file://{tmp_path / 'cut.csv.gz'}", DAILYCHECKIN)
    with pytest.raises(source.CorruptSource, match=r"is not a valid gzip file$"):  # and quotes none of its bytes
        source.verify_compressed(f"file://{tmp_path / 'fake.csv.gz'}", DAILYCHECKIN)


def test_a_truncated_or_fake_bzip2_is_refused(tmp_path):
    whole = bz2.compress(CSV)
    (tmp_path / "ok.csv.bz2").write_bytes(whole + bz2.compress(b"a,b,2,c\n"))
    (tmp_path / "cut.csv.bz2").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "fake.csv.bz2").write_bytes(CSV)
    source.verify_compressed(f"file://{tmp_path / 'ok.csv.bz2'}", DAILYCHECKIN)
    with pytest.raises(source.CorruptSource, match="is a truncated bzip2 file"):
        source.verify_compressed(f"file://{tmp_path / 'cut.csv.bz2'}", DAILYCHECKIN)
    with pytest.raises(source.CorruptSource, match=r"is not a valid bzip2 file$"):
        source.verify_compressed(f"file://{tmp_path / 'fake.csv.bz2'}", DAILYCHECKIN)


@pytest.mark.parametrize("extension, pack", [(".csv.gz", gzip.compress), (".csv.bz2", bz2.compress)])
def test_a_decompression_bomb_is_refused_at_max_bytes_naming_the_setting_without_inflating_it_all(
    tmp_path, extension, pack
):
    # 1 GiB of one repeated line in about a megabyte (gzip) or a few kilobytes (bzip2): 64 members of 16 MiB each.
    bomb = tmp_path / f"bomb{extension}"
    bomb.write_bytes(pack(b"a,2020-01-02 03:04:05 UTC,1,c\n" * (1 << 19)) * 64)  # 2**19 lines of 30 bytes
    started = time.monotonic()
    with pytest.raises(
        source.SourceTooLarge,
        match=r"inflates to more than 10485760 bytes of CSV, the max_bytes of dataset dailycheckin \(its contract\)",
    ):
        source.verify_compressed(f"file://{bomb}", CAP)
    assert time.monotonic() - started < 5  # 10 MiB inflated, not 1 GiB
    at_the_cap = tmp_path / f"exact{extension}"
    at_the_cap.write_bytes(pack(b"x" * CAP.max_bytes))
    source.verify_compressed(f"file://{at_the_cap}", CAP)


def test_a_plain_file_needs_no_inflating(tmp_path):
    (tmp_path / "a.csv").write_bytes(b"\x1f\x8b not gzip at all")
    source.verify_compressed(f"file://{tmp_path / 'a.csv'}", CAP)


@pytest.mark.parametrize(
    "name",
    ["a#b?c=d.csv", "[x]{y,z} 100%25 +plus+ a:b.CSV", "été 🦄 日本.Csv.Gz", "ü" * 120 + ".csv.bz2"],
    ids=["hash-query", "glob-escapes-colon", "unicode-upper-gz", "long"],
)
def test_a_landed_file_is_staged_under_a_name_of_our_own_in_the_local_folders(tmp_path, monkeypatch, name):
    monkeypatch.setenv("LANDING_ETL_LOCAL_S3", str(tmp_path))
    landed = tmp_path / "landing" / "dailycheckin" / "2020-01-03" / name
    landed.parent.mkdir(parents=True)
    landed.write_bytes(b"the landed bytes")
    uri = f"s3://landing/dailycheckin/2020-01-03/{name}"
    assert source.describe(uri, None).size == len(b"the landed bytes")
    staged = source.stage(uri, "v1", "s3://data/staging/ing-1")
    extension = next(e for e in (".csv.gz", ".csv.bz2", ".csv") if name.lower().endswith(e))
    assert staged.uri == f"file://{tmp_path}/data/staging/ing-1/source/source{extension}"
    assert (
        tmp_path / "data" / "staging" / "ing-1" / "source" / f"source{extension}"
    ).read_bytes() == b"the landed bytes"
    # A retry stages again over the earlier copy.
    assert source.stage(uri, "v1", "s3://data/staging/ing-1") == staged
