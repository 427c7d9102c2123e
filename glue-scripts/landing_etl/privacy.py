"""Per-column privacy for values that must not reach the database in clear: drop, hash (keyed) or mask.

`hash` is HMAC-SHA256 with the deployment's key, built from Spark's sha2 over binary concatenations (no Python UDF),
so the same person hashes to the same hex digest in every file and every job, and nobody without the key can
recompute it from a guessed name."""

from __future__ import annotations

import hashlib
import json

from pyspark.sql import Column as SparkColumn
from pyspark.sql import functions as F

from . import aws
from .contract import Column, Contract

_BLOCK = 64  # SHA-256 block size in bytes


class PrivacyKeyMissing(RuntimeError):
    pass


def key(secret_arn: str | None) -> bytes:
    """The Secrets Manager secret the job argument names (the local stack runs one too): a plain string or JSON
    with a `key` field."""
    if not secret_arn:
        raise PrivacyKeyMissing(
            "the contract hashes a column but no privacy key is configured (job argument --privacy_key_secret_arn)"
        )
    value = aws.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"]
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        return value.encode()
    if isinstance(parsed, dict) and isinstance(parsed.get("key"), str):
        return parsed["key"].encode()
    raise PrivacyKeyMissing(f"secret {secret_arn} holds JSON without a string field 'key'")


def hmac_sha256(value: SparkColumn, secret: bytes) -> SparkColumn:
    """HMAC-SHA256 (RFC 2104) of the UTF-8 value as lowercase hex; NULL stays NULL."""
    k = hashlib.sha256(secret).digest() if len(secret) > _BLOCK else secret.ljust(_BLOCK, b"\0")
    inner_pad = F.lit(bytearray(b ^ 0x36 for b in k))
    outer_pad = F.lit(bytearray(b ^ 0x5C for b in k))
    inner = F.unhex(F.sha2(F.concat(inner_pad, F.encode(value, "UTF-8")), 256))
    return F.sha2(F.concat(outer_pad, inner), 256)


def mask(value: SparkColumn, keep: int) -> SparkColumn:
    """Every character but the last `keep` becomes '*'."""
    return F.regexp_replace(value, f".(?=.{{{keep}}})" if keep else ".", "*")


def protect(c: Column, value: SparkColumn, secret: bytes | None) -> SparkColumn:
    """The value as it may leave the job: as is, hashed, masked, or NULL for a dropped column."""
    if c.privacy == "drop":
        return F.lit(None).cast("string")
    if c.privacy == "mask":
        return mask(value, c.mask_keep)
    if c.privacy == "hash":
        if secret is None:
            raise PrivacyKeyMissing(f"column {c.name!r} is hashed but no privacy key was given")
        return hmac_sha256(value, secret)
    return value


def needs_key(contract: Contract) -> bool:
    return any(c.privacy == "hash" for c in contract.columns)
