"""Database credentials: DATABASE_URL locally; on AWS the Secrets Manager secret named by the job argument."""

from __future__ import annotations

import json
import os
import tempfile

from psycopg.conninfo import make_conninfo

from . import aws, storage

# verify-full: TLS, the server's certificate chains to a CA of the root certificate file and names the host (on
# AWS); require: TLS without verifying the server (the local stack's self-signed server), and only there.
SSL_MODES = ("verify-full", "require")
# Set to 1 in the environment of the local stack's drivers (local/stack.ts): a job argument cannot set it.
LOCAL_STACK = "LANDING_ETL_LOCAL_STACK"


class DatabaseConfigError(ValueError):
    pass


def secret(secret_arn: str) -> dict:
    """A database secret in the RDS format (username, password, host, port, dbname)."""
    return json.loads(aws.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"])


def dsn(secret_arn: str, host: str = "", sslmode: str = "", sslrootcert_uri: str = "") -> str:
    """`host` (the cluster or RDS Proxy endpoint) wins over the secret's: an RDS-managed secret holds none.

    On AWS the connection string is libpq's keyword form built by make_conninfo, which quotes every value, so any
    password (with `/`, `@`, `:`, `%`, quotes or spaces) reaches the server as it is. TLS is required and verified
    against the CA bundle at `sslrootcert_uri` (--db_sslrootcert, shipped with the artifacts), which is read to a
    local file for libpq; only the local stack may connect with `require`. The template passes all of these as
    NonOverridableArguments: no StartJobRun can send the password elsewhere."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    sslmode = sslmode or "verify-full"
    if sslmode not in SSL_MODES:
        raise DatabaseConfigError(f"--db_sslmode must be one of {', '.join(SSL_MODES)}, got {sslmode!r}")
    if sslmode != "verify-full" and os.environ.get(LOCAL_STACK) != "1":
        raise DatabaseConfigError(
            f"--db_sslmode {sslmode} is refused outside the local stack: the server's certificate must be verified "
            "(verify-full)"
        )
    if sslmode == "verify-full" and not sslrootcert_uri:
        raise DatabaseConfigError("--db_sslmode verify-full needs --db_sslrootcert, the CA bundle to verify with")
    credentials = secret(secret_arn)
    host = host or credentials.get("host", "")
    if not host:
        raise DatabaseConfigError(f"no database host: the secret {secret_arn} has none and --db_host is empty")
    return make_conninfo(
        host=host,
        port=str(credentials.get("port", 5432)),
        dbname=credentials.get("dbname", "postgres"),
        user=credentials["username"],
        password=credentials["password"],
        sslmode=sslmode,
        # Only to verify: with a root certificate file, libpq's `require` verifies the CA too.
        **({"sslrootcert": root_certificate(sslrootcert_uri)} if sslmode == "verify-full" else {}),
    )


def root_certificate(uri: str) -> str:
    """The CA bundle at `uri` (S3 or a local path) in a local file, whose path libpq takes."""
    with tempfile.NamedTemporaryFile("w", prefix="db-ca-", suffix=".pem", delete=False) as f:
        f.write(storage.read_text(uri))
    return f.name
