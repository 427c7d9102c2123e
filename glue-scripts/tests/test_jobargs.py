import pytest

from landing_etl.jobargs import MissingJobArgument, resolve_args


def test_reads_glue_style_arguments_and_ignores_unknown_ones():
    argv = ["--JOB_NAME", "j", "--ingestion_id", "abc", "--dataset=dailycheckin", "--extra", "x"]
    assert resolve_args(argv, ["ingestion_id", "dataset"]) == {"ingestion_id": "abc", "dataset": "dailycheckin"}


def test_names_every_missing_argument():
    with pytest.raises(MissingJobArgument, match="--dataset, --staging_uri"):
        resolve_args(["--ingestion_id", "a"], ["ingestion_id", "dataset", "staging_uri"])


def test_optional_arguments_default_to_empty():
    argv = ["--ingestion_id", "a", "--privacy_key_secret_arn", "arn:x"]
    assert resolve_args(argv, ["ingestion_id"], optional=("privacy_key_secret_arn", "other")) == {
        "ingestion_id": "a",
        "privacy_key_secret_arn": "arn:x",
        "other": "",
    }
