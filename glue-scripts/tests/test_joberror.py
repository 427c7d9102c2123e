"""A failed job's message leaves it on one line of at most 1 KB, under the name of the error that was raised."""

import pytest

from landing_etl import joberror


class HeaderMismatch(ValueError):
    pass


def test_a_long_multiline_message_leaves_as_one_bounded_line_under_the_same_error_name(capsys):
    @joberror.bounded_errors
    def main(argv):
        raise HeaderMismatch("first line\n\tsecond " + "é" * 5000 + "\nlast")

    with pytest.raises(Exception) as e:
        main([])
    assert type(e.value).__name__ == "HeaderMismatch" and e.value.__cause__ is None
    message = str(e.value)
    assert message.startswith("first line second éé") and message.endswith("more characters cut)")
    assert "\n" not in message and len(message.encode()) <= 1024
    # Where it failed goes to the driver log; what it said does not.
    err = capsys.readouterr().err
    assert "HeaderMismatch, its message cut to one line of 1024 bytes, at:" in err and "in main" in err
    assert "éé" not in err


def test_a_short_message_leaves_as_it_was_raised():
    @joberror.bounded_errors
    def main(argv):
        raise HeaderMismatch(f"missing {argv}")

    with pytest.raises(HeaderMismatch, match=r"^missing \['x'\]$"):
        main(["x"])


def test_an_error_of_a_spark_job_that_carries_a_java_stack_trace_is_bounded(spark):
    @joberror.bounded_errors
    def main(argv):
        spark.sql("SELECT raise_error(concat('boom ', repeat('x', 3000)))").collect()

    with pytest.raises(Exception) as e:
        main([])
    assert len(str(e.value).encode()) <= 1024 and "\n" not in str(e.value) and "boom" in str(e.value)
