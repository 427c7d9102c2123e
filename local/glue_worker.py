"""The local stand-in for one Glue job's runners: a warm Python + Spark driver that runs the job's built entry script.

Glue keeps workers warm between runs; locally a fresh JVM per run would cost ~6 s a stage, so this process starts
Spark once and runs each job run's `main(argv)` in its own thread (with its own Spark job group, so runs can be
cancelled). Like Glue, it puts the job's --extra-py-files (given as arguments: the built landing_etl.zip) on the
Python path and passes the arguments as Glue does. Requests arrive as JSON lines on stdin; results go out as JSON
lines on file descriptor 3, because the jobs themselves may print to stdout."""

import importlib.util
import json
import os
import sys
import threading
import traceback

# Glue adds --extra-py-files to the path ahead of the job's own imports: the package comes from the zip that ships.
sys.path[:0] = sys.argv[1:]

_out = os.fdopen(3, "w", buffering=1)
_lock = threading.Lock()
_running = 0  # runs in progress, under _lock
# Set (local/glue.ts) for a job whose script starts Spark: one session, started ahead of its first run, serves them all.
_WARM_SPARK = bool(os.environ.get("LANDING_ETL_WARM_SPARK"))


def reply(message: dict) -> None:
    with _lock:
        _out.write(json.dumps(message) + "\n")


def run(request: dict) -> None:
    global _running
    with _lock:
        _running += 1
    try:
        _run(request)
    finally:
        with _lock:
            _running -= 1
            idle = _running == 0
        if idle and _WARM_SPARK:
            _hand_back_heap()


def _hand_back_heap() -> None:
    """One full GC as the driver goes idle, which shrinks its heap to the free ratios spark.py sets. It replaced G1's
    periodic GC (-XX:G1PeriodicGCInterval=3000), which kept an idle driver busy: after a 1M-row test stage, 4.4 s
    of JVM CPU in the next 12 s against 2.2 s with this one GC (0.2-0.3 s), and 370-750 MB resident against 380."""
    from landing_etl.spark import session

    session("landing-etl-local-glue").sparkContext._jvm.System.gc()


def _run(request: dict) -> None:
    run_id = request["id"]
    try:
        if _WARM_SPARK:
            from landing_etl.spark import session

            session("landing-etl-local-glue").sparkContext.setJobGroup(
                run_id, request["script"], interruptOnCancel=True
            )
        spec = importlib.util.spec_from_file_location(f"glue_job_{run_id}", request["script"])
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.main(request["args"])
        reply({"id": run_id, "state": "SUCCEEDED"})
    except BaseException as e:  # noqa: BLE001 (SystemExit and KeyboardInterrupt fail the run too, like on Glue)
        reply({"id": run_id, "state": "FAILED", "error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()})


def main() -> None:
    import landing_etl  # noqa: F401  (fail at start, not in the first run, when the package cannot load)

    if _WARM_SPARK:
        from landing_etl.spark import session

        session("landing-etl-local-glue")  # start the JVM now, not in the first run
    reply({"ready": True})
    for line in sys.stdin:
        request = json.loads(line)
        if "cancel" in request:
            cancel(request["cancel"])
        else:
            threading.Thread(target=run, args=(request,), daemon=True).start()


def cancel(run_id: str) -> None:
    """BatchStopJobRun locally: the run's Spark jobs are cancelled (its job group), so its script fails and the run
    ends STOPPED. A job without Spark (the load) runs to its end."""
    if _WARM_SPARK:
        from landing_etl.spark import session

        session("landing-etl-local-glue").sparkContext.cancelJobGroup(run_id)


if __name__ == "__main__":
    main()
