"""The local stand-in for one Glue job's runners: a warm Python + Spark driver that runs the job's built entry script.

Glue keeps workers warm between runs; locally a fresh JVM per run would cost ~6 s a stage, so this process starts
Spark once and runs each job run's `main(argv)` in its own thread (with its own Spark job group, so runs can be
cancelled). Like Glue, it puts the job's --extra-py-files (given as arguments: the built landing_etl.zip) on the
Python path and passes the arguments as Glue does. Requests arrive as JSON lines on stdin; results go out as JSON
lines on file descriptor 3, because the jobs themselves may print to stdout.

A driver whose JVM died (a StackOverflowError or OutOfMemoryError in a task ends it, as a kill does) would fail every
later run with a dead gateway. So a thread waits for the JVM to end: then every run in progress fails with why it died,
from its hs_err file or what it printed (its stderr passes through this process on the way to the driver log), and
the worker exits, idle or not: local/glue.ts starts a new one for the next run, as Glue gives each run a fresh
driver."""

import importlib.util
import json
import os
import re
import signal
import sys
import threading
import time
import traceback

# Glue adds --extra-py-files to the path ahead of the job's own imports: the package comes from the zip that ships.
sys.path[:0] = sys.argv[1:]

_out = os.fdopen(3, "w", buffering=1)
_lock = threading.Lock()
_running: set[str] = set()  # ids of the runs in progress, under _lock
# Set (local/glue.ts) for a job whose script starts Spark: one session, started ahead of its first run, serves them all.
_WARM_SPARK = bool(os.environ.get("LANDING_ETL_WARM_SPARK"))


def reply(message: dict) -> None:
    with _lock:
        _out.write(json.dumps(message) + "\n")


def run(request: dict) -> None:
    with _lock:
        _running.add(request["id"])
    try:
        _run(request)
    finally:
        with _lock:
            _running.discard(request["id"])
            idle = not _running
        if idle and _WARM_SPARK and not _replaced.is_set():
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
        if _WARM_SPARK and not _jvm_answers() and _replaced.wait(timeout=60):
            return  # the JVM watcher fails this run with why the JVM died, and ends the worker
        reply({"id": run_id, "state": "FAILED", "error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()})


def _jvm_answers() -> bool:
    from landing_etl.spark import session

    try:
        session("landing-etl-local-glue").sparkContext._jvm.java.lang.System.nanoTime()
        return True
    except Exception:  # noqa: BLE001 (py4j raises network errors of several kinds for a JVM that is gone)
        return False


_replaced = threading.Event()  # set once the JVM is gone: no run replies on its own any more


def _watch_jvm() -> None:
    """Waits for the JVM to end (it only does when it dies: the worker never stops it), fails every run in progress
    with why, and ends this worker, idle or not; local/glue.ts starts a new one for the next run."""
    from pyspark import SparkContext

    jvm = SparkContext._gateway.proc
    code = jvm.wait()
    with _lock:
        ids = sorted(_running)  # before the runs see _replaced and end their threads
    _replaced.set()
    time.sleep(0.5)  # the last of what it printed reaches _stderr_tail
    error = f"GlueJvmDied: the job's JVM died ({_why_the_jvm_died(jvm.pid, code)}); a new driver runs the next run"
    with _tail_lock:
        printed = _stderr_tail.decode("utf-8", "replace")
    for run_id in ids:
        reply({"id": run_id, "state": "FAILED", "error": error, "trace": f"the JVM's last output:\n{printed}"})
    _out.close()
    # At once: the replies reach the stack's pipe before the exit does, and a run it sends meanwhile would be lost.
    os._exit(70)


# A JVM error as the JVM or Spark's uncaught-exception handler prints it.
_JVM_ERROR = re.compile(r"\bjava\.lang\.[A-Za-z]*Error\b(?:: [^\n]{0,100})?")


def _why_the_jvm_died(pid: int, code: int) -> str:
    """What its crash report (hs_err, in the working directory) names, else the last JVM error it printed, and how it
    ended."""
    how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
    try:
        with open(f"hs_err_pid{pid}.log", encoding="utf-8", errors="replace") as f:
            head = [line.strip("# \n") for line in f.readlines()[:12]]
        fatal = next((line for line in head if line and "fatal error" not in line), "a crash")
        return f"{fatal}; {how}; see {os.path.abspath(f.name)}"
    except OSError:
        pass
    with _tail_lock:
        printed = _last_jvm_error[0]
    return f"{printed}; {how}" if printed else how


_tail_lock = threading.Lock()
_stderr_tail = bytearray()  # the last _TAIL_BYTES printed, for the failed runs' logs
_TAIL_BYTES = 4096
_last_jvm_error = [""]  # the last JVM error printed (a stack trace after it can be far longer than any tail)


def _tee_stderr() -> None:
    """fd 2 through a pipe: what this process and the JVM it starts print still reaches the original stderr (the
    driver log), and the last JVM error and bytes printed stay here to tell why the JVM died."""
    read_end, write_end = os.pipe()
    original = os.dup(2)
    os.dup2(write_end, 2)
    os.close(write_end)

    def pump() -> None:
        while chunk := os.read(read_end, 1 << 16):
            os.write(original, chunk)
            with _tail_lock:
                # With the tail before it, so an error cut across two reads is found whole.
                found = _JVM_ERROR.findall((_stderr_tail[-256:] + chunk).decode("utf-8", "replace"))
                if found:
                    _last_jvm_error[0] = found[-1]
                _stderr_tail.extend(chunk)
                del _stderr_tail[:-_TAIL_BYTES]

    threading.Thread(target=pump, daemon=True).start()


def main() -> None:
    import landing_etl  # noqa: F401  (fail at start, not in the first run, when the package cannot load)

    _tee_stderr()
    if _WARM_SPARK:
        from landing_etl.spark import session

        session("landing-etl-local-glue")  # start the JVM now, not in the first run
        threading.Thread(target=_watch_jvm, daemon=True).start()
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
