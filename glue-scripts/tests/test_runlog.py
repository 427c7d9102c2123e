"""The Glue jobs' run-log writes: the names agree with the run log's one schema, and every write is scoped to the
job run's attempt."""

import json

import pytest

from landing_etl import runlog

from .conftest import REPO

SCHEMA = json.loads((REPO / "functions" / "shared" / "run-log-items.json").read_text())


def test_the_metrics_and_summary_counts_the_jobs_write_are_the_run_log_schemas():
    assert {stage: sorted(names) for stage, names in runlog.METRICS.items()} == {
        stage: sorted(names) for stage, names in SCHEMA["metrics"].items() if not stage.startswith("$")
    }
    assert runlog.SUMMARY_COUNTS == {k: v for k, v in SCHEMA["summaryCounts"].items() if not k.startswith("$")}
    assert set(runlog.SUMMARY_COUNTS.get("test", {}).values()) <= set(SCHEMA["summary"]["attributes"])


def test_a_metric_the_schema_does_not_name_is_refused_before_anything_is_written(aws_apis, run_log_table):
    with pytest.raises(ValueError, match=r"test records no metric \['acceptedRows'\]"):
        runlog.record_metrics(run_log_table, "ing-x", "test", {"rowsIn": 1, "acceptedRows": 1}, attempt=1)
    key = {"pk": {"S": "ING#ing-x"}, "sk": {"S": "STAGE#test"}}
    assert "Item" not in aws_apis.dynamodb.get_item(TableName=run_log_table, Key=key)


def test_a_job_of_an_earlier_attempt_overwrites_none_of_the_later_attempts_figures(aws_apis, run_log_table):
    stage = {"pk": {"S": "ING#ing-3"}, "sk": {"S": "STAGE#test"}}
    summary = {"pk": {"S": "ING#ing-3"}, "sk": {"S": "SUMMARY"}}
    # Attempt 2 is under way: the state machine has replaced the stage item, and the summary is at attempt 2.
    aws_apis.dynamodb.put_item(TableName=run_log_table, Item={**stage, "attempt": {"N": "2"}})
    aws_apis.dynamodb.put_item(TableName=run_log_table, Item={**summary, "attempt": {"N": "2"}})
    runlog.record_metrics(run_log_table, "ing-3", "test", {"rowsIn": 10, "rowsOut": 9, "rejected": 1}, attempt=2)
    with pytest.raises(runlog.SupersededAttempt, match="no longer at attempt 1"):
        runlog.record_metrics(run_log_table, "ing-3", "test", {"rowsIn": 5, "rowsOut": 0, "rejected": 5}, attempt=1)
    stage_item = aws_apis.dynamodb.get_item(TableName=run_log_table, Key=stage)["Item"]
    assert stage_item["metrics"]["M"]["rowsOut"] == {"N": "9"}
    summary_item = aws_apis.dynamodb.get_item(TableName=run_log_table, Key=summary)["Item"]
    assert (summary_item["accepted"], summary_item["rejected"]) == ({"N": "9"}, {"N": "1"})


def test_a_replayed_ingestions_figures_leave_its_replay_marks_as_the_executor_wrote_them(aws_apis, run_log_table):
    # The executor writes replayOf and replayId (names of the schema's summary) when it records a replay's ingestion.
    marks = {name: {"S": f"{name}-value"} for name in ("replayOf", "replayId")}
    assert set(marks) <= set(SCHEMA["summary"]["attributes"])
    stage = {"pk": {"S": "ING#ing-r"}, "sk": {"S": "STAGE#test"}}
    summary = {"pk": {"S": "ING#ing-r"}, "sk": {"S": "SUMMARY"}}
    aws_apis.dynamodb.put_item(TableName=run_log_table, Item={**stage, "attempt": {"N": "1"}})
    aws_apis.dynamodb.put_item(TableName=run_log_table, Item={**summary, "attempt": {"N": "1"}, **marks})
    runlog.record_metrics(run_log_table, "ing-r", "test", {"rowsIn": 3, "rowsOut": 2, "rejected": 1}, attempt=1)
    item = aws_apis.dynamodb.get_item(TableName=run_log_table, Key=summary)["Item"]
    assert {k: item[k] for k in marks} == marks
    assert item["accepted"] == {"N": "2"}
