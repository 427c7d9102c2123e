"""The file names a dataset accepts, compared ignoring case (`.CSV.GZ` is a `.csv.gz`). The executor lists the same in
functions/shared/extensions.ts (test/unit/extensions.test.ts holds the two lists equal)."""

from __future__ import annotations

ACCEPTED = (".csv", ".csv.gz", ".csv.bz2")


def extension_of(key: str) -> str | None:
    """The accepted extension `key` ends with, in lower case; None when it ends with none."""
    lower = key.lower()
    return next((e for e in ACCEPTED if lower.endswith(e)), None)
