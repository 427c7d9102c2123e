"""Job arguments as Glue passes them, resolved the way awsglue.utils.getResolvedOptions resolves them, without
depending on the awsglue library.

What getResolvedOptions does (awslabs/aws-glue-libs, branch glue-5.1, awsglue/utils.py and awsglue/job.py; the
Glue docs page "Accessing parameters using getResolvedOptions"): it is argparse's parse_known_args over sys.argv[1:]
with every asked-for name declared as a required `--name` option taking one value, so
- `--key value` and `--key=value` both work, and a repeated key keeps its last value;
- an argument nobody asked for is ignored: a key-only flag (`--enable-metrics`, which Glue passes with no value) or
  an unknown `--key value` pair never swallows the next key;
- Glue's own parameters are declared too, so their values are consumed wherever they come: --job-bookmark-option,
  --continuation-option and --encryption-type (each with its fixed choices), --job-bookmark-from/-to, --JOB_ID,
  --JOB_RUN_ID, --SECURITY_CONFIGURATION, --enable-data-lineage, --TempDir, --RedshiftTempDir. Asking for one of
  them is an error. --JOB_NAME is not among them: it is an ordinary argument, read only when asked for;
- a value that looks like an option (starts with `-`, is no negative number and has no space) is not taken as a
  value: `--key --value` fails with "expected one argument"; `--key=--value` is how such a value is passed.

Differences, on purpose: the argv here has no script name (the entry scripts pass sys.argv[1:]); names in
`optional` default to ""; abbreviated names are refused (Glue 5.1's parser accepts `--ingest` for `--ingestion_id`,
Glue 6.0's refuses it: aws-glue-libs README, release notes of 2026-08-18); `-h` is no help option; and the
job-bookmark from/to consistency check is left out (the jobs use no bookmarks)."""

from __future__ import annotations

import argparse

# Glue's own parameters, as getResolvedOptions declares them: name → the values it accepts (None: any).
GLUE_PARAMETERS: dict[str, tuple[str, ...] | None] = {
    "job-bookmark-option": ("job-bookmark-enable", "job-bookmark-pause", "job-bookmark-disable"),
    "continuation-option": ("continuation-enabled", "continuation-readonly", "continuation-ignore"),
    "job-bookmark-from": None,
    "job-bookmark-to": None,
    "JOB_ID": None,
    "JOB_RUN_ID": None,
    "SECURITY_CONFIGURATION": None,
    "encryption-type": ("sse-s3",),
    "enable-data-lineage": None,
    "RedshiftTempDir": None,
    "TempDir": None,
}


class JobArgumentError(ValueError):
    pass


class MissingJobArgument(JobArgumentError):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse would print usage and exit; a job run should fail with the reason
        raise JobArgumentError(f"job arguments: {message}")


def resolve_args(argv: list[str], names: list[str], optional: tuple[str, ...] = ()) -> dict[str, str]:
    """Every name is required; `optional` ones default to ""; arguments not asked for are ignored."""
    wanted = [*names, *optional]
    reserved = [n for n in wanted if n in GLUE_PARAMETERS and n not in ("TempDir", "RedshiftTempDir")]
    if reserved:
        raise JobArgumentError(f"reserved job argument names: {', '.join('--' + n for n in reserved)}")
    parser = _Parser(allow_abbrev=False, add_help=False)
    for name, choices in GLUE_PARAMETERS.items():
        parser.add_argument(f"--{name}", dest=name, choices=choices)
    for name in wanted:
        if name not in GLUE_PARAMETERS:
            parser.add_argument(f"--{name}", dest=name)
    values = vars(parser.parse_known_args(argv)[0])
    missing = [n for n in names if values[n] is None]
    if missing:
        raise MissingJobArgument(f"missing job arguments: {', '.join('--' + n for n in missing)}")
    return {n: values[n] if values[n] is not None else "" for n in wanted}
