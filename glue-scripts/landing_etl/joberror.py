"""What a failed job says: Glue's ErrorMessage, which becomes the run log's cause, the SNS alert, the operator page
and the logs. Whatever raised it, it is one line of at most MAX_BYTES bytes (a Spark error carries a whole Java
stack trace; Step Functions refuses a state's data beyond 256 KiB, Lambda a response beyond 6 MB). The messages our
own code raises name columns, rules, positions and counts, never a row's values (transform.check_header)."""

from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable

MAX_BYTES = 1024


def bounded(message: str) -> str:
    """`message` on one line, cut to MAX_BYTES of UTF-8 with a mark of how much was cut."""
    line = " ".join(message.split())
    data = line.encode()
    if len(data) <= MAX_BYTES:
        return line
    keep = data[: MAX_BYTES - 40].decode("utf-8", "ignore")
    return f"{keep} … ({len(line) - len(keep)} more characters cut)"


def bounded_errors(main: Callable[[list[str]], None]) -> Callable[[list[str]], None]:
    """A job's main that fails with an error of the same type name and a `bounded` message; the original's frames
    (not its message) go to the driver log."""

    @functools.wraps(main)
    def run(argv: list[str]) -> None:
        try:
            main(argv)
        except Exception as e:
            message = bounded(str(e))
            if message == str(e):
                raise
            frames = "".join(traceback.format_tb(e.__traceback__))
            print(
                f"{type(e).__name__}, its message cut to one line of {MAX_BYTES} bytes, at:\n{frames}", file=sys.stderr
            )
            raise _named_like(type(e))(message) from None

    return run


@functools.cache
def _named_like(kind: type) -> type:
    """An exception class of the same name as `kind`: Retry/Catch and the run log see the name they expect, and
    no constructor of `kind` (Py4JJavaError's needs a Java object) has to be satisfied."""
    return type(kind.__name__, (Exception,), {"__module__": kind.__module__, "__qualname__": kind.__qualname__})
