"""Timestamps and dates by the contract's formats, parsed with Spark column expressions (no Python UDF).

A format is a named preset, a Spark datetime pattern (docs: "Datetime Patterns for Formatting and Parsing") or an
epoch, and a timestamp format names the IANA zone its local times are written in. The presets, the check-in files'
families, read local times too (in UTC unless the contract gives another zone):

iso_utc             2018-11-26 14:47:36.0429 UTC   (0 to 6 fraction digits, or none)
us_12h              11/20/2018 12:29 PM
ru_day_month_year   26 сентября 2019 00:00        (Russian genitive month name, 24-hour time)
epoch_seconds       1629878400 or 1629878400.25   (since 1970-01-01T00:00:00Z)
epoch_milliseconds  1629878400250
iso_date            2021-08-25                    (dates only)

A local time in a zone with daylight saving is turned into an instant only when it names exactly one: a time the
clocks skipped (spring forward) or passed twice (fall back) is a format failure naming the zone, never a guess.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from .contract import Format

RUSSIAN_MONTHS = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
]

_ISO = r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))? UTC$"
_US = r"^\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2} [AaPp][Mm]$"
_RU = r"^(\d{1,2}) (\S+) (\d{4}) (\d{1,2}):(\d{2})$"


def _iso_utc(v: Column) -> Column:
    base = F.regexp_extract(v, _ISO, 1)
    fraction = F.rpad(F.regexp_extract(v, _ISO, 2), 6, "0")
    return F.when(v.rlike(_ISO), F.to_timestamp(F.concat(base, F.lit("."), fraction), "yyyy-MM-dd HH:mm:ss.SSSSSS"))


def _us_12h(v: Column) -> Column:
    return F.when(v.rlike(_US), F.to_timestamp(F.upper(v), "M/d/yyyy h:mm a"))


def _ru_day_month_year(v: Column) -> Column:
    months = F.create_map(*[x for i, m in enumerate(RUSSIAN_MONTHS) for x in (F.lit(m), F.lit(i + 1))])
    month = months[F.lower(F.regexp_extract(v, _RU, 2))]
    text = F.format_string(
        "%s-%02d-%02d %02d:%s",
        F.regexp_extract(v, _RU, 3),
        month,
        F.regexp_extract(v, _RU, 1).cast("int"),
        F.regexp_extract(v, _RU, 4).cast("int"),
        F.regexp_extract(v, _RU, 5),
    )
    return F.when(v.rlike(_RU) & month.isNotNull(), F.to_timestamp(text, "yyyy-MM-dd HH:mm"))


def _epoch_seconds(v: Column) -> Column:
    return F.when(v.rlike(r"^-?\d{1,11}(\.\d{1,6})?$"), F.timestamp_seconds(v.cast("decimal(17,6)")))


def _epoch_milliseconds(v: Column) -> Column:
    return F.when(v.rlike(r"^-?\d{1,14}$"), F.timestamp_millis(v.cast("long")))


# Each reads the value as a local time in UTC (the session's zone, landing_etl/spark.py); epochs are instants.
PRESETS = {
    "iso_utc": _iso_utc,
    "us_12h": _us_12h,
    "ru_day_month_year": _ru_day_month_year,
    "epoch_seconds": _epoch_seconds,
    "epoch_milliseconds": _epoch_milliseconds,
}
_DAY_MICROS = 86_400_000_000
# Zones change offset at most once within this distance of any local time (daylight saving moves months apart).
_NEAR = 2 * _DAY_MICROS


def _offset(micros: Column, zone: str) -> Column:
    """The zone's UTC offset, in microseconds, at the instant `micros`."""
    return F.unix_micros(F.from_utc_timestamp(F.timestamp_micros(micros), zone)) - micros


def in_zone(local: Column, zone: str) -> tuple[Column, Column]:
    """The instant a local time (a timestamp read as UTC wall-clock) names in `zone`, and why there is none.

    The instants it could be are the local time minus the zone's offset before and after any nearby change; each is
    right when the zone shows it as that very local time. Both right and different: the clocks went back (ambiguous);
    neither: they went forward (the time never happened)."""
    wall = F.unix_micros(local)
    candidates = [wall - _offset(wall + shift, zone) for shift in (-_NEAR, _NEAR)]
    right = [F.unix_micros(F.from_utc_timestamp(F.timestamp_micros(c), zone)) == wall for c in candidates]
    ambiguous = right[0] & right[1] & (candidates[0] != candidates[1])
    instant = (
        F.when(ambiguous, F.lit(None))
        .when(right[0], F.timestamp_micros(candidates[0]))
        .when(right[1], F.timestamp_micros(candidates[1]))
    )
    shown = F.date_format(local, "yyyy-MM-dd HH:mm:ss")
    problem = F.when(
        ambiguous, F.format_string(f"%s happened twice in {zone} (the clocks went back): which one is not said", shown)
    ).when(
        local.isNotNull() & ~right[0] & ~right[1],
        F.format_string(f"%s did not happen in {zone} (the clocks went forward)", shown),
    )
    return instant.cast("timestamp"), problem


def _one(value: Column, f: Format) -> tuple[Column, Column | None]:
    local = PRESETS[f.preset](value) if f.preset else F.to_timestamp(value, f.pattern)
    if f.zone in (None, "UTC"):
        return local, None
    return in_zone(local, f.zone)


def parse_timestamp(value: Column, formats: tuple[Format, ...]) -> tuple[Column, Column]:
    """The instant the first format that parses the (trimmed) value names (NULL when none does) and, when a format
    read it as a local time that its zone skipped or repeated, why it is refused."""
    parsed = [_one(value, f) for f in formats]
    problems = [p for _, p in parsed if p is not None]
    return F.coalesce(*[x for x, _ in parsed]), F.coalesce(*problems) if problems else F.lit(None).cast("string")


def parse_date(value: Column, formats: tuple[Format, ...]) -> Column:
    """The date the first format parses; NULL when none does."""
    return F.coalesce(*[F.to_date(value, f.pattern or "yyyy-MM-dd") for f in formats])
