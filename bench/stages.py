"""Times one stage's work on a file of the benchmark, as its job does it, for bench/pipeline.ts; prints JSON.

  stages.py transform SOURCE.csv OUT_DIR      Spark master from LANDING_ETL_SPARK_MASTER (local[1], local[2])
  stages.py test TRANSFORMED_DIR OUT_DIR
  stages.py load ACCEPTED_DIR CONNECTIONS...  into a database bench_load made anew on DATABASE_URL's server; also
                                              times a plain COPY of the same rows into the same (indexed, emptied) table

Spark stages report the tasks of every Spark stage they ran ("tasks": the widest, "stages": each one's count)."""

import io
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "glue-scripts"))

from landing_etl import contract, load, migrations, quality, transform  # noqa: E402 (after the path it needs)

SPEC = contract.load(str(REPO / "datasets"), "dailycheckin")
SOURCE = "s3://landing/dailycheckin/bench.csv"


def spark_stage(name: str, work) -> dict:
    from landing_etl.spark import session

    spark = session(f"bench-{name}")
    spark.sparkContext.setJobGroup(name, name)
    started = time.perf_counter()
    rows = work(spark)
    seconds = time.perf_counter() - started
    tracker = spark.sparkContext.statusTracker()
    stages = [
        info.numTasks
        for job in tracker.getJobIdsForGroup(name)
        for stage in (tracker.getJobInfo(job).stageIds if tracker.getJobInfo(job) else [])
        if (info := tracker.getStageInfo(stage)) is not None and info.numCompletedTasks
    ]
    return {
        "seconds": round(seconds, 2),
        "rows": rows,
        "tasks": max(stages, default=0),
        "stages": stages,
    }


def run_transform(source: str, out: str) -> dict:
    def work(spark):
        _, rows = transform.transformed(spark, source, SPEC, "bench", SOURCE, None)
        rows.write.mode("overwrite").parquet(out)
        return spark.read.parquet(out).count()

    return spark_stage("transform", work)


def run_test(staged: str, out: str) -> dict:
    def work(spark):
        counts, _ = quality.split(spark.read.parquet(staged), SPEC, lambda name: f"{out}/{name}")
        return counts.rows

    return spark_stage("test", work)


def run_load(accepted: str, connections: list[int]) -> dict:
    import psycopg
    import pyarrow.csv as pacsv
    import pyarrow.dataset as pads
    from psycopg.conninfo import make_conninfo

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS bench_load")
        admin.execute("CREATE DATABASE bench_load")
    url = make_conninfo(os.environ["DATABASE_URL"], dbname="bench_load")
    columns = [c.key for c in SPEC.loaded_columns]
    names = ", ".join(columns + load.LINEAGE)
    with psycopg.connect(url, autocommit=True) as conn:
        migrations.apply(conn, str(REPO / "migrations"))
        source_object = pads.dataset(accepted).head(1, columns=["source_object"]).column(0)[0].as_py()

        def empty():
            conn.execute(f"TRUNCATE {SPEC.table}, source_loads")
            conn.execute("CHECKPOINT")

        def plain_copy(shares: list[bytes]) -> dict:
            """The shares COPYed at once, each over its own connection, into the emptied table."""

            def copy_share(share: bytes) -> None:
                with (
                    psycopg.connect(url, autocommit=True) as c,
                    c.cursor() as cur,
                    cur.copy(f"COPY {SPEC.table} ({names}) FROM STDIN (FORMAT csv)") as copy,
                ):
                    for at in range(0, len(share), 1 << 20):
                        copy.write(share[at : at + (1 << 20)])

            empty()
            started = time.perf_counter()
            with ThreadPoolExecutor(len(shares)) as pool:
                list(pool.map(copy_share, shares))
            seconds = round(time.perf_counter() - started, 2)
            return {"seconds": seconds, "rows": conn.execute(f"SELECT count(*) FROM {SPEC.table}").fetchone()[0]}

        # The yardstick: one COPY of the rows, converted to CSV before the clock starts, into the same indexed table;
        # and what writing straight into it from several connections would give (rows visible before a swap, so not
        # what the load does): the same CSV in as many shares of its lines, COPYed at once.
        body = io.BytesIO()
        pacsv.write_csv(
            pads.dataset(accepted).to_table(columns=columns + load.LINEAGE),
            body,
            pacsv.WriteOptions(include_header=False),
        )
        data = body.getvalue()
        del body
        out = {"plain": plain_copy([data])}
        for n in [c for c in connections if c > 1]:
            lines = data.splitlines(keepends=True)
            out[f"plain{n}"] = plain_copy([b"".join(lines[i::n]) for i in range(n)])
            del lines
        del data
        for n in connections:
            empty()
            started = time.perf_counter()
            result = load.load(
                url,
                SPEC.table,
                columns,
                accepted,
                f"bench-{n}",
                source_object,
                None,
                load.Version(datetime.now(UTC)),
                n,
            )
            out[str(n)] = {"seconds": round(time.perf_counter() - started, 2), "rows": result.rows_out}
    return out


def main(argv: list[str]) -> None:
    stage, *rest = argv
    if stage == "transform":
        result = run_transform(*rest)
    elif stage == "test":
        result = run_test(*rest)
    elif stage == "load":
        result = run_load(rest[0], [int(n) for n in rest[1:]])
    else:
        raise SystemExit(f"unknown stage {stage!r}: transform, test or load")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
