"""Every AWS client the jobs make (boto3 clients and resources, pyarrow's S3 file system), with an explicit region.

Region: the job argument --aws_region, which the template sets to the stack's region (AWS::Region); the entry
scripts pass it to `use_region` before anything else. AWS's Glue documentation does not say that a Glue 5.1 job's
environment has AWS_REGION or AWS_DEFAULT_REGION set, so nothing here relies on ambient configuration: a client
asked for before `use_region` raises AwsRegionMissing instead of falling back to a config file, the instance
metadata or pyarrow's silent us-east-1. (AWS's own example of a Glue job reading its region takes it from a job
argument named aws_region: "AWS Glue Scala GlueArgParser APIs", docs.aws.amazon.com/glue/latest/dg/
glue-etl-scala-apis-glue-util-glueargparser.html.)

Endpoints: boto3 follows the standard AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> variables by itself ("Service-
specific endpoints", docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html). pyarrow 21's S3FileSystem
does not: only FileSystem.from_uri reads AWS_ENDPOINT_URL (apache/arrow#36791), the constructor ignores both
variables (apache/arrow#49643), so `s3_filesystem` passes them as endpoint_override and scheme.

Clients are cached per process, per region and endpoint variables: a job makes many calls, and the local stack's
warm driver runs many jobs."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

_lock = threading.Lock()
_region: str | None = None
_cache: dict[tuple, Any] = {}


class AwsRegionMissing(RuntimeError):
    pass


def use_region(region: str) -> None:
    """The region of every client made from now on (the job argument --aws_region)."""
    global _region
    if not region:
        raise AwsRegionMissing("the job argument --aws_region is empty")
    _region = region


def region() -> str:
    if not _region:
        raise AwsRegionMissing("no AWS region: the job must pass --aws_region to aws.use_region before any AWS call")
    return _region


def client(service: str) -> Any:
    """The boto3 client of a service ("s3", "secretsmanager", ...) in the job's region."""
    return _cached(("client", service), lambda r: _session(r).client(service, region_name=r))


def resource(service: str) -> Any:
    """The boto3 resource of a service ("dynamodb") in the job's region."""
    return _cached(("resource", service), lambda r: _session(r).resource(service, region_name=r))


def s3_filesystem() -> Any:
    """pyarrow's S3 file system in the job's region, at AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL when set."""

    def make(r: str) -> Any:
        from pyarrow import fs

        options: dict[str, str] = {"region": r}
        url = endpoint_url("S3")
        if url:
            parsed = urlparse(url)
            options |= {"endpoint_override": parsed.netloc + parsed.path.rstrip("/"), "scheme": parsed.scheme}
        return fs.S3FileSystem(**options)

    return _cached(("pyarrow-s3",), make)


def endpoint_url(service_id: str) -> str | None:
    """The endpoint the standard variables name for a service (its SDK service id, e.g. "S3", "Secrets Manager")."""
    if os.environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() == "true":
        return None
    specific = f"AWS_ENDPOINT_URL_{service_id.upper().replace(' ', '_')}"
    return os.environ.get(specific) or os.environ.get("AWS_ENDPOINT_URL") or None


def _session(r: str) -> Any:
    import boto3

    return boto3.session.Session(region_name=r)


def _cached(kind: tuple, make: Callable[[str], Any]) -> Any:
    r = region()
    endpoints = sorted(
        (k, v) for k, v in os.environ.items() if k.startswith(("AWS_ENDPOINT_URL", "AWS_IGNORE_CONFIGURED"))
    )
    key = (*kind, r, tuple(endpoints))
    with _lock:  # boto3 sessions are not thread-safe, and the local stack runs jobs in threads
        if key not in _cache:
            _cache[key] = make(r)
        return _cache[key]
