"""Each start-up path loads only what it needs: checked in a fresh interpreter per path."""

from __future__ import annotations

import fcntl
import json
import math
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from diffcli import derivative
from diffcli.cli import cli
from diffcli.commands import _one_point
from diffcli.engine import one_point
from diffcli.expr.compiling import compile_expression
from diffcli.expr.floats import float_function
from diffcli.expr.functions import FUNCTIONS
from diffcli.expr.parsing import Expression, parse

HEAVY = ("sympy", "numpy", "rich", "matplotlib", "mpmath", "platformdirs")
DIFF = ["diff", "0.01*x**2+0.1*x", "--at", "7"]
DIFF_TWO = ["diff", "sin(x0)*x1**3 + exp(x1)/x0", "--at", "x0=1.5,x1=-0.25", "--wrt", "x1"]
DESCEND = ["descend", "x0**2 + 3*sin(x1)", "--from", "-3,4", "--steps", "5", "--grad", "analytic"]

#: Each path: its arguments, whether the cache holds its answer first, what it must not load.
PATHS = {
    "version": (["--version"], False, HEAVY),
    "help": (["diff", "--help"], False, HEAVY),
    "cache hit, value": ([*DIFF, "-f", "value"], True, HEAVY),
    "cache hit, value, two variables": (
        [*DIFF_TWO, "-f", "value"],
        True,
        ("sympy", "numpy", "rich", "matplotlib"),
    ),
    "cache hit, table": (DIFF, True, ("sympy", "matplotlib", "mpmath")),
    "cache hit, json": ([*DIFF, "-f", "json"], True, ("sympy", "rich", "matplotlib")),
    "cache hit, descend --grad analytic": (DESCEND, True, ("sympy", "matplotlib")),
    "no analytic": ([*DIFF, "--no-analytic", "-f", "value"], False, ("sympy", "rich", "mpmath")),
    "cache info": (["cache", "info"], False, HEAVY),
}


@pytest.fixture(scope="module")
def warm_cache(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment whose cache holds the answers to ``DIFF``, ``DIFF_TWO``, ``DESCEND``."""
    environment = {**os.environ, "DIFFCLI_CACHE_DIR": str(tmp_path_factory.mktemp("cache"))}
    for query in (DIFF, DIFF_TWO, DESCEND):
        # no limit: on a busy machine SymPy may take longer than 5 s, leaving no answer to keep
        command = [sys.executable, "-m", "diffcli", *query, "-f", "json", "--analytic-timeout", "0"]
        subprocess.run(command, check=True, capture_output=True, env=environment)
    assert list(Path(environment["DIFFCLI_CACHE_DIR"]).glob("*.json"))
    return environment


def loaded(args: list[str], environment: dict[str, str] | None) -> list[str]:
    """The heavy modules a fresh interpreter holds after running ``diffcli ARGS``."""
    code = (
        "import sys\n"
        "from diffcli.cli import cli\n"
        "try:\n"
        f"    cli.main(args={args!r}, prog_name='diffcli')\n"
        "except SystemExit as stop:\n"
        "    assert not stop.code, stop.code\n"
        "import json\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]), file=sys.stderr)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=environment
    )
    found: list[str] = json.loads(completed.stderr.strip().splitlines()[-1])
    return found


@pytest.mark.parametrize("name", PATHS)
def test_each_path_loads_no_module_it_does_not_need(name: str, warm_cache: dict[str, str]) -> None:
    args, after_a_miss, forbidden = PATHS[name]
    assert set(loaded(args, warm_cache if after_a_miss else None)) & set(forbidden) == set()


#: The console script's start (``__main__``): the plain spelling answered before Click, then
#: the modules it loaded on stderr (its exit code first).
BEFORE_CLICK = (
    "import json, sys\n"
    "from diffcli.commands._one_point import answer\n"
    "code = answer(sys.argv[1:])\n"
    "sys.stdout.flush()\n"
    f"loaded = [m for m in {(*HEAVY, 'click')!r} if m in sys.modules]\n"
    "print(json.dumps([code, loaded]), file=sys.stderr)"
)


def output_of(argv: list[str], environment: dict[str, str], terminal: bool) -> tuple[bytes, str]:
    """What ``argv`` writes to stdout (as bytes: colours and all) and to stderr, stdout on a
    pipe or on a pseudo-terminal of 100 columns."""
    if not terminal:
        done = subprocess.run(argv, capture_output=True, env=environment, check=True)
        return done.stdout, done.stderr.decode()
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    process = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=follower, stderr=subprocess.PIPE, env=environment
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 1 << 16)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    stderr = process.stderr.read().decode() if process.stderr else ""
    assert process.wait() == 0, stderr
    return b"".join(chunks), stderr


@pytest.mark.parametrize(("args", "terminal"), [(DIFF, False), (DIFF_TWO, True)])
def test_a_repeated_table_is_the_full_paths_without_numpy_or_click(
    args: list[str], terminal: bool, warm_cache: dict[str, str]
) -> None:
    environment = {**warm_cache, "TERM": "xterm-256color", "COLUMNS": "100"}
    environment.pop("NO_COLOR", None)
    full = output_of(
        [sys.executable, "-m", "diffcli", *args, "--format=table"], environment, terminal
    )
    quick, report = output_of([sys.executable, "-c", BEFORE_CLICK, *args], environment, terminal)
    code, modules = json.loads(report.splitlines()[-1])
    assert code == 0 and "rich" in modules  # answered here (mpmath: sin's exact values)
    assert set(modules) & {"numpy", "sympy", "click", "matplotlib"} == set()
    assert quick == full[0] and full[1] == ""
    assert (b"\x1b[" in quick) == terminal  # colour and bold on the terminal only


# The one-point path (``expr.floats``, ``engine.one_point``) against NumPy's batched path: the
# same bits wherever the one-point path answers.

LEAVES = st.sampled_from(["x", "x", "y", "2", "3", "0.1", "pi", "e", "1e-8", "-1.5"])
ELEMENTWISE = [name for name, function in FUNCTIONS.items() if function.kind == "elementwise"]
#: Literal exponents, those NumPy computes by a shortcut (0.5, -1, 2) among them.
EXPONENTS = ["2", "3", "-2", "0.5", "-1", "1.5", "-0.5", "1", "0", "2.5"]


def combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(children, st.sampled_from(["+", "-", "*", "/", "**"]), children).map(
        lambda parts: f"({parts[0]} {parts[1]} {parts[2]})"
    )
    call = st.tuples(st.sampled_from(ELEMENTWISE), children).map(lambda p: f"{p[0]}({p[1]})")
    power = st.tuples(children, st.sampled_from(EXPONENTS)).map(lambda p: f"({p[0]})**{p[1]}")
    negation = children.map(lambda child: f"-({child})")
    return binary | call | power | negation


EXPRESSIONS = st.recursive(LEAVES, combine, max_leaves=7)
NUMBERS = st.floats(-20.0, 20.0, allow_subnormal=False) | st.sampled_from([0.0, 1.0, 0.5, 1e-9])


def batched(expression: Expression, xs: list[float], y: float) -> list[float]:
    """NumPy's values at many points of x, y held: one value broadcast to every point (a
    stride-0 array), as ``diff``'s batched path evaluates them."""
    compiled = compile_expression(expression, {"x": (), "y": ()})
    length = len(xs)
    arrays = {"x": np.array(xs), "y": np.broadcast_to(np.array([y]), (length,))}
    with np.errstate(all="ignore"):
        found = compiled.evaluate_batch(arrays)
    return np.broadcast_to(np.asarray(found, dtype=np.float64), (length,)).tolist()


@settings(max_examples=400, deadline=None, derandomize=True)
@given(EXPRESSIONS, st.lists(NUMBERS, min_size=2, max_size=2), NUMBERS)
def test_python_floats_give_numpys_bits(text: str, xs: list[float], y: float) -> None:
    expression = parse(text)
    function = float_function(expression.tree, frozenset({"x", "y"}))
    if function is None:
        return
    for x, expected in zip(xs, batched(expression, xs, y)):
        try:
            found = function({"x": x, "y": y})
        except (ArithmeticError, ValueError):
            continue  # the one-point path declines: NumPy's path answers (x/log(x) at 0 is -0.0)
        if math.isfinite(found) or math.isfinite(expected):
            assert struct.pack("<d", found) == struct.pack("<d", expected), (text, x, y)


@pytest.mark.parametrize("text", ["tanh(x)", "x**0.5", "x**-1", "x**y", "abs(x)", "sum(x)"])
def test_operations_that_may_differ_take_numpys_path(text: str) -> None:
    assert float_function(parse(text).tree, frozenset({"x", "y"})) is None


@settings(max_examples=150, deadline=None, derandomize=True)
@given(EXPRESSIONS, NUMBERS, NUMBERS)
def test_one_point_quotient_is_the_batched_paths(text: str, x: float, y: float) -> None:
    expression = parse(text)
    function = float_function(expression.tree, frozenset({"x", "y"}))
    if function is None or "x" not in expression.variables:
        return
    point = {"x": x, "y": y}
    values = {n: point[n] for n in expression.variables}
    bound = one_point.rounding_bound_near(expression, values, "x")
    found = one_point._central(function, values, "x", bound)
    if found is None:
        return
    with np.errstate(all="ignore"):
        report = derivative(expression, point if "y" in text else {"x": x}, wrt="x", analytic=False)
    (row,) = report.results
    assert (row.status, report.warnings) == ("ok", ())
    assert found == (row.value, row.numerical, row.error_estimate, row.evaluations)
    for one, other in zip(found[:3], (row.value, row.numerical, row.error_estimate)):
        assert struct.pack("<d", one) == struct.pack("<d", other)


@pytest.mark.parametrize(
    ("text", "at", "wrt"),
    [
        ("0.01*x**2+0.1*x", "5", None),
        ("sin(x0)*x1**3 + exp(x1)/x0", "x0=1.5,x1=-0.25", "x1"),
        ("log(x)*sigmoid(x) - x**3/7", "x=0.3", None),
    ],
)
def test_a_cache_hit_prints_what_the_full_path_prints(
    text: str, at: str, wrt: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIFFCLI_CACHE_DIR", str(tmp_path))
    answered: list[object] = []
    quick = one_point.central_derivative
    monkeypatch.setattr(
        one_point, "central_derivative", lambda *args: answered.append(quick(*args)) or answered[-1]
    )
    args = ["diff", text, "--at", at, "-f", "value", *(["--wrt", wrt] if wrt else [])]
    full = CliRunner().invoke(cli, [*args, "--no-cache"])  # the full path answers
    first = CliRunner().invoke(cli, args)  # a miss: SymPy derives, stored, read back
    second = CliRunner().invoke(cli, args)  # a hit: no SymPy
    assert (full.exit_code, first.exit_code, second.exit_code) == (0, 0, 0), full.output
    assert answered[0] is None and None not in answered[1:] and len(answered) == 3
    assert full.output == first.output == second.output
    report = derivative(text, at, wrt=wrt)
    found = answered[-1]
    assert isinstance(found, one_point.OnePoint)
    assert (found.numerical, found.analytic) == (
        report.results[0].numerical,
        report.results[0].analytic,
    )
    assert found.derivative == report.derivative
    # the report the table is drawn from, from the cache: the full path's record
    at_one_point = _one_point._at_one_point(parse(text), at, wrt, None)
    assert at_one_point is not None
    quick_report = _one_point.one_point_report(parse(text), *at_one_point)
    assert quick_report.as_dict() == report.as_dict()


@pytest.mark.parametrize(
    "args",
    [
        ["diff", "x**3", "--at", "2", "--format=table"],
        ["diff", "x**3", "--at", "2", "--color", "always"],
        ["diff", "x**3", "--at", "0"],  # the full path warns: the estimate cannot be trusted
        ["diff", "x**3", "--at", "2", "-f", "csv"],
        ["diff", "x**3", "--at", "2", "-f", "json"],
        ["diff", "x**3", "--at=2", "-f", "value"],
        ["diff", "x**3", "--at", "2", "-fvalue"],
        ["diff", "x**3", "--at", "2", "--at", "3", "-f", "value"],
        ["diff", "x**3", "--at", "2", "-f", "value", "-f", "value"],
        ["diff", "x**3", "--at", "2", "-f", "value", "--quiet"],
        ["diff", "x**3", "--at", "2", "-f", "value", "--method", "central"],
        ["diff", "-x**3", "--at", "2", "-f", "value"],
        ["diff", "x**3", "--at", "2", "-f", "value", "--help"],
        ["diff", "x**3", "--at", "-", "-f", "value"],
        ["diff", "x**", "--at", "2", "-f", "value"],  # the full path reports the error
        ["grad", "x**3", "--at", "2", "-f", "value"],
    ],
)
def test_only_the_plain_spelling_is_answered_before_click(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert CliRunner().invoke(cli, ["diff", "x**3", "--at", "2", "-f", "value"]).exit_code == 0
    assert _one_point.answer(args) is None
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    "args",
    [
        ["diff", "x**3 - sin(x)", "--at", "2", "-f", "value"],
        ["diff", "x**3 - sin(x)", "--format", "value", "--at", "x=2"],
        ["diff", "x**3 - sin(x)*y", "--wrt", "y", "-f", "value", "--at", "x=2,y=0.5"],
        ["diff", "x**3 - sin(x)", "--at", "2"],
        ["diff", " -x**3 - sin(x)", "--at", "-2.5", "-f", "table"],
        ["diff", "x**3 - sin(x)*y", "--at", "y=0.5,x=2", "--wrt", "x"],
        ["diff", "x**3 - sin(x)*y", "--at", "x=2,y=0.5", "--wrt", "y", "--format", "table"],
    ],
)
def test_the_plain_spelling_prints_what_click_prints(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    first = CliRunner().invoke(cli, args)  # a miss: SymPy derives, through Click
    assert first.exit_code == 0, first.output
    assert _one_point.answer(args) == 0
    assert capsys.readouterr().out == first.output


def test_no_cache_asks_sympy_once(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[object] = []
    monkeypatch.setattr(one_point, "_derived", lambda *args: asked.append(args))
    outcome = CliRunner().invoke(cli, ["diff", "x**3", "--at", "2", "-f", "value", "--no-cache"])
    assert (outcome.exit_code, outcome.output, asked) == (0, "12.00000001000845\n", [])
