"""Per-column privacy for values that must not reach the database in clear: drop, hash (keyed) or mask.

Each applies to the whole value whatever it holds (line breaks, combining marks, astral characters, U+FFFD), in
column expressions without regular expressions. A character is a Unicode code point, as Spark's `length` counts
them: `é` written as `e` + U+0301 is two, an emoji outside the BMP is one.

`hash` is HMAC-SHA256 with the deployment's key, built from Spark's sha2 over binary concatenations (no Python UDF),
so the same person hashes to the same hex digest in every file and every job, and nobody without the key can
recompute it from a guessed name. The key's pads reach the rows from a one-row relation joined to them, never as
literals: a literal is printed in every query plan (`explain`, the Spark UI, the event log)."""

from __future__ import annotations

import hashlib
import json

from pyspark.sql import Column as SparkColumn
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import BinaryType, StructField, StructType

from . import aws
from .contract import Column, Contract

_BLOCK = 64  # SHA-256 block size in bytes
_INNER, _OUTER = "_hmac_inner_pad", "_hmac_outer_pad"


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


def _pads(spark: SparkSession, secret: bytes) -> DataFrame:
    """One row: the HMAC inner and outer pads of `secret` (RFC 2104: a key longer than the block is hashed first,
    then zero-padded). A LocalRelation, which plans print as `LocalRelation [columns]`, without its data; it is
    built in the JVM from the bytes py4j hands over, where `createDataFrame` would pickle them to a temporary file."""
    k = (hashlib.sha256(secret).digest() if len(secret) > _BLOCK else secret).ljust(_BLOCK, b"\0")
    jvm = spark.sparkContext._jvm
    values = spark.sparkContext._gateway.new_array(jvm.java.lang.Object, 2)
    values[0], values[1] = bytearray(b ^ 0x36 for b in k), bytearray(b ^ 0x5C for b in k)
    rows = jvm.java.util.ArrayList()
    rows.add(jvm.org.apache.spark.sql.RowFactory.create(values))
    schema = StructType([StructField(_INNER, BinaryType(), False), StructField(_OUTER, BinaryType(), False)])
    return DataFrame(
        spark._jsparkSession.createDataFrame(rows, spark._jsparkSession.parseDataType(schema.json())), spark
    )


def hmac_sha256(value: SparkColumn) -> SparkColumn:
    """HMAC-SHA256 (RFC 2104) of the UTF-8 value as lowercase hex, over the pads `protected` joins in; NULL stays
    NULL."""
    inner = F.unhex(F.sha2(F.concat(F.col(_INNER), F.encode(value, "UTF-8")), 256))
    return F.sha2(F.concat(F.col(_OUTER), inner), 256)


def mask(value: SparkColumn, keep: int) -> SparkColumn:
    """Every character (code point) but the last `keep` becomes '*': the last `keep` left-padded with '*' to the
    value's length. A value of `keep` characters or fewer stays as it is; NULL stays NULL."""
    return F.call_function("lpad", F.right(value, F.lit(keep)), F.length(value), F.lit("*"))


def protect(c: Column, value: SparkColumn) -> SparkColumn:
    """The value as it may leave the job: as is, hashed, masked, or NULL for a dropped column."""
    if c.privacy == "drop":
        return F.lit(None).cast("string")
    if c.privacy == "mask":
        return mask(value, c.mask_keep)
    if c.privacy == "hash":
        return hmac_sha256(value)
    return value


def protected(df: DataFrame, columns: dict[str, Column], secret: bytes | None) -> DataFrame:
    """`df` with each named column replaced by its contract column's protected value; for a hash, the key's pads
    joined in (broadcast, one row) for the expressions and dropped again."""
    hashed = [name for name, c in columns.items() if c.privacy == "hash"]
    if hashed:
        if secret is None:
            raise PrivacyKeyMissing(f"column {columns[hashed[0]].name!r} is hashed but no privacy key was given")
        df = df.crossJoin(F.broadcast(_pads(df.sparkSession, secret)))
    df = df.withColumns({name: protect(c, F.col(name)) for name, c in columns.items()})
    return df.drop(_INNER, _OUTER) if hashed else df


def needs_key(contract: Contract) -> bool:
    return any(c.privacy == "hash" for c in contract.columns)
