"""Database credentials: DATABASE_URL locally; on AWS the Secrets Manager secret named by the job argument."""

from __future__ import annotations

import json
import os
from urllib.parse import quote


def dsn(secret_arn: str) -> str:
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    import boto3

    secret = json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"])
    return (
        f"postgresql://{quote(secret['username'])}:{quote(secret['password'])}@{secret['host']}:{secret.get('port', 5432)}"
        f"/{secret.get('dbname', 'postgres')}?sslmode=require"
    )
