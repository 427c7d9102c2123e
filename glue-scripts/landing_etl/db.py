"""Database credentials: DATABASE_URL locally; on AWS the Secrets Manager secret named by the job argument."""

from __future__ import annotations

import json
import os

from psycopg.conninfo import make_conninfo

from . import aws


class DatabaseConfigError(ValueError):
    pass


def dsn(secret_arn: str, host: str = "") -> str:
    """`host` (the cluster or RDS Proxy endpoint) wins over the secret's: an RDS-managed secret holds none.

    On AWS the connection string is libpq's keyword form built by make_conninfo, which quotes every value, so any
    password (with `/`, `@`, `:`, `%`, quotes or spaces) reaches the server as it is; TLS is required."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    secret = json.loads(aws.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"])
    host = host or secret.get("host", "")
    if not host:
        raise DatabaseConfigError(f"no database host: the secret {secret_arn} has none and --db_host is empty")
    return make_conninfo(
        host=host,
        port=str(secret.get("port", 5432)),
        dbname=secret.get("dbname", "postgres"),
        user=secret["username"],
        password=secret["password"],
        sslmode="require",
    )
