"""Database credentials: DATABASE_URL locally; on AWS the Secrets Manager secret named by the job argument."""

from __future__ import annotations

import json
import os
from urllib.parse import quote


class DatabaseConfigError(ValueError):
    pass


def dsn(secret_arn: str, host: str = "") -> str:
    """`host` (the cluster or RDS Proxy endpoint) wins over the secret's: an RDS-managed secret holds none."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    import boto3

    secret = json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"])
    host = host or secret.get("host", "")
    if not host:
        raise DatabaseConfigError(f"no database host: the secret {secret_arn} has none and --db_host is empty")
    return (
        f"postgresql://{quote(secret['username'])}:{quote(secret['password'])}@{host}:{secret.get('port', 5432)}"
        f"/{secret.get('dbname', 'postgres')}?sslmode=require"
    )
