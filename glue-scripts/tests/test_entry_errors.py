"""Each job's entry script fails with a message Glue can carry whole: one line of at most 1 KB, under the name of
the error raised."""

import importlib.util

import pytest

from .conftest import REPO

# Every argument each job asks for; a contract folder whose path alone is longer than an error may be.
ARGS = {
    "ingestion_id": "ing-1",
    "dataset": "d",
    "source_uri": "s3://landing/d/a.csv",
    "source_version": "v1",
    "staging_uri": "s3://data/staging/d/ing-1",
    "quality_mode": "soft",
    "run_log_table": "runlog",
    "datasets_uri": "/nonexistent/" + "/".join(["d" * 200] * 6),
    "db_secret_arn": "arn:aws:secretsmanager:eu-north-1:123456789012:secret:db",
    "migrations_uri": "/nonexistent",
    "aws_region": "eu-north-1",
}


@pytest.mark.parametrize("script", ["transform.py", "quality.py", "load.py"])
def test_a_job_that_fails_says_why_in_one_line_of_at_most_1_kb(script):
    spec = importlib.util.spec_from_file_location(f"entry_{script[:-3]}", REPO / "glue-scripts" / script)
    job = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(job)
    with pytest.raises(Exception) as e:
        job.main([x for k, v in ARGS.items() for x in (f"--{k}", v)])
    message = str(e.value)
    assert type(e.value).__name__ == "ContractError"
    assert message.startswith("no contract for dataset 'd' at /nonexistent/ddd") and message.endswith("cut)")
    assert len(message.encode()) <= 1024 and "\n" not in message
