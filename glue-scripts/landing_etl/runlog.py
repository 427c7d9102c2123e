"""Writes a stage's metrics into its run-log item (the table the state machine records the stage states in), and the
row counts a list of ingestions shows onto the ingestion's summary, so a page of runs needs no read per run."""

from __future__ import annotations

from decimal import Decimal

from . import aws

# Per stage: which of its metrics the summary carries, under which name.
SUMMARY_COUNTS = {
    "transform": {"rowsIn": "rowsIn"},
    "test": {"rowsOut": "accepted", "rejected": "rejected", "duplicates": "duplicateRows"},
    "load": {"rowsOut": "rowsLoaded"},
}


def summary_counts(stage: str, metrics: dict) -> dict:
    return {
        name: metrics[key] for key, name in SUMMARY_COUNTS.get(stage, {}).items() if isinstance(metrics.get(key), int)
    }


def record_metrics(table: str, ingestion_id: str, stage: str, metrics: dict) -> None:
    item = {k: Decimal(str(v)) if isinstance(v, float) else v for k, v in metrics.items()}
    runlog = aws.resource("dynamodb").Table(table)
    runlog.update_item(
        Key={"pk": f"ING#{ingestion_id}", "sk": f"STAGE#{stage}"},
        UpdateExpression="SET #metrics = :m",
        ExpressionAttributeNames={"#metrics": "metrics"},
        ExpressionAttributeValues={":m": item},
    )
    counts = summary_counts(stage, metrics)
    if counts:
        runlog.update_item(
            Key={"pk": f"ING#{ingestion_id}", "sk": "SUMMARY"},
            UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in counts),
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={f"#{k}": k for k in counts},
            ExpressionAttributeValues={f":{k}": v for k, v in counts.items()},
        )
