"""The user's environment: an output encoding without ∂ or ∇, a terminal of no width, and an
expression that begins with a minus sign where an option could be."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pytest
from click.testing import CliRunner

from diffcli.cli import cli
from diffcli.terminal import MIN_WIDTH, UNKNOWN_WIDTH, GuardedStream
from tests.conftest import Run, invoke

#: One ordinary run of every command (SymPy included: its formulas carry the symbols).
EVERY_COMMAND = {
    "diff": ["diff", "x0*x1", "--wrt", "x0", "--at", "1,2"],
    "sweep": ["sweep", "sin(x)", "--at", "1"],
    "grad": ["grad", "x0*x1", "--at", "1,2"],
    "hessian": ["hessian", "x0*x1", "--at", "1,2"],
    "descend": ["descend", "x**2", "--from", "1", "--trace", "50"],
}


def invoke_encoded(args: Sequence[str], encoding: str) -> Run:
    """Run diffcli with stdout and stderr in ``encoding`` (``PYTHONIOENCODING`` in-process)."""
    environment = {"COLUMNS": "80", "NO_COLOR": "1", "TERM": "dumb"}
    result = CliRunner(charset=encoding).invoke(
        cli, list(args), env=environment, catch_exceptions=False, prog_name="diffcli"
    )
    return Run(result.exit_code, result.stdout, result.stderr)


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
@pytest.mark.parametrize("command", EVERY_COMMAND)
def test_every_command_runs_where_the_encoding_lacks_the_symbols(
    command: str, encoding: str
) -> None:
    # before: grad, sweep and descend ended in internal error (UnicodeEncodeError) on ∂, ∇, ∝
    outcome = invoke_encoded(EVERY_COMMAND[command], encoding)
    assert outcome.exit_code == 0, outcome.explain()
    assert outcome.stderr == "", outcome.explain()
    outcome.stdout.encode(encoding)  # every character is one the encoding carries
    for symbol in "∂∇∝…":
        assert symbol not in outcome.stdout, outcome.explain()


def test_grad_in_ascii_spells_the_symbols_out() -> None:
    outcome = invoke_encoded(EVERY_COMMAND["grad"], "ascii")
    assert outcome.stdout == (
        "f = x0*x1\n"
        "df/dx0 = x1\n"
        "df/dx1 = x0\n"
        "central difference, h = 0.0001\n"
        "\n"
        "at x0=1, x1=2\n"
        "f = 2.0\n"
        "df/d|          numerical| analytic| abs error| rel error\n"
        "----+-------------------+---------+----------+----------\n"
        "x0  | 1.9999999999997797|      2.0|   2.2e-13|   1.1e-13\n"
        "x1  |     1.000000000001|      1.0|     1e-12|     1e-12\n"
        "largest abs error: 1e-12\n"
        "grad f = [1.9999999999997797, 1.000000000001]\n"
        "|grad f| = 2.23606797750004 (analytic 2.23606797749979)\n"
    )


@pytest.mark.parametrize(
    ("encoding", "explained"),
    [("ascii", "(~ h forward, ~ h^2 central)"), ("latin-1", "(~ h forward, ~ h² central)")],
)
def test_sweep_spells_only_what_the_encoding_lacks(encoding: str, explained: str) -> None:
    outcome = invoke_encoded(EVERY_COMMAND["sweep"], encoding)
    assert explained in outcome.stdout, outcome.explain()


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_descend_summary_stays_aligned_with_the_gradient_spelt_out(encoding: str) -> None:
    lines = invoke_encoded(EVERY_COMMAND["descend"], encoding).stdout.splitlines()
    assert lines[3:9] == [
        "start       x=1",
        "final       x=0.1326195558947838",
        "f(final)    0.017587946605729685",
        "|grad f|    0.26523911178953985",
        "status      max_steps after 100 steps",
        "stationary  minimum at x=0, f = 0.0",
    ]
    header, rule, first = lines[11:14]
    assert header.endswith("|            |grad f|")  # laid out after the respelling
    assert len(header) == len(rule) == len(first)


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_help_spells_the_symbols_out(encoding: str) -> None:
    outcome = invoke_encoded(["descend", "--help"], encoding)
    assert outcome.exit_code == 0, outcome.explain()
    assert "Learning rate eta (> 0)." in outcome.stdout
    assert "Update rule (default: sgd, the primer's x <-" in outcome.stdout


def test_an_error_line_in_ascii_spells_the_ellipsis_out() -> None:
    text = "[" + ",".join(["1.5"] * 100) + ",x]"
    outcome = invoke_encoded(["diff", "sum(y)", "--at", f"y={text}", "--no-analytic"], "ascii")
    assert outcome.exit_code == 2, outcome.explain()
    assert outcome.stderr == (
        "error: --at 'y=[1.5,1.5,1.5,1.5,1.5,1.5,1.5,1.5,1.5,1.5 ... ,1.5,1.5,1.5,x]': "
        "'x' is not a number (it names x)\n"
    )


@pytest.mark.parametrize(
    ("encoding", "written"),
    [
        ("utf-8", "∂f/∂x0 ∝ h² … |∇f| é"),
        ("latin-1", "df/dx0 ~ h² ... |grad f| é"),
        ("ascii", "df/dx0 ~ h^2 ... |grad f| \\xe9"),
    ],
)
def test_each_stream_is_spelt_for_its_own_encoding(encoding: str, written: str) -> None:
    target = io.TextIOWrapper(io.BytesIO(), encoding=encoding, write_through=True)
    for messages in (False, True):  # stdout and stderr alike, each by its own encoding
        stream = GuardedStream(target, messages=messages)
        stream.write("∂f/∂x0 ∝ h² … |∇f| é")
        target.buffer.seek(0)
        assert target.buffer.read().decode(encoding) == written
        target.buffer.seek(0)
        target.buffer.truncate()


@pytest.mark.parametrize("columns", [0, 1, 5, 20])
@pytest.mark.parametrize("command", EVERY_COMMAND)
def test_a_width_that_cannot_hold_a_table_is_taken_as_unknown(command: str, columns: int) -> None:
    # before: COLUMNS=0 printed nothing (exit 0); COLUMNS=1 one character per line
    assert columns < MIN_WIDTH
    outcome = invoke(EVERY_COMMAND[command], columns=columns)
    assert outcome.exit_code == 0, outcome.explain()
    assert outcome.stdout == invoke(EVERY_COMMAND[command], columns=UNKNOWN_WIDTH).stdout
    assert outcome.stdout.count("\n") > 5, outcome.explain()


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("-x", "-0.9999999999998899"),
        ("-x**2", "-1.9999999999992246"),
        ("-1*x", "-0.9999999999998899"),
        ("-sin(x)", "-0.5403023049677103"),
        ("-x0", "-0.9999999999998899"),
    ],
)
def test_an_expression_may_begin_with_a_minus_sign(expression: str, value: str) -> None:
    # before: `diffcli diff "-x" --at 1` was refused: No such option '-x'
    for args in (
        ["diff", expression, "--at", "1", "-f", "value"],
        ["diff", "--at", "1", expression, "-f", "value"],
        ["diff", "-qf", "value", expression, "--at", "1"],
    ):
        outcome = invoke(args)
        assert (outcome.exit_code, outcome.stdout) == (0, value + "\n"), outcome.explain()


@pytest.mark.parametrize(
    "args",
    [
        ["grad", "-x0*x1", "--at", "1,2"],
        ["hessian", "-x0*x1", "--at", "1,2"],
        ["sweep", "-x", "--at", "1"],
        ["descend", "-x", "--from", "1", "--steps", "2"],
    ],
)
def test_every_command_takes_an_expression_beginning_with_a_minus_sign(args: list[str]) -> None:
    outcome = invoke([*args, "--no-analytic", "-f", "json"])
    assert outcome.exit_code == 0, outcome.explain()
    assert f'"expression": "{args[1]}"' in outcome.stdout


def test_a_lone_dash_h_is_still_help_and_an_unknown_option_after_the_expression_is_refused() -> (
    None
):
    assert invoke(["diff", "-h"]).stdout.startswith("Usage: diffcli diff [OPTIONS] EXPRESSION")
    outcome = invoke(["diff", "x", "--at", "1", "-y"])
    assert (outcome.exit_code, outcome.stderr) == (
        2,
        "error: No such option '-y'. (see 'diffcli diff --help')\n",
    )
    outcome = invoke(["diff", "--formt", "json", "x", "--at", "1"])
    assert outcome.exit_code == 2
    assert outcome.stderr.startswith("error: No such option '--formt'. (Did you mean")


def test_the_readme_lists_every_exit_code() -> None:
    from pathlib import Path

    from diffcli import errors

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Limits and exit codes\n", 1)[1].split("\n## ", 1)[0]
    codes = {value for name, value in vars(errors).items() if name.startswith("EXIT_")}
    assert {errors.EXIT_CANNOT_WRITE, errors.EXIT_CLOSED_PIPE} <= codes
    for code in codes | {0, 4, 130}:
        assert f"\n| {code} | " in section, code


def test_graphs_tree_in_ascii_has_ascii_branches() -> None:
    # before: \u251c-- x (variable) … and \u2014 for "no adjoint"
    outcome = invoke_encoded(["graph", "y*x**2", "--at", "3,4"], "ascii")
    assert (outcome.exit_code, outcome.stderr) == (0, "")
    assert outcome.stdout == (
        "f = y*x**2\n"
        "at x=3, y=4\n"
        "node: value, df/dnode (backward pass)\n"
        "*: 36.0, df/d = 1.0\n"
        "|-- y (variable): 4.0, df/d = 9.0\n"
        "`-- **: 9.0, df/d = 4.0\n"
        "    |-- x (variable): 3.0, df/d = 24.0\n"
        "    `-- 2.0: 2.0, df/d = -\n"
    )
