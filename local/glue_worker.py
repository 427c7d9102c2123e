"""The local stand-in for Glue's job runners: one warm Python + Spark driver that runs the glue-scripts entry points.

Glue keeps workers warm between runs; locally a fresh JVM per job would cost ~6 s a stage, so this process starts
Spark once and runs each job run's `main(argv)` in its own thread (with its own Spark job group, so runs can be
cancelled). Requests arrive as JSON lines on stdin; results go out as JSON lines on file descriptor 3, because the
jobs themselves may print to stdout."""

import importlib.util
import json
import os
import sys
import threading
import traceback

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "glue-scripts")
sys.path.insert(0, SCRIPTS)

from landing_etl.spark import session  # noqa: E402  (needs the path above)

_out = os.fdopen(3, "w", buffering=1)
_lock = threading.Lock()


def reply(message: dict) -> None:
    with _lock:
        _out.write(json.dumps(message) + "\n")


def run(request: dict) -> None:
    run_id = request["id"]
    try:
        spark = session("landing-etl-local-glue")
        spark.sparkContext.setJobGroup(run_id, request["script"], interruptOnCancel=True)
        spec = importlib.util.spec_from_file_location(f"glue_job_{run_id}", os.path.join(SCRIPTS, request["script"]))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.main(request["args"])
        reply({"id": run_id, "state": "SUCCEEDED"})
    except BaseException as e:  # noqa: BLE001 (SystemExit and KeyboardInterrupt fail the run too, like on Glue)
        reply({"id": run_id, "state": "FAILED", "error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()})


def main() -> None:
    session("landing-etl-local-glue")  # start the JVM now, not in the first run
    reply({"ready": True})
    for line in sys.stdin:
        threading.Thread(target=run, args=(json.loads(line),), daemon=True).start()


if __name__ == "__main__":
    main()
