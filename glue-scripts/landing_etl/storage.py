"""S3 locations. On Glue they are used as they are; on the local stack LANDING_ETL_LOCAL_S3 names the folder that
stands for S3 (one sub-folder per bucket), and s3://bucket/key resolves to a file URI under it."""

from __future__ import annotations

import json
import os

from . import aws


def bucket_and_key(uri: str) -> tuple[str, str]:
    """The bucket and key of an s3:// URI, the key exactly as written: an S3 key may hold any character, `#` and `?`
    (which would end a URL's path) and `%` (no escape here) included."""
    if not uri.startswith("s3://"):
        raise ValueError(f"not an s3:// location: {uri}")
    bucket, _, key = uri[len("s3://") :].partition("/")
    return bucket, key


def local_root() -> str | None:
    return os.environ.get("LANDING_ETL_LOCAL_S3")


def resolve(uri: str) -> str:
    """The URI Spark should read or write for an s3:// (or file://) location; a plain path is a local file."""
    root = local_root()
    if root and uri.startswith("s3://"):
        bucket, key = bucket_and_key(uri)
        return f"file://{os.path.join(root, bucket, key)}"
    if "://" not in uri:
        return f"file://{os.path.abspath(uri)}"
    return uri


def local_path(uri: str) -> str | None:
    """The file-system path of a location that resolves to a local file, else None (real S3)."""
    target = resolve(uri)
    return target[len("file://") :] if target.startswith("file://") else None


def list_names(uri: str) -> list[str]:
    """Names of the objects directly under a folder or prefix."""
    path = local_path(uri)
    if path is not None:
        return sorted(os.listdir(path)) if os.path.isdir(path) else []
    bucket, key = bucket_and_key(uri)
    prefix = key.rstrip("/") + "/"
    names = []
    for page in aws.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        names += [o["Key"][len(prefix) :] for o in page.get("Contents", []) if "/" not in o["Key"][len(prefix) :]]
    return sorted(names)


def size(uri: str) -> int:
    """Total bytes of the data files under a folder or prefix (Spark's _SUCCESS and .crc files aside)."""
    path = local_path(uri)
    if path is not None:
        return sum(
            os.path.getsize(os.path.join(d, f))
            for d, _, files in os.walk(path)
            for f in files
            if not f.startswith(("_", "."))
        )
    bucket, key = bucket_and_key(uri)
    prefix = key.rstrip("/") + "/"
    total = 0
    for page in aws.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        total += sum(o["Size"] for o in page.get("Contents", []) if not o["Key"].rsplit("/", 1)[-1].startswith("_"))
    return total


def join(uri: str, *parts: str) -> str:
    return "/".join([uri.rstrip("/"), *parts])


def write_json(uri: str, document: dict) -> None:
    """Writes one small JSON document (a quality report); row data never goes this way."""
    body = json.dumps(document, indent=2, default=str).encode("utf-8")
    path = local_path(uri)
    if path is not None:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(body)
        return
    bucket, key = bucket_and_key(uri)
    aws.client("s3").put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")


def read_text(uri: str) -> str:
    path = local_path(uri)
    if path is not None:
        with open(path, encoding="utf-8") as f:
            return f.read()
    bucket, key = bucket_and_key(uri)
    return aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode()
