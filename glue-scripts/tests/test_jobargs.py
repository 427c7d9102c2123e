import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from landing_etl.jobargs import JobArgumentError, MissingJobArgument, resolve_args

NAMES = ["ingestion_id", "dataset", "staging_uri"]


def test_reads_glue_style_arguments_and_ignores_unknown_ones():
    argv = ["--JOB_NAME", "j", "--ingestion_id", "abc", "--dataset=dailycheckin", "--extra", "x"]
    assert resolve_args(argv, ["ingestion_id", "dataset"]) == {"ingestion_id": "abc", "dataset": "dailycheckin"}


def test_a_key_only_flag_does_not_swallow_the_next_argument():
    argv = ["--enable-metrics", "--ingestion_id", "abc", "--enable-continuous-cloudwatch-log", "--dataset", "d"]
    assert resolve_args(argv, ["ingestion_id", "dataset"]) == {"ingestion_id": "abc", "dataset": "d"}


def test_glue_special_parameters_anywhere_keep_their_values_out_of_the_jobs_arguments():
    argv = [
        "--job-bookmark-option", "job-bookmark-disable",
        "--dataset", "dailycheckin",
        "--JOB_ID", "j_0123",
        "--enable-metrics",
        "--TempDir", "s3://data/glue-temp/",
        "--JOB_RUN_ID", "jr_4567",
        "--ingestion_id", "abc",
        "--JOB_NAME", "landing-etl-dev-load",
        "--staging_uri=s3://data/staging/abc",
        "--enable-observability-metrics", "true",
    ]  # fmt: skip
    assert resolve_args(argv, NAMES) == {
        "ingestion_id": "abc",
        "dataset": "dailycheckin",
        "staging_uri": "s3://data/staging/abc",
    }


def test_the_last_of_a_repeated_argument_wins_as_job_run_arguments_override_defaults():
    assert resolve_args(["--dataset", "a", "--dataset=b", "--dataset", "c"], ["dataset"]) == {"dataset": "c"}


def test_the_equals_form_keeps_everything_after_the_first_equals_sign():
    assert resolve_args(["--dataset=a=b", "--ingestion_id="], ["dataset", "ingestion_id"]) == {
        "dataset": "a=b",
        "ingestion_id": "",
    }


def test_a_value_beginning_with_dashes_is_read_only_in_the_equals_form_as_glue_reads_it():
    assert resolve_args(["--dataset=--odd", "--ingestion_id", "-5"], ["dataset", "ingestion_id"]) == {
        "dataset": "--odd",
        "ingestion_id": "-5",  # a negative number is a value
    }
    with pytest.raises(JobArgumentError, match="--dataset: expected one argument"):
        resolve_args(["--dataset", "--odd", "--ingestion_id", "abc"], ["dataset", "ingestion_id"])


def test_a_value_outside_a_glue_parameters_choices_is_refused():
    with pytest.raises(JobArgumentError, match="job-bookmark-option"):
        resolve_args(["--job-bookmark-option", "sometimes", "--dataset", "d"], ["dataset"])


def test_names_every_missing_argument():
    with pytest.raises(MissingJobArgument, match="--dataset, --staging_uri"):
        resolve_args(["--ingestion_id", "a"], NAMES)


def test_an_abbreviated_name_is_not_the_argument():
    with pytest.raises(MissingJobArgument, match="--ingestion_id"):
        resolve_args(["--ingestion", "a"], ["ingestion_id"])


def test_asking_for_a_glue_special_parameter_is_refused():
    with pytest.raises(JobArgumentError, match="reserved job argument names: --JOB_RUN_ID"):
        resolve_args(["--JOB_RUN_ID", "jr_1"], ["JOB_RUN_ID"])


def test_optional_arguments_default_to_empty():
    argv = ["--ingestion_id", "a", "--privacy_key_secret_arn", "arn:x"]
    assert resolve_args(argv, ["ingestion_id"], optional=("privacy_key_secret_arn", "other")) == {
        "ingestion_id": "a",
        "privacy_key_secret_arn": "arn:x",
        "other": "",
    }


# Arguments Glue adds to every run, in no fixed order: key-only flags, and its own parameters with their values.
GLUE_FLAGS = [
    "--enable-metrics",
    "--enable-observability-metrics",
    "--enable-continuous-cloudwatch-log",
    "--enable-glue-datacatalog",
    "--enable-job-insights",
    "--enable-spark-ui",
]
PLAIN = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
ANY_VALUE = st.one_of(PLAIN, st.from_regex(r"\A-{1,2}[a-z_]{1,6}\Z"))  # some begin with dashes
GLUE_PAIRS = st.sampled_from(
    [
        ["--JOB_ID", "j_1f2e"],
        ["--JOB_RUN_ID", "jr_9a8b"],
        ["--JOB_NAME", "landing-etl-dev-load"],
        ["--TempDir", "s3://data/glue-temp/"],
        ["--job-bookmark-option", "job-bookmark-disable"],
        ["--SECURITY_CONFIGURATION", "landing-etl-dev"],
        ["--job-language", "python"],
        ["--extra-py-files", "s3://deploy/glue/abc/landing_etl.zip"],
        ["--enable-metrics=true"],
    ]
)


def _as_tokens(name: str, value: str, equals_form: bool) -> list[str]:
    # A value that looks like an option can only be passed as --name=value (see jobargs' docstring).
    return [f"--{name}={value}"] if equals_form or value.startswith("-") else [f"--{name}", value]


@settings(derandomize=True, max_examples=300, deadline=None)
@given(
    values=st.fixed_dictionaries({n: ANY_VALUE for n in NAMES}),
    equals_forms=st.lists(st.booleans(), min_size=len(NAMES), max_size=len(NAMES)),
    noise=st.lists(st.one_of(st.sampled_from(GLUE_FLAGS).map(lambda f: [f]), GLUE_PAIRS), max_size=12),
    order=st.randoms(use_true_random=False),
)
def test_any_interleaving_with_glue_parameters_and_flags_resolves_to_the_same_values(
    values, equals_forms, noise, order
):
    groups = [_as_tokens(n, values[n], eq) for n, eq in zip(NAMES, equals_forms, strict=True)] + noise
    order.shuffle(groups)
    argv = [token for group in groups for token in group]
    assert resolve_args(argv, NAMES) == values
