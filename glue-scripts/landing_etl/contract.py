"""Dataset contracts (datasets/NAME.json): read once per job, validated, errors naming the file and the field."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from . import storage

TYPES = {"string", "timestamp", "decimal"}
TIMESTAMP_FORMATS = {"iso_utc", "us_12h", "ru_day_month_year"}


class ContractError(ValueError):
    pass


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    target: str
    required: bool = False
    formats: tuple[str, ...] = ()
    min_exclusive: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Contract:
    name: str
    columns: tuple[Column, ...]
    table: str
    mode: str = "soft"
    max_reject_ratio: float = 0.05
    min_rows: int = 1
    extra: dict = field(default_factory=dict)

    @property
    def source_columns(self) -> list[str]:
        return [c.name for c in self.columns]


def load(datasets_uri: str, name: str) -> Contract:
    path = storage.join(datasets_uri, f"{name}.json")
    try:
        raw = json.loads(storage.read_text(path))
    except FileNotFoundError as e:
        raise ContractError(f"no contract for dataset {name!r} at {path}") from e
    except json.JSONDecodeError as e:
        raise ContractError(f"{path}: not valid JSON ({e})") from e
    return parse(raw, path)


def parse(raw: dict, source: str) -> Contract:
    def need(obj: dict, key: str, where: str, kind: type):
        if key not in obj:
            raise ContractError(f"{source}: field {where}{key} is required")
        if not isinstance(obj[key], kind):
            raise ContractError(f"{source}: field {where}{key} must be a {kind.__name__}")
        return obj[key]

    columns = []
    for i, c in enumerate(need(raw, "columns", "", list)):
        where = f"columns[{i}]."
        ctype = need(c, "type", where, str)
        if ctype not in TYPES:
            raise ContractError(f"{source}: field {where}type must be one of {sorted(TYPES)}, got {ctype!r}")
        formats = tuple(c.get("formats", []))
        unknown = set(formats) - TIMESTAMP_FORMATS
        if unknown:
            raise ContractError(f"{source}: field {where}formats has unknown formats {sorted(unknown)}")
        columns.append(
            Column(
                name=need(c, "name", where, str),
                type=ctype,
                target=need(c, "target", where, str),
                required=bool(c.get("required", False)),
                formats=formats,
                min_exclusive=c.get("min_exclusive"),
                max=c.get("max"),
            )
        )
    quality = raw.get("quality", {})
    mode = quality.get("mode", "soft")
    if mode not in ("hard", "soft"):
        raise ContractError(f"{source}: field quality.mode must be hard or soft, got {mode!r}")
    return Contract(
        name=need(raw, "name", "", str),
        columns=tuple(columns),
        table=need(need(raw, "target", "", dict), "table", "target.", str),
        mode=mode,
        max_reject_ratio=float(quality.get("max_reject_ratio", 0.05)),
        min_rows=int(quality.get("min_rows", 1)),
    )
