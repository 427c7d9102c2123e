"""Timestamp families of the check-in files, parsed to UTC with Spark column expressions (no Python UDF).

iso_utc            2018-11-26 14:47:36.0429 UTC   (0 to 6 fraction digits, or none)
us_12h             11/20/2018 12:29 PM
ru_day_month_year  26 сентября 2019 00:00        (Russian genitive month name, 24-hour time)
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

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


PARSERS = {"iso_utc": _iso_utc, "us_12h": _us_12h, "ru_day_month_year": _ru_day_month_year}


def parse_timestamp(value: Column, formats: tuple[str, ...]) -> Column:
    """The first family that parses the (trimmed) value; NULL when none does."""
    return F.coalesce(*[PARSERS[f](value) for f in formats])
