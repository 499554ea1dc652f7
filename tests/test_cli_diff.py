"""``diffcli diff`` end to end: whole outputs, the JSON contract, exit codes, width."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from diffcli.cli import COMMANDS, cli
from tests.conftest import invoke

MAIN_TABLE = (
    "f = 0.01*x**2+0.1*x\n"
    "df/dx = 0.02*x + 0.1\n"
    "central difference, h = 0.0001\n"
    "at            numerical  analytic  abs err   rel err  est. err  evals\n"
    "─────────────────────────────────────────────────────────────────────\n"
    "x=5  0.1999999999990898       0.2  9.1e-13  4.55e-12  6.29e-12      4\n"
)


def test_main_command_prints_the_whole_table(run):
    outcome = run("diff", "0.01*x**2+0.1*x", "--at", "5")
    assert outcome.stdout == MAIN_TABLE
    assert outcome.stderr == ""


def test_no_value_is_cut_at_80_columns(run):
    outcome = run(
        "diff",
        "x0**2 + sin(x1)",
        "--wrt",
        "x1",
        "--at",
        "x0=3.000001,x1=4.123456789",
        "--at",
        "1,2",
    )
    assert "…" not in outcome.stdout
    for line in outcome.stdout.splitlines():
        assert len(line) <= 80
    report = json.loads(
        run("diff", "x0**2 + sin(x1)", "--wrt", "x1", "--at", "1,2", "-f", "json").stdout
    )
    assert repr(report["results"][0]["numerical"]) in outcome.stdout


def test_narrow_terminal_falls_back_to_blocks_without_cutting(run):
    outcome = run("diff", "0.01*x**2+0.1*x", "--at", "5", columns=30)
    assert "numerical: 0.1999999999990898" in outcome.stdout
    assert "…" not in outcome.stdout


def test_precision_shortens_values(run):
    outcome = run("diff", "0.01*x**2+0.1*x", "--at", "5", "--precision", "6")
    assert outcome.stdout.splitlines()[-1].split()[:3] == ["x=5", "0.2", "0.2"]


def test_several_points_give_one_row_each(run):
    lines = run("diff", "x**3", "--at", "1", "--at", "-2", "--at", "pi").stdout.splitlines()
    assert [line.split()[0] for line in lines[-4:-1]] == ["x=1", "x=-2", "x=3.141592653589793"]
    assert lines[-1] == "(hidden at this width: est. err, evals)"


def test_optional_columns_return_when_there_is_room(run):
    lines = run("diff", "x**3", "--at", "pi", columns=100).stdout.splitlines()
    assert lines[-3].split() == [
        "at",
        "numerical",
        "analytic",
        "abs",
        "err",
        "rel",
        "err",
        "est.",
        "err",
        "evals",
    ]


def test_json_contract(run):
    report = json.loads(
        run("diff", "x0**2 + x1**2", "--wrt", "x0", "--at", "x0=3,x1=4", "-f", "json").stdout
    )
    assert set(report) >= {"expression", "variable", "derivative", "results", "warnings"}
    assert report["expression"] == "x0**2 + x1**2"
    assert report["variable"] == "x0"
    assert report["derivative"] == "2*x0"
    (row,) = report["results"]
    assert row["at"] == {"x0": 3.0, "x1": 4.0}
    assert row["method"] == "central"
    assert row["step"] == 0.0001
    assert row["numerical"] == 6.00000000000378
    assert row["analytic"] == 6.0
    assert row["abs_error"] == abs(6.00000000000378 - 6.0)
    assert row["rel_error"] == abs(6.00000000000378 - 6.0) / 6.0
    # central at h and h/2: the pair gives the error estimate
    assert row["evaluations"] == 4
    assert 0 < row["error_estimate"] < 1e-9
    assert report["warnings"] == []


def test_json_writes_non_finite_numbers_as_null_with_a_warning(run):
    outcome = run("diff", "sqrt(x)", "--at", "0", "-f", "json", expect=1)
    report = json.loads(outcome.stdout)
    assert report["results"][0]["numerical"] is None
    assert any("numerical is nan" in warning for warning in report["warnings"])


def test_vector_variable_point_in_json(run):
    report = json.loads(
        run("diff", "x[0]*x[1]", "--wrt", "x[1]", "--at", "x=3,4", "-f", "json").stdout
    )
    assert report["results"][0]["at"] == {"x": [3.0, 4.0]}
    assert report["variable"] == "x[1]"
    assert report["derivative"] == "x[0]"


def test_csv_output(run):
    outcome = run("diff", "x**2", "--at", "3", "-f", "csv")
    header, row = outcome.stdout.splitlines()
    assert header == (
        "x,value,method,step,numerical,analytic,abs_error,rel_error,evaluations,"
        "error_estimate,left,right,technique,status"
    )
    numerical = (3.0001**2 - 2.9999**2) / 2e-4
    error = abs(numerical - 6.0)
    assert row.startswith(f"3.0,9.0,central,0.0001,{numerical!r},6.0,{error!r},{error / 6!r},4,")
    assert row.endswith(",,,ok")


def test_expression_may_begin_with_minus(run):
    assert run("diff", "-x**2", "--at", "1", "-f", "value").stdout == "-1.9999999999992246\n"
    assert run("diff", "--at", "1", "-x**2", "-f", "value").stdout == "-1.9999999999992246\n"
    assert run("diff", "-sin(x)", "--at", "-1", "-f", "value").stdout.startswith("-0.54030230")


def test_negative_point(run):
    report = json.loads(run("diff", "x**2", "--at", "-3", "-f", "json").stdout)
    assert report["results"][0]["analytic"] == -6.0


def test_no_analytic_skips_sympy(run):
    outcome = run("diff", "x**2", "--at", "3", "--no-analytic", "-f", "json")
    report = json.loads(outcome.stdout)
    assert report["derivative"] is None
    assert report["analytic_status"] == "skipped"
    assert report["results"][0]["analytic"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sni(x)", "--at", "1"], "unknown function 'sni'; did you mean 'sin'? (column 1)"),
        (["x +* 2", "--at", "1"], "syntax error"),
        (["x**2"], "Missing option '--at'"),
        (["x**2", "--at", "abc"], "'abc' is not a number"),
        (["x**2", "--at", "y=3"], "unknown variable 'y'"),
        (["x0+x1", "--wrt", "x0", "--at", "x0=1"], "gives no value for x1"),
        (["x0+x1", "--at", "1,2"], "choose one with --wrt"),
        (["x0+x1", "--wrt", "z", "--at", "1,2"], "--wrt 'z': unknown variable"),
        (["x**2", "--at", "1", "--h", "0"], "--h must be a positive number"),
        (["x**2", "--at", "1", "--method", "sideways"], "Invalid value for '--method'"),
        (["x[2]", "--at", "3,4"], "index 2 is out of range for x of length 2"),
        (["x.real", "--at", "1"], "attribute access (.) is not allowed"),
        (["__import__('os').system('true')", "--at", "1"], "only named functions can be called"),
        (["__import__('os')", "--at", "1"], "names may not start with an underscore"),
        (["x.__class__.__mro__", "--at", "1"], "attribute access (.) is not allowed"),
        (["lambda: 1", "--at", "1"], "lambda is not allowed"),
        (["x if x else 1", "--at", "1"], "'if' expression is not allowed"),
        (["'x'", "--at", "1"], "str literal is not allowed"),
        (["x < 1", "--at", "1"], "comparison is not allowed"),
        (["x**2", "--at", "1,2"], "the decimal mark is '.': did you mean --at 1.2?"),
        (["x**2", "--at", "1,2,3"], "not a single number"),
    ],
)
def test_bad_input_exits_2_with_one_message(args, message):
    outcome = invoke(["diff", *args])
    assert outcome.exit_code == 2, outcome.explain()
    assert outcome.stdout == ""
    assert outcome.stderr.startswith("error: ")
    assert message in outcome.stderr
    assert "Traceback" not in outcome.stderr


def test_parse_error_points_at_the_column():
    outcome = invoke(["diff", "x + sni(x)", "--at", "1"])
    assert outcome.stderr == (
        "error: unknown function 'sni'; did you mean 'sin'? (column 5)\n  x + sni(x)\n      ^\n"
    )


@pytest.mark.parametrize(
    ("expression", "point", "cause"),
    [
        ("1/x", "0", "division by zero in 1/x"),
        ("log(x)", "-1", "log of a negative number in log(x)"),
        ("log(x - 1)", "1", "log of zero in log(x - 1)"),
        ("exp(x)", "1000", "overflow in exp(x)"),
        ("sqrt(x) + 1", "-4", "square root of a negative number in sqrt(x)"),
    ],
)
def test_evaluation_failure_exits_1_naming_the_point(expression, point, cause):
    outcome = invoke(["diff", expression, "--at", point])
    assert outcome.exit_code == 1, outcome.explain()
    assert outcome.stderr == f"error: cannot evaluate {expression} at x={point}: {cause}\n"


def test_version_and_help():
    from diffcli import __version__

    assert invoke(["--version"]).stdout == f"diffcli, version {__version__}\n"
    help_text = invoke(["diff", "--help"]).stdout
    assert 'diffcli diff "0.01*x**2+0.1*x" --at 5' in help_text
    assert "--method [forward|backward|central|five-point|richardson|complex|auto|all]" in help_text


def test_every_command_has_help_with_examples():
    runner = CliRunner()
    for name in cli.list_commands(None):  # type: ignore[arg-type]
        outcome = runner.invoke(cli, [name, "--help"])
        assert outcome.exit_code == 0
        assert "Examples:" in outcome.stdout, name
        assert f"diffcli {name} " in outcome.stdout, name


def test_python_dash_m_runs_the_same_cli():
    completed = subprocess.run(
        [sys.executable, "-m", "diffcli", "diff", "0.01*x**2+0.1*x", "--at", "5", "-f", "value"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == "0.1999999999990898\n"


HELP_CALLS = [[], ["--help"], *([name, "--help"] for name in sorted(COMMANDS))]


@pytest.mark.parametrize("args", HELP_CALLS, ids=[" ".join(a) or "import" for a in HELP_CALLS])
def test_start_up_and_help_import_no_heavy_module(args):
    code = (
        "import sys\n"
        "from diffcli.cli import cli\n"
        f"if {args!r}: cli.main(args={args!r}, standalone_mode=False)\n"
        "heavy = ('sympy', 'matplotlib', 'rich', 'numpy')\n"
        "print(sorted(m for m in heavy if m in sys.modules), file=sys.stderr)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert completed.stderr.strip() == "[]"


def test_bare_diffcli_prints_help_and_exits_0():
    outcome = invoke([])
    assert outcome.exit_code == 0
    assert outcome.stdout.startswith("Usage: diffcli [OPTIONS] COMMAND [ARGS]...")
    assert outcome.stderr == ""


def test_misspelt_command_gets_a_suggestion():
    outcome = invoke(["dif", "x", "--at", "1"])
    assert outcome.exit_code == 2
    assert (
        outcome.stderr == "error: no command 'dif'; did you mean 'diff'? (see 'diffcli --help')\n"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [("nan", "must be 0 or more seconds, got 'nan'"), ("-1", "must be 0 or more seconds")],
)
def test_analytic_timeout_refuses_nan_and_negatives_even_without_sympy(value, message):
    outcome = invoke(["diff", "x", "--at", "1", "--no-analytic", "--analytic-timeout", value])
    assert outcome.exit_code == 2
    assert message in outcome.stderr


@pytest.mark.parametrize("engine", ["auto", "sympy", "ad"])
@pytest.mark.parametrize("command", ["diff", "grad", "hessian"])
def test_no_analytic_with_an_explicit_analytic_engine_is_a_usage_error(command, engine):
    outcome = invoke([command, "x**2", "--at", "1", "--no-analytic", "--analytic", engine])
    assert outcome.exit_code == 2
    assert outcome.stderr.startswith(
        f"error: --no-analytic contradicts --analytic {engine}: give one of them"
    )
    assert outcome.stdout == ""


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["graph", "x**2", "--at", "1", "--at", "2"], "--at"),
        (["descend", "x**2", "--from", "1", "--from=2"], "--from"),
        (["diff", "x", "--at", "1", "-f", "json", "--format", "value"], "--format"),
        (["diff", "x", "--at", "1", "--h", "0.1", "--h", "0.2"], "--h"),
    ],
)
def test_a_single_valued_option_given_twice_is_refused_not_dropped(args, option):
    outcome = invoke(args)
    assert outcome.exit_code == 2
    assert outcome.stderr.startswith(
        f"error: {option} is given more than once; diffcli {args[0]} takes one"
    )
