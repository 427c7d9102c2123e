"""Writes a stage's metrics into its run-log item (the table the state machine records the stage states in)."""

from __future__ import annotations

from decimal import Decimal

from . import aws


def record_metrics(table: str, ingestion_id: str, stage: str, metrics: dict) -> None:
    item = {k: Decimal(str(v)) if isinstance(v, float) else v for k, v in metrics.items()}
    aws.resource("dynamodb").Table(table).update_item(
        Key={"pk": f"ING#{ingestion_id}", "sk": f"STAGE#{stage}"},
        UpdateExpression="SET #metrics = :m",
        ExpressionAttributeNames={"#metrics": "metrics"},
        ExpressionAttributeValues={":m": item},
    )
