"""The exact object (and version) that triggered a run, and when it was written.

On S3 a newer version may replace the key while a run is under way, so transform first copies the triggering version
(server-side, streamed by S3, never through the job's memory) to the staging zone and reads only that copy. The
version's LastModified (with the S3 event's sequencer) is what orders two versions of one object when their loads
race (see load.py)."""

from __future__ import annotations

import os
import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlparse

from . import aws, storage


class SourceNotFound(FileNotFoundError):
    pass


class CorruptSource(ValueError):
    pass


@dataclass(frozen=True)
class SourceObject:
    uri: str  # what to read (the staged copy on S3, the file itself locally)
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

    parsed = urlparse(source_uri)
    params = {"Bucket": parsed.netloc, "Key": parsed.path.lstrip("/"), **({"VersionId": version} if version else {})}
    try:
        head = aws.client("s3").head_object(**params)
    except ClientError as e:
        raise SourceNotFound(f"source object {source_uri} version {version or '(none)'} is not readable: {e}") from e
    return SourceObject(source_uri, head["ContentLength"], head["LastModified"])


def stage(source_uri: str, version: str | None, staging_uri: str) -> SourceObject:
    """The object to read: on S3 a copy of exactly `version` under staging `source/` (same file name, so the CSV
    reader still sees .gz); locally, where there are no versions, the file itself."""
    found = describe(source_uri, version)
    if found.uri.startswith("file://") or not version:
        return found
    name = urlparse(source_uri).path.rsplit("/", 1)[-1]
    target = urlparse(storage.join(staging_uri, "source", name))
    src = urlparse(source_uri)
    # Managed copy: server-side CopyObject, multipart for large objects; the bytes never pass through this process.
    aws.client("s3").copy(
        {"Bucket": src.netloc, "Key": src.path.lstrip("/"), "VersionId": version},
        target.netloc,
        target.path.lstrip("/"),
    )
    return SourceObject(f"s3://{target.netloc}{target.path}", found.size, found.modified)


def verify_gzip(uri: str) -> None:
    """Reads a .gz object through to its end. Spark's gzip reader stops quietly at a truncated stream, which would
    load part of a file as if it were all of it; this refuses the file instead. Streamed: memory stays flat."""
    path = storage.local_path(uri)
    if path is not None:
        chunks = _file_chunks(path)
    else:
        parsed = urlparse(uri)
        body = aws.client("s3").get_object(Bucket=parsed.netloc, Key=parsed.path.lstrip("/"))["Body"]
        chunks = body.iter_chunks(1 << 20)
    stream = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    try:
        for chunk in chunks:
            while chunk:
                stream.decompress(chunk)
                # Concatenated gzip members are one valid file: start again on what follows a finished member.
                chunk = stream.unused_data if stream.eof else b""
                if stream.eof and chunk:
                    stream = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    except zlib.error as e:
        raise CorruptSource(f"{uri} is not a valid gzip file ({e})") from e
    if not stream.eof:
        raise CorruptSource(f"{uri} is a truncated gzip file: it ends before its last block")


def _file_chunks(path: str):
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            yield chunk
