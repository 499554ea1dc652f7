"""Points from stdin (``--at -``) and files (``--points FILE``), read and answered as they come."""

from __future__ import annotations

import math
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bench import primer
from diffcli.cli import cli
from diffcli.engine import analytic
from diffcli.expr import sources
from diffcli.expr.inputs import read_points
from diffcli.expr.parsing import parse
from diffcli.expr.points import PointColumns
from tests.conftest import Run, invoke


def piped(text: str, *args: str) -> Run:
    """``printf TEXT | diffcli ARGS``, in-process."""
    result = CliRunner().invoke(
        cli, list(args), input=text, env={"NO_COLOR": "1", "COLUMNS": "80"}, prog_name="diffcli"
    )
    return Run(result.exit_code, result.stdout, result.stderr)


def test_stdin_lines_in_the_at_syntax_skipping_blanks_and_comments() -> None:
    text = "# x values\n1\n\n  # more\n2\r\npi/2\n"
    outcome = piped(text, "diff", "x**2", "--at", "-", "-f", "csv", "--fields", "x,numerical")
    assert (outcome.exit_code, outcome.stderr) == (0, "")
    assert outcome.stdout == (
        "x,numerical\n"
        "1.0,1.9999999999992246\n"
        "2.0,4.000000000004\n"
        f"1.5707963267948966,{primer.numerical_diff(lambda x: x**2, math.pi / 2)!r}\n"
    )


def test_a_tsv_header_names_the_variables_and_elements_make_vectors() -> None:
    outcome = piped(
        "x[0]\tx[1]\tnote\n3\t4\tfirst\n1\t0\tsecond\n",
        "grad",
        "sum(x**2)",
        "--at",
        "-",
        "-f",
        "tsv",
        "--fields",
        "x[0],x[1],value,numerical.x[0]",
    )
    assert outcome.stdout == (
        "x[0]\tx[1]\tvalue\tnumerical.x[0]\n"
        "3.0\t4.0\t25.0\t6.00000000000378\n"
        "1.0\t0.0\t1.0\t1.9999999999992246\n"
    )


@pytest.mark.parametrize(
    ("args", "points"),
    [
        (("diff", "x0**2*x1", "--wrt", "x1"), ("--at", "x0=-1:1:0.5,x1=0:3:1.5")),
        (("grad", "x0**2 + sin(x1)"), ("--at", "x0=0:2:1,x1=0:1:0.5")),
        (("hessian", "x0**2*x1"), ("--at", "1,2", "--at", "3,4")),
    ],
)
def test_diffclis_own_csv_reads_back_to_the_same_output(
    args: tuple[str, ...], points: tuple[str, ...], tmp_path: Path
) -> None:
    first = piped("", *args, *points, "-f", "csv")
    assert first.exit_code == 0
    assert len(first.stdout.splitlines()) > 2
    written = tmp_path / "points.csv"
    written.write_text(first.stdout)
    assert piped("", *args, "--points", str(written), "-f", "csv").stdout == first.stdout
    assert piped(first.stdout, *args, "--points", "-", "-f", "csv").stdout == first.stdout


def test_a_bad_line_names_source_line_and_column_after_the_rows_before_it(tmp_path: Path) -> None:
    outcome = piped("1\n2\nx0=3,abc\n4\n", "diff", "x0**2", "--at", "-", "-f", "value")
    assert outcome.exit_code == 2
    assert outcome.stdout == "1.9999999999992246\n4.000000000004\n"
    assert outcome.stderr == (
        "error: <stdin>:3:6: --at 'x0=3,abc': 'abc' is not a number (it names abc)\n"
    )
    table = tmp_path / "points.tsv"
    table.write_text("x\ty\n1\t2\n3\t\n")
    outcome = piped("", "diff", "x*y", "--wrt", "x", "--points", str(table), "-f", "csv")
    assert outcome.exit_code == 2
    assert outcome.stdout.splitlines()[1].startswith("1.0,2.0,2.0,central,")
    assert outcome.stderr == f"error: {table}:3:3: 'an empty field' is not a number (column y)\n"


@pytest.mark.parametrize("bad", ["1.2.3", "1e", "-", "1,2", "1 2", "1_0", "nan"])
def test_lines_of_number_characters_that_are_no_number_are_read_one_by_one(bad: str) -> None:
    good = "".join(f"{k / 8!r}\n" for k in range(3))
    alone = piped(f"{bad}\n", "diff", "x**2", "--at", "-", "-f", "value", "--no-analytic")
    after = piped(good + bad + "\n", "diff", "x**2", "--at", "-", "-f", "value", "--no-analytic")
    assert alone.exit_code == after.exit_code
    assert alone.stderr.replace("<stdin>:1:", "<stdin>:4:") == after.stderr
    assert after.stdout.splitlines()[:3] == [
        repr(primer.numerical_diff(lambda x: x**2, k / 8)) for k in range(3)
    ]


def test_a_header_must_name_every_variable() -> None:
    outcome = piped("x0,other\n1,2\n", "diff", "x0*x1", "--wrt", "x0", "--at", "-", "-f", "csv")
    assert (outcome.exit_code, outcome.stderr) == (
        2,
        "error: <stdin>:1:1: the header names no column for x1\n",
    )


def test_rows_not_finite_in_one_group_still_let_the_rest_be_written() -> None:
    outcome = piped("0\n1\n", "diff", "sqrt(x)", "--at", "-", "-f", "value", "--no-analytic")
    assert outcome.exit_code == 1
    assert outcome.stdout.splitlines()[1] == repr(primer.numerical_diff(math.sqrt, 1.0))


def test_a_table_waits_for_every_point_and_shows_one_table() -> None:
    outcome = piped("1\n2\n", "diff", "x**2", "--at", "-", "--no-analytic")
    assert outcome.stdout.count("numerical") == 1
    assert [line.split()[0] for line in outcome.stdout.splitlines()[-2:]] == ["x=1", "x=2"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--at", "-", "--at", "1"), "--at - reads every point from stdin: give no other --at"),
        (("--at", "1", "--points", "-"), "give the points by --at or by --points, not both"),
        ((), "Missing option '--at'."),
    ],
)
def test_one_source_of_points(args: tuple[str, ...], message: str) -> None:
    outcome = piped("1\n", "diff", "x", *args)
    assert outcome.exit_code == 2
    assert outcome.stderr.startswith(f"error: {message}")


def test_answers_appear_as_slow_lines_arrive() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "diffcli", "diff", "log(x)", "--at", "-", "-f", "value"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        process.stdin.write(b"1\n")
        process.stdin.flush()
        ready, _, _ = select.select([process.stdout], [], [], 30)
        assert ready, "no answer to the first line while the pipe stays open"
        assert process.stdout.readline() == b"%r\n" % primer.numerical_diff(math.log, 1.0)
        process.stdin.write(b"2\n")
        process.stdin.flush()
        sent = time.monotonic()
        ready, _, _ = select.select([process.stdout], [], [], 30)
        assert ready, "no answer to the second line while the pipe stays open"
        assert process.stdout.readline() == b"%r\n" % primer.numerical_diff(math.log, 2.0)
        answered_after = time.monotonic() - sent
        process.stdin.close()
        assert process.wait(30) == 0
    finally:
        process.kill()
        process.wait()
    assert answered_after < 0.5  # once started, an answer follows its line at once


def test_an_empty_stream_and_a_missing_file_are_bad_input(tmp_path: Path) -> None:
    for output in ("csv", "table"):
        outcome = piped("# only a comment\n\n", "diff", "x", "--at", "-", "-f", output)
        assert (outcome.exit_code, outcome.stderr) == (
            2,
            "error: --at '-': no points (no line but blanks and #)\n",
        )
    missing = tmp_path / "missing.csv"
    outcome = piped("", "diff", "x", "--points", str(missing))
    assert outcome.exit_code == 2
    assert f"File '{missing}' does not exist" in outcome.stderr


def test_a_stream_of_many_groups_asks_sympy_once(monkeypatch: pytest.MonkeyPatch) -> None:
    jobs: list[object] = []

    def counted(work: Any, seconds: float) -> Any:
        jobs.append(work)
        return bounded(work, seconds)

    bounded = analytic.bounded
    monkeypatch.setattr(analytic, "bounded", counted)
    monkeypatch.setattr(sources, "CHUNK_POINTS", 3)
    text = "".join(f"{k / 4!r}\n" for k in range(10))
    outcome = piped(text, "diff", "sin(x)*x", "--at", "-", "-f", "csv", "--no-cache")
    assert (outcome.exit_code, outcome.stderr) == (0, "")
    assert len(outcome.stdout.splitlines()) == 11 and len(jobs) == 1  # four groups, one job
    monkeypatch.setattr(sources, "CHUNK_POINTS", 100)
    assert piped(text, "diff", "sin(x)*x", "--at", "-", "-f", "csv", "--no-cache") == outcome


def test_what_waits_in_a_pipe_is_read_as_one_group() -> None:
    import io
    import os

    class Pipe(io.BytesIO):
        """64 KiB a read, as a pipe's buffer gives; its descriptor says more is waiting."""

        def __init__(self, data: bytes, descriptor: int) -> None:
            super().__init__(data)
            self.descriptor = descriptor

        def read1(self, size: int | None = -1) -> bytes:
            return super().read1(min(65_536, size if size and size > 0 else 65_536))

        def fileno(self) -> int:
            return self.descriptor

    lines = "".join(f"{k / 7!r}\n" for k in range(20_000)).encode()  # about 400 KB
    reader, writer = os.pipe()
    os.write(writer, b"x")  # readable: select says more is there
    try:
        groups = list(sources.arrived_lines(Pipe(lines, reader)))
    finally:
        os.close(reader)
        os.close(writer)
    assert [(first, len(texts)) for first, texts in groups] == [(1, 20_000)]


def test_many_plain_at_values_are_read_at_once_as_columns() -> None:
    expression = parse("x0*sin(x1)")
    texts = ["1,2", " 3, 4.5", "-1e-3,+7"]
    many = read_points(expression, texts, {})
    assert isinstance(many, PointColumns)
    one_by_one = [read_points(expression, text, {})[0] for text in texts]
    assert [{k: float(v) for k, v in p.items()} for p in many] == [
        {k: float(v) for k, v in p.items()} for p in one_by_one
    ]
    # any text that is not plain numbers: each read in full, the same points
    mixed = read_points(expression, [*texts, "x0=pi,x1=1"], {})
    assert not isinstance(mixed, PointColumns)
    assert [float(p["x0"]) for p in mixed] == [1.0, 3.0, -1e-3, math.pi]


def test_many_at_values_write_what_each_writes_alone() -> None:
    values = ["0.5", "1", "2.25"]
    together = invoke(["diff", "sin(x)", *(f"--at={v}" for v in values), "-f", "csv"])
    header, *rows = together.stdout.splitlines()
    for value, row in zip(values, rows, strict=True):
        assert invoke(["diff", "sin(x)", "--at", value, "-f", "csv"]).stdout == (
            f"{header}\n{row}\n"
        )


def test_a_line_longer_than_the_csv_modules_limit_is_an_error_not_a_crash() -> None:
    # before: exit 3, "internal error (Error: field larger than field limit (131072))"
    long = "1" * 200_000
    outcome = piped(f"{long}\n", "diff", "x", "--at", "-", "-f", "value")
    assert outcome.exit_code == 2
    assert outcome.stderr.startswith("error: <stdin>:1:1: --at '111")
    assert outcome.stderr.endswith("overflows a double (the largest is 1.8e+308)\n")
    outcome = piped(f"x,y\n1,{long}\n", "diff", "x*y", "--wrt", "x", "--at", "-")
    assert (outcome.exit_code, outcome.stderr) == (
        2,
        "error: <stdin>:2:1: not a CSV row (field larger than field limit (131072))\n",
    )


@pytest.mark.parametrize(
    ("lines", "differ"), [(("x=[1,2]", "x=[1,2,3]"), "+x[2]"), (("x=[1,2,3]", "x=[1,2]"), "-x[2]")]
)
def test_a_stream_whose_points_change_shape_stops_under_its_csv_header(
    monkeypatch: pytest.MonkeyPatch, lines: tuple[str, str], differ: str
) -> None:
    # before: the later rows had more (or fewer) cells than the header, and exit 0
    monkeypatch.setattr(sources, "CHUNK_POINTS", 1)  # each line a group of its own
    text = "".join(f"{line}\n" for line in lines)
    outcome = piped(text, "diff", "sum(x)", "--wrt", "x[0]", "--at", "-", "-f", "csv")
    assert outcome.exit_code == 2
    header, row = outcome.stdout.splitlines()  # the first point's row stays written
    assert len(header.split(",")) == len(row.split(","))
    assert outcome.stderr == (
        "error: these points need other columns than the csv header written above "
        f"({differ}: a variable changed its shape); give points of one shape to one command, "
        "or write -f jsonl\n"
    )
    together = piped(text, "diff", "sum(x)", "--wrt", "x[0]", "--at", "-", "-f", "jsonl")
    assert together.exit_code == 0 and len(together.stdout.splitlines()) == 2
