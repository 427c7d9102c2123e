"""S3 locations. On Glue they are used as they are; on the local stack LANDING_ETL_LOCAL_S3 names the folder that
stands for S3 (one sub-folder per bucket), and s3://bucket/key resolves to a file URI under it."""

from __future__ import annotations

import json
import os
from urllib.parse import urlparse


def local_root() -> str | None:
    return os.environ.get("LANDING_ETL_LOCAL_S3")


def resolve(uri: str) -> str:
    """The URI Spark should read or write for an s3:// (or file://) location."""
    root = local_root()
    if root and uri.startswith("s3://"):
        parsed = urlparse(uri)
        return f"file://{os.path.join(root, parsed.netloc, parsed.path.lstrip('/'))}"
    return uri


def join(uri: str, *parts: str) -> str:
    return "/".join([uri.rstrip("/"), *parts])


def write_json(uri: str, document: dict) -> None:
    """Writes one small JSON document (a quality report); row data never goes this way."""
    body = json.dumps(document, indent=2, default=str).encode("utf-8")
    target = resolve(uri)
    if target.startswith("file://"):
        path = target[len("file://") :]
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(body)
        return
    import boto3

    parsed = urlparse(uri)
    boto3.client("s3").put_object(
        Bucket=parsed.netloc, Key=parsed.path.lstrip("/"), Body=body, ContentType="application/json"
    )


def read_text(uri: str) -> str:
    target = resolve(uri)
    if target.startswith("file://"):
        with open(target[len("file://") :], encoding="utf-8") as f:
            return f.read()
    import boto3

    parsed = urlparse(uri)
    return boto3.client("s3").get_object(Bucket=parsed.netloc, Key=parsed.path.lstrip("/"))["Body"].read().decode()
