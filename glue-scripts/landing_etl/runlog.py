"""Writes a stage's metrics into its run-log item (the table the state machine records the stage states in), and the
row counts a list of ingestions shows onto the ingestion's summary, so a page of runs needs no read per run.

The names are the run log's one schema (functions/shared/run-log-items.json; tests/test_runlog.py checks these agree
with it). Every write is scoped to the job run's attempt: a job of an earlier attempt still running after a retry
started can overwrite none of the later attempt's figures."""

from __future__ import annotations

from decimal import Decimal

from . import aws

# Per stage: the metrics its job records.
METRICS = {
    "transform": {
        "rowsIn",
        "rowsOut",
        "bytesRead",
        "partitions",
        "splittable",
        "multiline",
        "sourceModified",
        "seconds",
    },
    "test": {
        "rowsIn",
        "rowsOut",
        "rejected",
        "duplicates",
        "rejectedByRule",
        "bytesRead",
        "partitions",
        "mode",
        "rejectedUri",
        "reportUri",
        "seconds",
    },
    "load": {"rowsIn", "rowsOut", "replaced", "supersededBy", "bytesRead", "table", "connections", "seconds"},
}
# Per stage: which of its metrics the summary carries, under which name.
SUMMARY_COUNTS = {
    "transform": {"rowsIn": "rowsIn"},
    "test": {"rowsOut": "accepted", "rejected": "rejected", "duplicates": "duplicateRows"},
    "load": {"rowsOut": "rowsLoaded"},
}


class SupersededAttempt(RuntimeError):
    """The ingestion has moved on to a later attempt: this job run's figures are not recorded."""


def summary_counts(stage: str, metrics: dict) -> dict:
    return {
        name: metrics[key] for key, name in SUMMARY_COUNTS.get(stage, {}).items() if isinstance(metrics.get(key), int)
    }


def attempt_of(argument: str) -> int | None:
    """The --attempt job argument; none from an execution started before the state machine passed it."""
    return int(argument) if argument.isdigit() else None


def record_metrics(table: str, ingestion_id: str, stage: str, metrics: dict, attempt: int | None = None) -> None:
    unknown = sorted(set(metrics) - METRICS[stage])
    if unknown:
        raise ValueError(f"run log: {stage} records no metric {unknown} (functions/shared/run-log-items.json)")
    item = {k: Decimal(str(v)) if isinstance(v, float) else v for k, v in metrics.items()}
    scoped = {} if attempt is None else {"ConditionExpression": "attempt = :attempt"}
    scope = {} if attempt is None else {":attempt": attempt}
    runlog = aws.resource("dynamodb").Table(table)
    errors = aws.resource("dynamodb").meta.client.exceptions
    try:
        runlog.update_item(
            Key={"pk": f"ING#{ingestion_id}", "sk": f"STAGE#{stage}"},
            UpdateExpression="SET #metrics = :m",
            ExpressionAttributeNames={"#metrics": "metrics"},
            ExpressionAttributeValues={":m": item, **scope},
            **scoped,
        )
        counts = summary_counts(stage, metrics)
        if counts:
            runlog.update_item(
                Key={"pk": f"ING#{ingestion_id}", "sk": "SUMMARY"},
                UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in counts),
                ConditionExpression="attribute_exists(pk)" + ("" if attempt is None else " AND attempt = :attempt"),
                ExpressionAttributeNames={f"#{k}": k for k in counts},
                ExpressionAttributeValues={**{f":{k}": v for k, v in counts.items()}, **scope},
            )
    except errors.ConditionalCheckFailedException as e:
        raise SupersededAttempt(
            f"ingestion {ingestion_id} is no longer at attempt {attempt}: the {stage} figures of this run are not "
            "recorded"
        ) from e
