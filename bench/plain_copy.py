"""The benchmark's yardstick: a plain COPY of the same accepted rows into an empty, index-free copy of the serving
table, timed around the COPY alone (the rows are converted to CSV before the clock starts).
Usage: python bench/plain_copy.py ACCEPTED_PARQUET_DIR TABLE (DATABASE_URL in the environment); prints JSON."""

import io
import json
import os
import sys
import time

import psycopg
import pyarrow.csv as pacsv
import pyarrow.dataset as pads

COLUMNS = ["username", "ts", "hours", "project", "ingestion_id", "source_object", "source_version", "source_line"]


def main(accepted: str, table: str) -> None:
    data = io.BytesIO()
    pacsv.write_csv(
        pads.dataset(accepted, format="parquet").to_table(columns=COLUMNS),
        data,
        pacsv.WriteOptions(include_header=False),
    )
    body = data.getvalue()
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        cols = ", ".join(COLUMNS)
        conn.execute(
            f"DROP TABLE IF EXISTS bench_plain_copy; CREATE TABLE bench_plain_copy AS SELECT {cols} FROM {table} WITH NO DATA"
        )
        started = time.perf_counter()
        with conn.cursor() as cur:
            with cur.copy(f"COPY bench_plain_copy ({cols}) FROM STDIN (FORMAT csv)") as copy:
                for at in range(0, len(body), 1 << 20):
                    copy.write(body[at : at + (1 << 20)])
            rows = cur.rowcount
        seconds = time.perf_counter() - started
        conn.execute("DROP TABLE bench_plain_copy")
    print(json.dumps({"rows": rows, "seconds": round(seconds, 3)}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
