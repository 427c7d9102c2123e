"""transform: source CSV → typed rows with the raw values, parse errors and lineage, ready for the quality checks."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from .contract import Contract
from .quality import shield
from .typed_values import typed_value


class HeaderMismatch(ValueError):
    pass


@dataclass(frozen=True)
class Source:
    """The source file's records: `records` has every header column as a string, exactly as written, plus
    `source_line`; `columns` is the header as written. `partitions` tasks read the file; `splittable` says whether
    Spark could split it (a .gz file it cannot: one task decompresses and numbers it, then the records are spread)."""

    records: DataFrame
    columns: list[str]
    partitions: int
    splittable: bool
    multiline: bool


# Whether a line leaves a quoted field open, by the CSV grammar: a field is quoted (a quote opens it only at its
# start; `""` inside is a quote; after the closing quote the value runs to the delimiter), unquoted (its quotes are
# literal) or empty. Decided in two linear passes, the same in Spark (`ends_inside_expr`) and in the driver
# (`ends_inside`); the regular expressions this replaced recursed per character in java.util.regex and killed the
# driver's JVM (StackOverflowError) on a quoted field of a few KB.
# 1. Drop every `""`, left to right: a run of k quotes keeps k mod 2, which is what decides every state (inside a
#    quoted field an even run stays inside and an odd one closes it; at a field's start an odd run opens one and an
#    even run is an empty quoted field; in an unquoted field quotes are literal). No two quotes are adjacent after.
# 2. Fold over the comma-separated pieces: inside a quoted field, a piece with no quote keeps it open (its comma is
#    part of the value) and any quote closes it; at a field's start, a piece opens a field that stays open when it
#    starts with a quote and has no other.

# How many lines after an opening line its closing quote is looked for, and how many lines inside quoted line breaks
# a file may have: beyond either, the file is multi-line at heart and the multi-line parser reads it.
_MAX_SPAN = 1_000
_MAX_SPAN_LINES = 100_000
# monotonically_increasing_id: the partition index in the upper 31 bits, the row's position in it in the lower 33.
_PART_SHIFT = 33
# The most columns a file's header may have (docs/limits.md): Spark's CSV maxColumns default, which the CSV parser
# allocates for every record and fails beyond.
MAX_COLUMNS = 20_480
_CSV = {"escape": '"', "mode": "PERMISSIVE", "maxColumns": str(MAX_COLUMNS)}


def read_source(spark: SparkSession, path: str, multiline: bool = False) -> Source:
    """Every value as a string with the 1-based line of the file where its record starts (the header is line 1).

    By default the file is read as lines, split across tasks (also .csv.bz2; not .csv.gz), and each line is
    numbered from its task's place in the file: one small aggregation counts the lines of each split, and their
    running sums give each split's first line, so no window orders the whole file. A record whose quoted field holds
    a line break spans lines: the lines that open such a field (few in a daily file) and the quoted lines after them
    go to the driver, which finds where each record ends; the lines of a span are joined back into one record,
    wherever split boundaries fell. Blank lines outside quotes are counted but are no records. A contract declaring
    `multiline` (or a file whose quoted line breaks exceed _MAX_SPAN or _MAX_SPAN_LINES) is read by the multi-line
    CSV parser in one task instead."""
    if multiline:
        return _read_multiline(spark, path)
    text = spark.read.text(path)
    splittable = not path.endswith(".gz")
    lines = text.select(
        "value",
        F.spark_partition_id().alias("_part"),
        F.monotonically_increasing_id().alias("_id"),
        ends_inside_expr(F.col("value"), False).alias("_opens"),
        (F.trim("value") == "").alias("_blank"),
    )
    splits = (
        lines.withColumn("_block", F.input_file_block_start())
        .groupBy("_part")
        .agg(
            F.min("_block").alias("block"),
            F.count("*").alias("lines"),
            F.sum(F.col("_opens").cast("int")).alias("opens"),
            F.min(F.when(~F.col("_blank"), F.col("_id"))).alias("first_record"),
        )
        .collect()
    )
    shift: dict[int, int] = {}
    first_line, header_line, opens = 1, None, 0
    for split in sorted(splits, key=lambda r: (r["block"], r["_part"])):
        shift[split["_part"]] = first_line - (split["_part"] << _PART_SHIFT)
        if header_line is None and split["first_record"] is not None:
            header_line = split["first_record"] + shift[split["_part"]]
        first_line += split["lines"]
        opens += split["opens"]
    if header_line is None:  # no line but blank ones
        return Source(spark.createDataFrame([], "source_line int"), [], len(splits), splittable, False)
    line = F.col("_id") + F.create_map(*[F.lit(x).cast("long") for kv in shift.items() for x in kv])[F.col("_part")]
    numbered = lines.select("value", "_opens", "_blank", line.alias("_line"))
    records = numbered.filter(~F.col("_blank")).select("value", "_line")
    if opens:
        spans = _spans(spark, numbered, last_line=first_line - 1)
        if spans is None:
            return _read_multiline(spark, path)
        records = _join_spans(spark, numbered, records, spans)
    columns = _safe_header(_header_names(records.filter(F.col("_line") == header_line).first()["value"]))
    parts = max(len(splits), spark.sparkContext.defaultParallelism)
    if len(splits) < parts:  # an unsplittable file: its one task numbers the lines, every core parses them
        records = records.repartition(parts)
    schema = ", ".join(f"_c{i} string" for i in range(len(columns)))
    parsed = records.filter(F.col("_line") != header_line).select(
        F.from_csv(_first_fields(F.col("value"), len(columns)), schema, _CSV).alias("r"),
        F.col("_line").cast("int").alias("source_line"),
    )
    return Source(
        parsed.select(*[F.col(f"r._c{i}").alias(c) for i, c in enumerate(columns)], "source_line"),
        columns,
        len(splits),
        splittable,
        False,
    )


def _header_names(line: str) -> list[str]:
    """The names of a header line, refused beyond MAX_COLUMNS before any parser allocates for them."""
    csv.field_size_limit(max(csv.field_size_limit(), len(line)))  # a first line may be a data row of any length
    names = next(csv.reader([line]))
    if len(names) > MAX_COLUMNS:
        raise HeaderMismatch(f"the header has {len(names)} columns, more than the {MAX_COLUMNS} a file may have")
    return names


def _safe_header(names: list[str]) -> list[str]:
    """The header as Spark's CSV reader names it (CSVUtils.makeSafeHeader, case-insensitive): an empty name becomes
    `_c<index>` and each of a repeated name (ignoring case) gets its index appended (`user,user` → `user0,user1`)."""
    seen = Counter(n.lower() for n in names if n)
    return [f"_c{i}" if not n else f"{n}{i}" if seen[n.lower()] > 1 else n for i, n in enumerate(names)]


def _spans(spark: SparkSession, numbered: DataFrame, last_line: int) -> list[tuple[int, int]] | None:
    """The (first, last) lines of every record that spans lines, or None when they exceed the limits. A quote left
    open runs to the end of the file, as in the multi-line parser."""
    openers = [r["_line"] for r in numbered.filter("_opens").select("_line").orderBy("_line").collect()]
    # The quoted lines within _MAX_SPAN after an opener, and whether each leaves a quoted field open. Such an opener
    # is in the line's block of _MAX_SPAN lines or the one before: a line qualifies when the first opener of its own
    # block precedes it, or when it is within _MAX_SPAN of the last opener of the block before. One row per block,
    # where listing each opener's _MAX_SPAN following lines made a thousand rows per opener.
    first, last = {}, {}
    for o in openers:
        first.setdefault(o // _MAX_SPAN, o)
        last[o // _MAX_SPAN] = o
    blocks = spark.createDataFrame(
        [(b, first.get(b), last.get(b - 1)) for b in sorted(set(first) | {b + 1 for b in last})],
        "_block long, first_opener long, opener_before long",
    )
    line = F.col("_line")
    quoted = (
        numbered.filter(F.col("value").contains('"'))
        .withColumn("_block", F.floor(line / _MAX_SPAN))
        .join(F.broadcast(blocks), "_block")
        .filter((line > F.col("first_opener")) | (line <= F.col("opener_before") + _MAX_SPAN))
        .select("_line", ends_inside_expr(F.col("value"), True).alias("stays"))
    )
    stays = {r["_line"]: r["stays"] for r in quoted.collect()}
    spans: list[tuple[int, int]] = []
    for start in openers:
        if spans and start <= spans[-1][1]:
            continue  # inside the previous record's quoted field
        end = next((n for n in range(start + 1, min(start + _MAX_SPAN, last_line) + 1) if not stays.get(n, True)), None)
        if end is None:
            if start + _MAX_SPAN < last_line:
                return None
            end = last_line
        spans.append((start, end))
    return spans if sum(end - start + 1 for start, end in spans) <= _MAX_SPAN_LINES else None


def _join_spans(
    spark: SparkSession, numbered: DataFrame, records: DataFrame, spans: list[tuple[int, int]]
) -> DataFrame:
    """Each span's lines joined into one record (line breaks as LF), numbered by its first line."""
    in_spans = spark.createDataFrame(spans, "start long, end long").select(
        F.col("start").alias("_start"), F.explode(F.sequence("start", "end")).alias("_line")
    )
    # Blank lines inside a quoted field are part of its value: every line of a span, blank or not.
    lines = numbered.select("value", "_line").join(F.broadcast(in_spans), "_line")
    pieces = F.array_sort(F.collect_list(F.struct("_line", "value")))
    joined = lines.groupBy(F.col("_start").alias("_line")).agg(
        F.concat_ws("\n", F.transform(pieces, lambda p: p["value"])).alias("value")
    )
    single = records.join(F.broadcast(in_spans.select("_line")), "_line", "left_anti")
    return single.select("value", "_line").unionByName(joined)


def _read_multiline(spark: SparkSession, path: str) -> Source:
    """The multi-line CSV parser: quoted fields may span lines anywhere, so the file is one partition, in file order:
    monotonically_increasing_id is the record index. The parser skips empty lines outside quotes without a trace, so
    each record's line comes from one pass over the file's lines in order (`_record_starts`)."""
    first = spark.read.text(path).filter(F.trim("value") != "").first()
    if first is not None:
        _header_names(first["value"])  # the header spans lines only if a name holds a line break: rare, not refused
    df = (
        spark.read.option("header", True)
        .option("multiLine", True)
        .option("encoding", "UTF-8")
        .option("escape", '"')
        .option("mode", "PERMISSIVE")
        .csv(path)
    )
    starts = spark.createDataFrame(
        spark.sparkContext.textFile(path).coalesce(1).mapPartitions(_record_starts), "_record long, source_line int"
    )
    records = df.withColumn("_record", F.monotonically_increasing_id()).join(starts, "_record").drop("_record")
    return Source(records, df.columns, df.rdd.getNumPartitions(), False, True)


def _record_starts(lines: Iterable[str]) -> Iterator[tuple[int, int]]:
    """(record index, 1-based line) of every record after the header, as the multi-line parser reads them: a record
    starts at a line read from outside quotes that is not empty; `ends_inside`, as in the split read, tells whether a
    line leaves a quoted field open. One task reads the lines (a Hadoop text file's splits stay in file order)."""
    inside, record = False, -1  # the header is record -1
    for number, line in enumerate(lines, 1):
        if not inside and line:
            if record >= 0:
                yield record, number
            record += 1
        inside = ends_inside(line, inside)


def ends_inside(line: str, inside: bool) -> bool:
    """Whether `line`, read from inside a quoted field or not, ends inside one (see the comment at the top)."""
    if '"' not in line:
        return inside
    for piece in line.replace('""', "").split(","):
        inside = '"' not in piece if inside else piece.startswith('"') and '"' not in piece[1:]
    return inside


def ends_inside_expr(value: Column, inside: bool) -> Column:
    """`ends_inside` as a column expression: native functions only, linear in the line."""
    pieces = F.split(F.replace(value, F.lit('""'), F.lit("")), ",")
    return F.when(value.contains('"'), F.aggregate(pieces, F.lit(inside), _open_after)).otherwise(F.lit(inside))


def _open_after(inside: Column, piece: Column) -> Column:
    """Whether a quoted field is open after `piece` (a comma-separated piece with no `""`), from whether one was open
    before it."""
    return F.when(inside, F.instr(piece, '"') == 0).otherwise(
        F.startswith(piece, F.lit('"')) & (F.locate('"', piece, 2) == 0)
    )


def _first_fields(value: Column, n: int) -> Column:
    """A record cut before its (n+1)-th field, for the CSV parser, which fails a whole task on a record of more than
    maxColumns fields; fields after the header's are ignored anyway. Only for records of maxColumns characters or
    more, which no shorter record can exceed: one fold over its comma-separated pieces (fields started, and the
    characters kept)."""
    start = F.struct(F.lit(False).alias("inside"), F.lit(0).alias("fields"), F.lit(-1).alias("end"))

    def step(acc: Column, piece: Column) -> Column:
        fields = acc["fields"] + F.when(acc["inside"], 0).otherwise(1)
        return F.struct(
            _open_after(acc["inside"], F.replace(piece, F.lit('""'), F.lit(""))).alias("inside"),
            fields.alias("fields"),
            F.when(fields <= n, acc["end"] + F.length(piece) + 1).otherwise(acc["end"]).alias("end"),
        )

    kept = F.aggregate(F.split(value, ","), start, step)["end"]
    return F.when(F.length(value) >= MAX_COLUMNS, value.substr(F.lit(1), kept)).otherwise(value)


def header(df: DataFrame | Source) -> list[str]:
    return [c.strip().lstrip("\ufeff") for c in df.columns]


# A header cell is quoted in an error only when it is this short (and only when quoting is safe: _why_not_quoted).
_QUOTABLE = 40
# How many unexpected columns an error lists.
_LISTED = 10


def check_header(df: DataFrame | Source, contract: Contract) -> None:
    """Raises HeaderMismatch naming the contract's missing columns and the 1-based positions of the unexpected ones:
    the file's first line may be a row (a file without a header), so its cells are quoted only when it is
    recognisably a header, the cell is short and the dataset has no privacy columns."""
    found = header(df)
    missing = [c for c in contract.source_columns if c not in found]
    if not missing:
        return
    not_quoted = _why_not_quoted(found, contract)
    unexpected = [(i, c) for i, c in enumerate(found, 1) if c not in contract.source_columns]
    named = [f"{i} {c!r}" if not not_quoted and len(c) <= _QUOTABLE else str(i) for i, c in unexpected]
    listed = _ranges(named) if not_quoted else named
    more = f" … and {len(listed) - _LISTED} more" if len(listed) > _LISTED else ""
    positions = ", ".join(listed[:_LISTED]) + more + (f" (not quoted: {not_quoted})" if not_quoted else "")
    raise HeaderMismatch(
        f"header is missing column(s) {missing}; "
        + (f"unexpected column(s) at position(s) {positions}; " if unexpected else "")
        + f"expected {contract.source_columns}"
    )


def _why_not_quoted(found: list[str], contract: Contract) -> str | None:
    if not set(found) & set(contract.source_columns):
        return "the first line shares no name with the contract, so it may be a row"
    if any(c.privacy for c in contract.columns):
        return "the dataset has privacy columns"
    return None


def _ranges(positions: list[str]) -> list[str]:
    """Consecutive positions as one range: ["1", "2", "3", "5"] → ["1-3", "5"]."""
    out: list[list[int]] = []
    for p in map(int, positions):
        if out and out[-1][1] == p - 1:
            out[-1][1] = p
        else:
            out.append([p, p])
    return [f"{a}-{b}" if a != b else str(a) for a, b in out]


def typed(df: DataFrame, contract: Contract) -> DataFrame:
    """Per contract column: `<key>_raw` as written, `<key>` typed from the (trimmed) value, `<key>_error` for typed
    columns. An empty value is NULL, so `required` sees it."""
    df = df.toDF(*header(df))
    out = []
    for c in contract.columns:
        raw = F.col(f"`{c.name}`")
        value = F.trim(raw) if c.trim else raw
        value = F.when(value != "", value)
        parsed, error = typed_value(c, value)
        out += [raw.alias(f"{c.key}_raw"), parsed.alias(c.key)]
        if error is not None:
            out.append(error.alias(f"{c.key}_error"))
    return df.select(*out, "source_line")


def with_lineage(df: DataFrame, ingestion_id: str, source_uri: str, source_version: str | None) -> DataFrame:
    return (
        df.withColumn("ingestion_id", F.lit(ingestion_id))
        .withColumn("source_object", F.lit(source_uri))
        .withColumn("source_version", F.lit(source_version).cast("string"))
    )


def transformed(
    spark: SparkSession,
    path: str,
    contract: Contract,
    ingestion_id: str,
    source_uri: str,
    version: str | None,
    secret: bytes | None = None,
) -> tuple[Source, DataFrame]:
    """The transform stage's rows: read, header checked, typed, the contract's privacy applied, with lineage."""
    raw = read_source(spark, path, contract.multiline)
    check_header(raw, contract)
    rows = shield(typed(raw.records, contract), contract, secret)
    return raw, with_lineage(rows, ingestion_id, source_uri, version)
