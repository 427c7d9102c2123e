"""The exact object (and version) that triggered a run, and when it was written.

On S3 a newer version may replace the key while a run is under way, so transform first copies the triggering version
(server-side, streamed by S3, never through the job's memory) to the staging zone and reads only that copy. The
version's LastModified (with the S3 event's sequencer) is what orders two versions of one object when their loads
race (see load.py)."""

from __future__ import annotations

import bz2
import gzip
import os
import re
import shutil
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime

from . import aws, extensions, storage
from .contract import Contract


class SourceNotFound(FileNotFoundError):
    pass


class CorruptSource(ValueError):
    pass


class SourceTooLarge(ValueError):
    pass


class NotACsvFile(ValueError):
    pass


@dataclass(frozen=True)
class SourceObject:
    uri: str  # what to read: the staged copy (stage), or the object itself (describe)
    size: int
    modified: datetime


def version_or_none(version: str) -> str | None:
    """The state machine formats a missing version as 'null' (unversioned buckets, the local stack)."""
    return None if version in ("", "null", "None") else version


def sequencer_or_none(sequencer: str) -> str | None:
    """The S3 event's sequencer as the state machine formats it ('null' when the event had none); hex or nothing."""
    value = version_or_none(sequencer)
    return value.upper() if value and re.fullmatch(r"[0-9A-Fa-f]{1,64}", value) else None


def describe(source_uri: str, version: str | None) -> SourceObject:
    """Size and last-modified time of the object version, without reading it."""
    target = storage.resolve(source_uri)
    if target.startswith("file://"):
        path = target[len("file://") :]
        try:
            st = os.stat(path)
        except FileNotFoundError as e:
            raise SourceNotFound(f"source object {source_uri} does not exist") from e
        return SourceObject(target, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC))
    from botocore.exceptions import ClientError

    bucket, key = storage.bucket_and_key(source_uri)
    params = {"Bucket": bucket, "Key": key, **({"VersionId": version} if version else {})}
    try:
        head = aws.client("s3").head_object(**params)
    except ClientError as e:
        raise SourceNotFound(f"source object {source_uri} version {version or '(none)'} is not readable: {e}") from e
    return SourceObject(source_uri, head["ContentLength"], head["LastModified"])


def stage(source_uri: str, version: str | None, staging_uri: str) -> SourceObject:
    """The object to read, under a name of our own: staging `source/source<extension>`, the accepted extension in
    lower case (the CSV reader finds the codec by it: `.CSV.GZ` would read as text), and no character of the key
    reaches a reader (Hadoop reads `[`, `{` and `?` in a path as a glob, `:` as a scheme). On S3 a server-side copy of
    exactly `version` (or the latest, in a bucket without versions), so a newer version of the key cannot replace it
    mid-run; locally a hard link to the file (a copy across file systems)."""
    extension = extensions.extension_of(source_uri)
    if extension is None:
        accepted = ", ".join(extensions.ACCEPTED[:-1]) + f" or {extensions.ACCEPTED[-1]}"
        raise NotACsvFile(f"{source_uri} is not a {accepted} file")
    found = describe(source_uri, version)
    target = storage.join(staging_uri, "source", f"source{extension}")
    staged = storage.local_path(target)
    if found.uri.startswith("file://"):
        os.makedirs(os.path.dirname(staged), exist_ok=True)
        if os.path.lexists(staged):
            os.remove(staged)  # an earlier attempt's
        try:
            os.link(found.uri[len("file://") :], staged)
        except OSError:
            shutil.copyfile(found.uri[len("file://") :], staged)
        return SourceObject(f"file://{staged}", found.size, found.modified)
    bucket, key = storage.bucket_and_key(source_uri)
    target_bucket, target_key = storage.bucket_and_key(target)
    # Managed copy: server-side CopyObject, multipart for large objects; the bytes never pass through this process.
    aws.client("s3").copy(
        {"Bucket": bucket, "Key": key, **({"VersionId": version} if version else {})}, target_bucket, target_key
    )
    return SourceObject(target, found.size, found.modified)


# Decompressed in pieces of at most this many bytes: memory stays flat whatever a piece of the file inflates to.
_PIECE = 1 << 20
_FORMATS = {
    ".csv.gz": ("gzip", lambda raw: gzip.GzipFile(fileobj=raw, mode="rb")),
    ".csv.bz2": ("bzip2", lambda raw: bz2.BZ2File(raw, "rb")),
}


def verify_compressed(uri: str, contract: Contract) -> None:
    """Inflates a .csv.gz or .csv.bz2 once, streamed, counting its bytes; a plain .csv needs nothing. Refuses a file
    that inflates past the contract's max_bytes as soon as it does (a decompression bomb costs max_bytes of
    inflating, not its whole size), and a truncated one: Spark's gzip reader stops quietly at a truncated stream,
    which would load part of a file as if it were all of it. Concatenated members are one valid file. The errors
    quote none of the file's bytes."""
    extension = extensions.extension_of(uri)
    if extension not in _FORMATS:
        return
    kind, reader = _FORMATS[extension]
    inflated = 0
    with _open(uri) as raw, reader(raw) as f:
        try:
            while piece := f.read(_PIECE):
                inflated += len(piece)
                if inflated > contract.max_bytes:
                    raise SourceTooLarge(
                        f"{uri} inflates to more than {contract.max_bytes} bytes of CSV, the max_bytes of dataset "
                        f"{contract.name} (its contract): refused before reading it"
                    )
        except EOFError as e:
            raise CorruptSource(f"{uri} is a truncated {kind} file: it ends before its last block") from e
        except (OSError, zlib.error) as e:  # gzip.BadGzipFile, bz2's "Invalid data stream", corrupt blocks
            raise CorruptSource(f"{uri} is not a valid {kind} file") from e


def _open(uri: str):
    """A binary stream of the object, read in the pieces its reader asks for."""
    path = storage.local_path(uri)
    if path is not None:
        return open(path, "rb")
    bucket, key = storage.bucket_and_key(uri)
    return aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"]
