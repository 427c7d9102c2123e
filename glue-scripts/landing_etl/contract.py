"""Dataset contracts (datasets/NAME.json): read once per job, validated, errors naming the file and the field.

A column names its source header, type (with its parameters: formats, spellings, precision, length), trimming,
privacy handling, target column and its rules; every rule says what a failure does: `warn` (count it), `quarantine`
(reject the row) or `fail` (stop the run). The target names the serving table and the indexes it needs
(landing_etl/schema.py creates it from the contract)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import storage

TYPES = ("string", "timestamp", "date", "boolean", "decimal", "integer")
# Named timestamp formats (landing_etl/timestamps.py); the first three are the check-in files' families.
TIMESTAMP_FORMATS = ("iso_utc", "us_12h", "ru_day_month_year", "epoch_seconds", "epoch_milliseconds")
EPOCHS = ("epoch_seconds", "epoch_milliseconds")
DATE_FORMATS = ("iso_date",)
# Spark datetime pattern letters that parse (week-based ones do not); text between single quotes is literal.
_PATTERN_LETTERS = set("GyMLdDQqEaFhKkHmsSVzOXxZ")
_OFFSET_LETTERS = set("VzOXxZ")
DECIMAL_MAX_PRECISION = 38  # Spark's DecimalType
SEVERITIES = ("warn", "quarantine", "fail")
PRIVACY = ("drop", "hash", "mask")
MODES = ("hard", "soft")
CHECKS = ("required", "format", "range", "pattern", "allowed")
SCHEDULE_EVERY = ("day", "weekday")
SCHEDULE_BUSINESS_DATE = ("previous day", "same day")
_DUE = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
# The jobs never compute with the schedule (the freshness checker, functions/shared/freshness.ts, does and checks the
# zone exists); here a zone only has to look like an IANA name, so a job does not depend on the image's tz database.
_TIME_ZONE = re.compile(r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$")
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
# The dataset name heads the landing key, the ingestion id (a Step Functions execution name, at most 80 characters) and
# the subject of the state machine's alerts, which SNS caps below 100 characters: the longest subject is 56 characters
# plus the name. functions/shared/contracts.ts checks the same pattern and length.
DATASET_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
DATASET_NAME_MAX = 40
# The most bytes of CSV a file may hold, as decompressed (docs/limits.md): a compressed file that inflates past it is
# refused as it inflates, a plain one larger than it when it lands (functions/shared/contracts.ts, the same default).
DEFAULT_MAX_BYTES = 4 << 30


class ContractError(ValueError):
    pass


@dataclass(frozen=True)
class Rule:
    """One check on one column; `name` (column.check) is what reports, rejected rows and errors call it."""

    column: str
    check: str
    on_fail: str = "quarantine"
    # Numbers, for timestamp columns zone-aware datetimes, for date columns dates.
    min: float | date | None = None
    min_exclusive: float | date | None = None
    max: float | date | None = None
    max_exclusive: float | date | None = None
    regex: str | None = None
    values: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.column}.{self.check}"


@dataclass(frozen=True)
class Format:
    """One accepted spelling of a timestamp or date column: a named preset or a Spark datetime pattern, and the IANA
    zone its local times are in (None when the value carries its own offset, or is an epoch or a date)."""

    preset: str | None = None
    pattern: str | None = None
    zone: str | None = "UTC"

    @property
    def label(self) -> str:
        """How errors name it: a UTC preset by its name alone, as the check-in files' reports always did."""
        text = self.preset or self.pattern or ""
        return text if self.zone is None or (self.preset and self.zone == "UTC") else f"{text} ({self.zone})"


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    target: str | None
    trim: bool = True
    formats: tuple[Format, ...] = ()
    privacy: str | None = None
    mask_keep: int = 0
    rules: tuple[Rule, ...] = ()
    max_length: int | None = None
    precision: int | None = None
    scale: int | None = None
    true_values: tuple[str, ...] = ()
    false_values: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The column's name in staged Parquet: its target, or (for a dropped column) its header made safe."""
        return self.target or "_" + re.sub(r"[^A-Za-z0-9_]", "_", self.name)


@dataclass(frozen=True)
class Contract:
    name: str
    columns: tuple[Column, ...]
    table: str
    mode: str = "soft"
    max_reject_ratio: float = 0.05
    min_rows: int = 1
    dedup: tuple[str, ...] = ()
    # Each index: its columns, in order, as "name" or "name desc".
    indexes: tuple[tuple[str, ...], ...] = ()
    # Records may contain line breaks inside quoted fields anywhere in the file: read it whole (one partition).
    multiline: bool = False
    max_bytes: int = DEFAULT_MAX_BYTES

    @property
    def source_columns(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def loaded_columns(self) -> list[Column]:
        """The columns that reach the target table (a `drop` column never does)."""
        return [c for c in self.columns if c.privacy != "drop"]

    @property
    def rules(self) -> list[Rule]:
        return [r for c in self.columns for r in c.rules]


def load(datasets_uri: str, name: str) -> Contract:
    path = storage.join(datasets_uri, f"{name}.json")
    try:
        raw = json.loads(storage.read_text(path))
    except FileNotFoundError as e:
        raise ContractError(f"no contract for dataset {name!r} at {path}") from e
    except json.JSONDecodeError as e:
        raise ContractError(f"{path}: not valid JSON ({e})") from e
    return parse(raw, path)


class _Reader:
    """Typed field access that names the file and the field path in every error."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, where: str, message: str) -> ContractError:
        return ContractError(f"{self.source}: field {where} {message}")

    def get(self, obj: dict, key: str, where: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in obj:
            if default is ...:
                raise self.fail(f"{where}{key}", "is required")
            return default
        value = obj[key]
        # JSON true/false are ints in Python: a number field must not accept them.
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            raise self.fail(f"{where}{key}", f"must be {_kind_name(kind)}, got {value!r}")
        if not isinstance(value, kind):
            raise self.fail(f"{where}{key}", f"must be {_kind_name(kind)}, got {value!r}")
        return value

    def strings(self, obj: dict, key: str, where: str, default: Any = ...) -> Any:
        """A list of strings (an item of another kind would otherwise surface as a TypeError far from the field)."""
        value = self.get(obj, key, where, list, default)
        if value is not default and not all(isinstance(v, str) for v in value):
            raise self.fail(f"{where}{key}", f"must be a list of strings, got {value!r}")
        return value

    def choice(self, obj: dict, key: str, where: str, allowed: tuple[str, ...], default: Any = ...) -> Any:
        value = self.get(obj, key, where, str, default)
        if value is not None and value not in allowed:
            raise self.fail(f"{where}{key}", f"must be one of {list(allowed)}, got {value!r}")
        return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "true or false",
        list: "a list",
        dict: "an object",
    }
    return " or ".join(dict.fromkeys(names[k] for k in kinds))


_NUMBER = (int, float)


def _instant(r: _Reader, text: str, field: str) -> datetime:
    """A timestamp range bound: ISO-8601 with its zone, so a bound never depends on where the job runs."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise r.fail(field, f"must be an ISO-8601 time with a zone, e.g. 2000-01-01T00:00:00Z, got {text!r}")
    return value


def _day(r: _Reader, text: str, field: str) -> date:
    """A date range bound: YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise r.fail(field, f"must be a date YYYY-MM-DD, e.g. 2000-01-01, got {text!r}") from None


def _rule(r: _Reader, raw: Any, where: str, column: dict, ctype: str, checks_format: bool) -> Rule:
    if not isinstance(raw, dict):
        raise r.fail(where.rstrip("."), "must be an object")
    check = r.choice(raw, "check", where, CHECKS)
    on_fail = r.choice(raw, "on_fail", where, SEVERITIES, "quarantine")
    known = {"check", "on_fail"}
    rule = Rule(column=column["name"], check=check, on_fail=on_fail)
    if check == "format" and not checks_format:
        raise r.fail(f"{where}check", "format applies to typed columns and strings with a max_length only")
    if check == "range":
        if ctype not in ("decimal", "integer", "timestamp", "date"):
            raise r.fail(f"{where}check", "range applies to decimal, integer, timestamp and date columns only")
        kind = str if ctype in ("timestamp", "date") else _NUMBER
        bounds = {k: r.get(raw, k, where, kind, None) for k in ("min", "min_exclusive", "max", "max_exclusive")}
        if ctype in ("timestamp", "date"):
            bound = _instant if ctype == "timestamp" else _day
            bounds = {k: v if v is None else bound(r, v, f"{where}{k}") for k, v in bounds.items()}
        if all(v is None for v in bounds.values()):
            raise r.fail(where.rstrip("."), "range needs at least one of min, min_exclusive, max, max_exclusive")
        known |= set(bounds)
        rule = Rule(column=rule.column, check=check, on_fail=on_fail, **bounds)
    elif check == "pattern":
        regex = r.get(raw, "regex", where, str)
        try:
            re.compile(regex)
        except (re.error, OverflowError, RecursionError) as e:  # a{99999999999} overflows, deep nesting recurses
            raise r.fail(f"{where}regex", f"is not a valid regular expression ({e})") from e
        known.add("regex")
        rule = Rule(column=rule.column, check=check, on_fail=on_fail, regex=regex)
    elif check == "allowed":
        values = r.get(raw, "values", where, list)
        if not values or not all(isinstance(v, str) for v in values):
            raise r.fail(f"{where}values", "must be a non-empty list of strings")
        known.add("values")
        rule = Rule(column=rule.column, check=check, on_fail=on_fail, values=tuple(values))
    unknown = sorted(set(raw) - known)
    if unknown:
        raise r.fail(where.rstrip("."), f"has unknown key(s) {unknown} for check {check!r}")
    return rule


def _column(r: _Reader, c: Any, i: int) -> Column:
    where = f"columns[{i}]."
    if not isinstance(c, dict):
        raise r.fail(f"columns[{i}]", "must be an object")
    name = r.get(c, "name", where, str)
    if not name.strip():
        raise r.fail(f"{where}name", "must not be empty")
    ctype = r.choice(c, "type", where, TYPES)
    privacy = r.choice(c, "privacy", where, PRIVACY, None)
    target = r.get(c, "target", where, str, None)
    if privacy == "drop":
        if target is not None:
            raise r.fail(f"{where}target", "must be absent for a column with privacy drop (it is never loaded)")
    elif target is None:
        raise r.fail(f"{where}target", "is required")
    elif not _IDENTIFIER.fullmatch(target):
        raise r.fail(f"{where}target", f"must be a lowercase SQL identifier, got {target!r}")
    if privacy in ("hash", "mask") and ctype != "string":
        raise r.fail(f"{where}privacy", f"{privacy} applies to string columns only")
    formats = _formats(r, c, where, ctype)
    params = _type_parameters(r, c, where, ctype)
    checks_format = ctype != "string" or params.get("max_length") is not None
    rules = [
        _rule(r, raw, f"{where}rules[{j}].", c, ctype, checks_format)
        for j, raw in enumerate(r.get(c, "rules", where, list, []))
    ]
    checks = [x.check for x in rules]
    duplicated = sorted({x for x in checks if checks.count(x) > 1})
    if duplicated:
        raise r.fail(f"{where}rules", f"lists check(s) {duplicated} more than once")
    # A value that does not parse can never be loaded: its format rule exists even when the contract omits it.
    if checks_format and "format" not in checks:
        rules.append(Rule(column=name, check="format"))
    # Bytes that are not UTF-8 reach Spark as U+FFFD: such a value is refused rather than loaded garbled.
    rules.append(Rule(column=name, check="encoding"))
    mask_keep = r.get(c, "mask_keep", where, int, 0)
    if mask_keep < 0 or (mask_keep and privacy != "mask"):
        raise r.fail(f"{where}mask_keep", "must be a non-negative number of trailing characters, with privacy mask")
    unknown = sorted(set(c) - {"name", "type", "target", "trim", "formats", "privacy", "mask_keep", "rules", *params})
    if unknown:
        raise r.fail(f"columns[{i}]", f"has unknown key(s) {unknown}")
    return Column(
        name=name,
        type=ctype,
        target=target,
        trim=r.get(c, "trim", where, bool, True),
        formats=formats,
        privacy=privacy,
        mask_keep=mask_keep,
        rules=tuple(rules),
        **params,
    )


def _schedule(r: _Reader, schedule: dict | None) -> None:
    """When the dataset's file is due: read by the freshness checker, validated here so both readers accept the same
    contracts (functions/shared/contracts.ts)."""
    if schedule is None:
        return
    r.choice(schedule, "every", "schedule.", SCHEDULE_EVERY, "day")
    due = r.get(schedule, "due", "schedule.", str)
    if not _DUE.fullmatch(due):
        raise r.fail("schedule.due", f'must be a 24-hour local time "HH:MM", e.g. "06:00", got {due!r}')
    zone = r.get(schedule, "timeZone", "schedule.", str)
    if not _TIME_ZONE.fullmatch(zone):
        raise r.fail("schedule.timeZone", f'must be an IANA time zone name such as "Europe/London", got {zone!r}')
    grace = r.get(schedule, "graceMinutes", "schedule.", int, 0)
    if not 0 <= grace <= 1440:
        raise r.fail("schedule.graceMinutes", f"must be 0–1440 minutes, got {grace}")
    r.choice(schedule, "businessDate", "schedule.", SCHEDULE_BUSINESS_DATE, "previous day")
    unknown = sorted(set(schedule) - {"every", "due", "timeZone", "graceMinutes", "businessDate"})
    if unknown:
        raise r.fail("schedule", f"has unknown key(s) {unknown}")


# The parameters each type takes besides formats (the keys of _type_parameters' result are the contract's keys).
_PARAMETERS = {
    "string": ("max_length",),
    "decimal": ("precision", "scale"),
    "boolean": ("true_values", "false_values"),
}


def _type_parameters(r: _Reader, c: dict, where: str, ctype: str) -> dict[str, Any]:
    for other, keys in _PARAMETERS.items():
        for key in keys:
            if other != ctype and key in c:
                raise r.fail(f"{where}{key}", f"applies to {other} columns only")
    if ctype == "string":
        length = r.get(c, "max_length", where, int, None)
        if length is not None and length < 1:
            raise r.fail(f"{where}max_length", f"must be at least 1, got {length}")
        return {"max_length": length} if "max_length" in c else {}
    if ctype == "decimal":
        precision = r.get(c, "precision", where, int, None)
        scale = r.get(c, "scale", where, int, None)
        if (precision is None) != (scale is None):
            raise r.fail(f"{where}precision", "and scale go together: give both or neither")
        if precision is None:
            return {}
        if not 1 <= precision <= DECIMAL_MAX_PRECISION:
            raise r.fail(f"{where}precision", f"must be between 1 and {DECIMAL_MAX_PRECISION}, got {precision}")
        if not 0 <= scale <= precision:
            raise r.fail(f"{where}scale", f"must be between 0 and the precision {precision}, got {scale}")
        return {"precision": precision, "scale": scale}
    if ctype == "boolean":
        spellings = {}
        for key in ("true_values", "false_values"):
            values = r.strings(c, key, where, ["true"] if key == "true_values" else ["false"])
            if not values or not all(v.strip() for v in values):
                raise r.fail(f"{where}{key}", "must be a non-empty list of non-blank strings")
            spellings[key] = tuple(v.strip().lower() for v in values)
        both = sorted(set(spellings["true_values"]) & set(spellings["false_values"]))
        if both:
            raise r.fail(f"{where}false_values", f"repeat(s) {both} of true_values (spellings compare ignoring case)")
        return spellings
    return {}


def _zone(r: _Reader, raw: dict, field: str) -> str:
    zone = r.get(raw, "zone", field, str, "UTC")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise r.fail(f"{field}zone", f"must be an IANA time zone name such as Europe/London, got {zone!r}") from None
    return zone


def _pattern_letters(r: _Reader, pattern: str, field: str) -> set[str]:
    """The pattern letters outside quotes; refuses one Spark cannot parse with, naming it."""
    if not pattern.strip():
        raise r.fail(field, "must not be empty")
    unquoted = re.sub(r"'[^']*'", "", pattern)
    if "'" in unquoted:
        raise r.fail(field, "has an unclosed quote")
    letters = {ch for ch in unquoted if ch.isascii() and ch.isalpha()}
    bad = sorted(letters - _PATTERN_LETTERS)
    if bad:
        raise r.fail(
            field,
            f"uses letter(s) {bad}; a Spark datetime pattern uses {''.join(sorted(_PATTERN_LETTERS))} "
            "(text in single quotes)",
        )
    return letters


def _formats(r: _Reader, c: dict, where: str, ctype: str) -> tuple[Format, ...]:
    """A timestamp column's formats: preset names, or {"pattern"|"preset", "zone"} objects; a date column's: "iso_date"
    or {"pattern"} objects, "iso_date" when none are given."""
    raw_formats = r.get(c, "formats", where, list, None)
    if ctype not in ("timestamp", "date"):
        if raw_formats is not None:
            raise r.fail(f"{where}formats", "applies to timestamp and date columns only")
        return ()
    if raw_formats is None:
        if ctype == "timestamp":
            raise r.fail(f"{where}formats", "is required for a timestamp column")
        raw_formats = ["iso_date"]
    if not raw_formats:
        raise r.fail(f"{where}formats", "must list at least one format")
    names = TIMESTAMP_FORMATS if ctype == "timestamp" else DATE_FORMATS
    out = []
    for j, f in enumerate(raw_formats):
        field = f"{where}formats[{j}]"
        if isinstance(f, str):
            f = {"preset": f}
        if not isinstance(f, dict):
            raise r.fail(field, "must be a format name or an object with a pattern")
        allowed = {"preset", "pattern"} | ({"zone"} if ctype == "timestamp" else set())
        unknown = sorted(set(f) - allowed)
        if unknown or ("preset" in f) == ("pattern" in f):
            raise r.fail(field, f"must give exactly one of preset and pattern (and for a timestamp a zone); got {f!r}")
        if "preset" in f:
            preset = r.get(f, "preset", f"{field}.", str)
            if preset not in names:
                raise r.fail(field, f"is an unknown format {preset!r}; known: {list(names)}")
            if preset in EPOCHS and "zone" in f:
                raise r.fail(f"{field}.zone", "does not apply to an epoch: it counts from 1970-01-01T00:00:00Z")
            zone = None if ctype == "date" or preset in EPOCHS else _zone(r, f, f"{field}.")
            out.append(Format(preset=preset, zone=zone))
            continue
        pattern = r.get(f, "pattern", f"{field}.", str)
        letters = _pattern_letters(r, pattern, f"{field}.pattern")
        if ctype == "date":
            out.append(Format(pattern=pattern, zone=None))
        elif letters & _OFFSET_LETTERS:
            if "zone" in f:
                raise r.fail(f"{field}.zone", "does not apply: the pattern reads each value's own zone or offset")
            out.append(Format(pattern=pattern, zone=None))
        else:
            out.append(Format(pattern=pattern, zone=_zone(r, f, f"{field}.")))
    labels = [x.label for x in out]
    if len(set(labels)) != len(labels):
        raise r.fail(f"{where}formats", f"lists a format more than once: {labels}")
    return tuple(out)


# A contract's keys ("$schema" points editors at datasets/contract.schema.json; the job reads the contract itself).
_KEYS = {"$schema", "name", "description", "format", "multiline", "max_bytes", "columns", "dedup", "target"}
_KEYS |= {"quality", "schedule"}


def parse(raw: Any, source: str) -> Contract:
    r = _Reader(source)
    if not isinstance(raw, dict):
        raise ContractError(f"{source}: must be a JSON object")
    name = r.get(raw, "name", "", str)
    if not DATASET_NAME.fullmatch(name):
        raise r.fail("name", f"must be lowercase letters, digits and _, starting with a letter, got {name!r}")
    if len(name) > DATASET_NAME_MAX:
        raise r.fail("name", f"must be at most {DATASET_NAME_MAX} characters, got {len(name)}")
    r.get(raw, "description", "", str, None)
    r.choice(raw, "format", "", ("csv",), "csv")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise r.fail("(root)", f"has unknown key(s) {unknown}")
    raw_columns = r.get(raw, "columns", "", list)
    if not raw_columns:
        raise r.fail("columns", "must list at least one column")
    columns = tuple(_column(r, c, i) for i, c in enumerate(raw_columns))
    names = [c.name for c in columns]
    targets = [c.target for c in columns if c.target]
    for label, values in (("name", names), ("target", targets)):
        duplicated = sorted({v for v in values if values.count(v) > 1})
        if duplicated:
            raise r.fail("columns", f"repeat the {label}(s) {duplicated}")
    target = r.get(raw, "target", "", dict)
    table = r.get(target, "table", "target.", str)
    if not _IDENTIFIER.fullmatch(table):
        raise r.fail("target.table", f"must be a lowercase SQL identifier, got {table!r}")
    unknown = sorted(set(target) - {"table", "indexes"})
    if unknown:
        raise r.fail("target", f"has unknown key(s) {unknown}")
    indexes = _indexes(r, target, targets)
    quality = r.get(raw, "quality", "", dict, {})
    ratio = r.get(quality, "max_reject_ratio", "quality.", _NUMBER, 0.05)
    if not 0 <= ratio <= 1:  # compared before float(), which overflows on a huge integer
        raise r.fail("quality.max_reject_ratio", f"must be between 0 and 1, got {ratio}")
    min_rows = r.get(quality, "min_rows", "quality.", int, 1)
    if min_rows < 0:
        raise r.fail("quality.min_rows", f"must not be negative, got {min_rows}")
    _schedule(r, r.get(raw, "schedule", "", dict, None))
    max_bytes = r.get(raw, "max_bytes", "", int, DEFAULT_MAX_BYTES)
    if max_bytes < 1:
        raise r.fail("max_bytes", f"must be a positive number of bytes, got {max_bytes}")
    dedup = r.get(raw, "dedup", "", dict, None)
    dedup_columns: tuple[str, ...] = ()
    if dedup is not None:
        dedup_columns = tuple(r.strings(dedup, "columns", "dedup."))
        unknown = sorted(set(dedup_columns) - set(targets))
        if unknown or not dedup_columns:
            raise r.fail("dedup.columns", f"must name target columns; unknown: {unknown}")
    return Contract(
        name=name,
        columns=columns,
        table=table,
        mode=r.choice(quality, "mode", "quality.", MODES, "soft"),
        max_reject_ratio=float(ratio),
        min_rows=min_rows,
        dedup=dedup_columns,
        indexes=indexes,
        multiline=r.get(raw, "multiline", "", bool, False),
        max_bytes=max_bytes,
    )


# What an index may name besides the target columns: the serving table's own id and lineage columns.
TABLE_COLUMNS = ("id", "ingestion_id", "source_object", "source_version", "source_line", "loaded_at")


def _indexes(r: _Reader, target: dict, targets: list[str]) -> tuple[tuple[str, ...], ...]:
    out = []
    for j, index in enumerate(r.get(target, "indexes", "target.", list, [])):
        field = f"target.indexes[{j}]"
        if not isinstance(index, dict) or set(index) != {"columns"}:
            raise r.fail(field, 'must be an object with only "columns"')
        columns = r.strings(index, "columns", f"{field}.")
        if not columns:
            raise r.fail(f"{field}.columns", "must list at least one column")
        parts = []
        for text in columns:
            name, _, order = text.strip().partition(" ")
            order = order.strip().lower()
            if name not in (*targets, *TABLE_COLUMNS) or order not in ("", "asc", "desc"):
                raise r.fail(
                    f"{field}.columns",
                    f"has {text!r}: each must be a target column (or {', '.join(TABLE_COLUMNS)}), "
                    'optionally followed by "asc" or "desc"',
                )
            parts.append(f"{name} DESC" if order == "desc" else name)
        out.append(tuple(parts))
    if len(set(out)) != len(out):
        raise r.fail("target.indexes", "lists the same index more than once")
    return tuple(out)
