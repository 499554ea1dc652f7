"""One dialect for every command: help, -h, --quiet, --color, --wrt, --set, shell completion."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from diffcli.cli import COMMANDS, cli
from tests.conftest import invoke

LEARNING_ORDER = ["diff", "sweep", "grad", "hessian", "descend", "plot"]
#: The commands that write a report (``plot`` writes a figure: no --format, no --precision).
REPORTING = LEARNING_ORDER[:-1]
#: The commands that draw a figure (``--plot FILE``, or ``plot -o FILE``).
PLOTTING = ["diff", "sweep", "grad", "descend", "plot"]
#: Every command: those above, the primer's next lesson (backpropagation made visible), then
#: the shell that runs them and the analytic cache.
ALL_COMMANDS = [*LEARNING_ORDER, "graph", "shell", "cache"]

#: One call of each command that prints a warning on stderr and exits 0.
WARNING_CALLS = {
    "diff": ["diff", "0.01*x**2+0.1*x", "--at", "5", "--method", "forward", "--h", "1e-50"],
    "sweep": ["sweep", "sqrt(x)", "--at", "0", "--no-analytic"],
    "grad": ["grad", "abs(x0) + x1", "--at", "0,1"],
    "hessian": ["hessian", "abs(x0) + x1**2", "--at", "0,1"],
    "descend": ["descend", "abs(x0)", "--from", "1", "--steps", "1"],
    "plot": ["plot", "log(x)", "-o", "-"],
}

BOLD = "\x1b[1m"
TABLE = ["diff", "0.01*x**2+0.1*x", "--at", "5"]
PLAIN_TABLE = (
    "f = 0.01*x**2+0.1*x\n"
    "df/dx = 0.02*x + 0.1\n"
    "central difference, h = 0.0001\n"
    "at            numerical  analytic  abs err   rel err  est. err  evals\n"
    "─────────────────────────────────────────────────────────────────────\n"
    "x=5  0.1999999999990898       0.2  9.1e-13  4.55e-12  6.29e-12      4\n"
)
#: A terminal as Rich sees one in a test: FORCE_COLOR makes any stream a terminal.
TERMINAL = {"FORCE_COLOR": "1", "TERM": "xterm-256color", "NO_COLOR": ""}


def test_top_level_help_lists_commands_in_learning_order_with_whole_summaries():
    outcome = invoke(["--help"])
    commands = outcome.stdout.split("Commands:\n")[1].split("\n\n")[0].splitlines()
    assert [line.split()[0] for line in commands] == ALL_COMMANDS
    assert list(COMMANDS) == ALL_COMMANDS
    for line, name in zip(commands, ALL_COMMANDS):
        summary = cli.get_command(None, name).get_short_help_str()  # type: ignore[arg-type,union-attr]
        assert line == f"  {name:<7}  {summary}"  # the whole summary, on one line
        assert "..." not in summary


def test_exit_codes_in_the_top_level_help_match_the_errors_module():
    from diffcli import errors

    help_text = " ".join(invoke(["--help"]).stdout.split())
    assert f"{errors.EXIT_EVALUATION} cannot evaluate at a point" in help_text
    assert f"{errors.EXIT_INPUT} bad input" in help_text
    assert f"{errors.EXIT_INTERNAL} internal error" in help_text
    assert invoke(["diff", "log(x)", "--at", "0"]).exit_code == errors.EXIT_EVALUATION
    assert invoke(["diff", "x +", "--at", "0"]).exit_code == errors.EXIT_INPUT


@pytest.mark.parametrize("name", LEARNING_ORDER)
def test_every_command_has_a_summary_help_and_runnable_examples(name):
    outcome = invoke([name, "--help"])
    assert outcome.exit_code == 0, outcome.explain()
    assert outcome.stdout.startswith(f"Usage: diffcli {name} [OPTIONS] EXPRESSION\n")
    description = outcome.stdout.split("\n\n")[1].strip()
    assert len(description) > 20
    examples = outcome.stdout.split("Examples:\n")[1]
    assert examples.count(f"    diffcli {name} ") >= 2
    for option in ("--set", "--color", "-q, --quiet"):
        assert option in outcome.stdout, option
    for option in ("--format", "--precision") if name in REPORTING else ("--dpi", "--size"):
        assert option in outcome.stdout, option


def test_the_same_option_has_the_same_help_in_every_command():
    def help_of(command: str, option: str) -> str:
        params = cli.get_command(None, command).params  # type: ignore[arg-type,union-attr]
        (found,) = [p for p in params if option in getattr(p, "opts", ())]
        return found.help  # type: ignore[attr-defined,no-any-return]

    for option in ("--set", "--color", "--quiet"):
        assert len({help_of(name, option) for name in LEARNING_ORDER}) == 1, option
    for option in ("--format", "--precision", "--no-analytic"):
        assert len({help_of(name, option) for name in REPORTING}) == 1, option
    for option in ("--dpi", "--size"):
        assert len({help_of(name, option) for name in PLOTTING}) == 1, option
    assert len({help_of(name, "--plot") for name in PLOTTING[:-1]}) == 1
    assert help_of("diff", "--wrt") == help_of("sweep", "--wrt")
    assert help_of("grad", "--wrt") == help_of("hessian", "--wrt")


@pytest.mark.parametrize("name", ["diff", "grad", "hessian", "descend"])
def test_dash_h_with_a_value_is_refused_with_a_hint_to_the_step(name):
    start = "--from" if name == "descend" else "--at"
    outcome = invoke([name, "x**2", start, "1", "-h", "1e-3"])
    assert outcome.exit_code == 2, outcome.explain()
    assert outcome.stdout == ""
    assert outcome.stderr == (
        f"error: -h is help; for the step write --h 1e-3 (see 'diffcli {name} --help')\n"
    )


@pytest.mark.parametrize("spelling", [["-h=0.5"], ["-h0.5"], ["-h", "-0.5"]])
def test_dash_h_glued_to_a_value_is_refused_too(spelling):
    outcome = invoke(["diff", "x**2", "--at", "1", *spelling])
    assert outcome.exit_code == 2, outcome.explain()
    assert outcome.stderr.startswith("error: -h is help; for the step write --h ")


def test_dash_h_with_a_value_on_a_command_without_a_step_says_it_takes_none():
    outcome = invoke(["sweep", "x**2", "--at", "1", "-h", "1e-3"])
    assert outcome.exit_code == 2
    assert outcome.stderr == "error: -h is help; it takes no value (see 'diffcli sweep --help')\n"


@pytest.mark.parametrize(
    "args",
    [["-h"], ["--help"], ["x**2", "--at", "1", "-h"], ["x**2", "-h", "--at", "1"]],
)
def test_dash_h_alone_still_prints_help(args):
    outcome = invoke(["diff", *args])
    assert outcome.exit_code == 0, outcome.explain()
    assert outcome.stdout.startswith("Usage: diffcli diff [OPTIONS] EXPRESSION\n")


@pytest.mark.parametrize("name", LEARNING_ORDER)
def test_quiet_silences_warnings_of_every_command(name):
    loud = invoke(WARNING_CALLS[name])
    assert loud.exit_code == 0, loud.explain()
    assert loud.stderr.startswith("warning: "), loud.explain()
    for flag in ("-q", "--quiet"):
        quiet = invoke([*WARNING_CALLS[name], flag])
        assert quiet.exit_code == 0, quiet.explain()
        assert quiet.stderr == ""
        assert quiet.stdout == loud.stdout


def test_quiet_keeps_the_warnings_inside_json():
    outcome = invoke([*WARNING_CALLS["diff"], "--format", "json", "--quiet"])
    assert outcome.stderr == ""
    assert json.loads(outcome.stdout)["warnings"][0].startswith("at x=5 the step h=1e-50 vanished")


def test_quiet_never_silences_errors():
    outcome = invoke(["diff", "log(x)", "--at", "0", "-q"])
    assert outcome.exit_code == 1
    assert outcome.stderr == "error: cannot evaluate log(x) at x=0: log of zero in log(x)\n"
    outcome = invoke(["descend", "x0**2 + x1**2", "--from", "-3,4", "--lr", "10", "-q"])
    assert outcome.exit_code == 1
    assert outcome.stderr.startswith("error: the descent diverged: ")


def test_color_always_writes_escapes_even_into_a_pipe():
    outcome = invoke([*TABLE, "--color", "always"])  # conftest: NO_COLOR=1, TERM=dumb, a pipe
    assert outcome.exit_code == 0
    assert BOLD in outcome.stdout
    assert _without_escapes(outcome.stdout) == PLAIN_TABLE


def test_color_auto_colours_a_terminal_unless_no_color_is_set():
    assert BOLD in invoke(TABLE, env=TERMINAL).stdout
    assert invoke(TABLE, env={**TERMINAL, "NO_COLOR": "1"}).stdout == PLAIN_TABLE
    assert invoke([*TABLE, "--color", "auto"], env={**TERMINAL, "NO_COLOR": "1"}).stdout == (
        PLAIN_TABLE
    )


def test_color_auto_writes_no_escapes_into_a_pipe():
    assert invoke(TABLE, env={"NO_COLOR": "", "TERM": "xterm-256color"}).stdout == PLAIN_TABLE


def test_color_never_writes_no_escapes_on_a_terminal():
    assert invoke([*TABLE, "--color", "never"], env=TERMINAL).stdout == PLAIN_TABLE


def test_color_refuses_an_unknown_choice():
    outcome = invoke([*TABLE, "--color", "sometimes"])
    assert outcome.exit_code == 2
    assert "'sometimes' is not one of 'auto', 'always', 'never'" in outcome.stderr


def test_settings_do_not_leak_from_one_command_to_the_next():
    invoke([*WARNING_CALLS["diff"], "-q", "--color", "always"])
    after = invoke(WARNING_CALLS["diff"])
    assert after.stderr.startswith("warning: ")
    assert BOLD not in after.stdout


def test_grad_wrt_differentiates_by_a_subset_of_the_variables():
    outcome = invoke(["grad", "x*y + sin(y)", "--at", "x=1,y=2", "--wrt", "y", "-f", "json"])
    assert outcome.exit_code == 0, outcome.explain()
    result = json.loads(outcome.stdout)
    assert result["variables"] == ["y"]
    assert list(result["results"][0]["numerical"]) == ["y"]
    everything = json.loads(
        invoke(["grad", "x*y + sin(y)", "--at", "x=1,y=2", "-f", "json"]).stdout
    )
    by_y = everything["results"][0]["numerical"]["y"]
    assert result["results"][0]["numerical"]["y"] == by_y


def test_grad_wrt_is_repeatable_and_keeps_the_expression_order():
    every = invoke(["grad", "a*b*c", "--at", "a=1,b=2,c=3", "-f", "value"])
    args = ["grad", "a*b*c", "--at", "a=1,b=2,c=3", "--wrt", "c", "--wrt", "a", "-f", "value"]
    outcome = invoke(args)
    assert outcome.exit_code == 0, outcome.explain()
    components = every.stdout.splitlines(keepends=True)
    assert outcome.stdout == components[0] + components[2]


def test_grad_wrt_and_set_together():
    args = ["grad", "a*b*c", "--at", "a=1,b=2", "--set", "c=3", "--wrt", "b", "-f", "json"]
    outcome = invoke(args)
    assert outcome.exit_code == 0, outcome.explain()
    assert json.loads(outcome.stdout)["results"][0]["numerical"] == {"b": pytest.approx(3.0)}


def test_hessian_wrt_takes_the_matrix_of_a_subset():
    outcome = invoke(
        [
            "hessian",
            "x*y**2 + z**3",
            "--at",
            "x=1,y=2,z=3",
            "--wrt",
            "x",
            "--wrt",
            "y",
            "-f",
            "json",
        ]
    )
    assert outcome.exit_code == 0, outcome.explain()
    result = json.loads(outcome.stdout)["results"][0]
    assert result["coordinates"] == ["x", "y"]
    assert result["analytic"] == [[0.0, 4.0], [4.0, 2.0]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["grad", "x*y", "--at", "x=1", "--set", "y=2", "--wrt", "y"],
            "error: --wrt 'y': y is held fixed by --set; differentiate by --at\n",
        ),
        (
            ["hessian", "x*y", "--at", "x=1,y=2", "--wrt", "q"],
            "error: cannot differentiate by q: not a variable of the expression "
            "(its variables: x, y)\n",
        ),
        (
            ["grad", "x*y", "--at", "x=1,y=2", "--wrt", "x", "--wrt", "x"],
            "error: x named more than once\n",
        ),
    ],
)
def test_a_bad_wrt_is_one_error_line(args, message):
    outcome = invoke(args)
    assert outcome.exit_code == 2, outcome.explain()
    assert outcome.stderr == message


def test_sweep_set_holds_a_variable_and_picks_the_one_left():
    held = invoke(["sweep", "a*exp(x)", "--at", "x=1", "--set", "a=2", "-f", "json"])
    named = invoke(["sweep", "a*exp(x)", "--at", "x=1,a=2", "--wrt", "x", "-f", "json"])
    assert held.exit_code == 0, held.explain()
    assert json.loads(held.stdout) == json.loads(named.stdout)
    assert json.loads(held.stdout)["rows"][3]["central_error"] < 1e-7


def test_sweep_set_refuses_to_differentiate_by_a_held_variable():
    outcome = invoke(["sweep", "a*exp(x)", "--at", "x=1", "--set", "a=2", "--wrt", "a"])
    assert outcome.exit_code == 2
    assert outcome.stderr == "error: --wrt 'a': a is held fixed by --set; differentiate by --at\n"


def test_bash_completion_script_is_produced():
    outcome = CliRunner().invoke(
        cli, [], prog_name="diffcli", env={"_DIFFCLI_COMPLETE": "bash_source"}
    )
    assert outcome.exit_code == 0
    assert "_diffcli_completion()" in outcome.stdout
    assert "complete -o nosort -F _diffcli_completion diffcli" in outcome.stdout


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_completion_scripts_are_produced(shell):
    env = {"_DIFFCLI_COMPLETE": f"{shell}_source"}
    outcome = CliRunner().invoke(cli, [], prog_name="diffcli", env=env)
    assert outcome.exit_code == 0
    assert "_DIFFCLI_COMPLETE" in outcome.stdout


def test_completion_offers_the_commands_in_learning_order():
    env = {"_DIFFCLI_COMPLETE": "bash_complete", "COMP_WORDS": "diffcli ", "COMP_CWORD": "1"}
    outcome = CliRunner().invoke(cli, [], prog_name="diffcli", env=env)
    assert outcome.exit_code == 0
    assert outcome.stdout.splitlines() == [f"plain,{name}" for name in ALL_COMMANDS]


def test_completion_offers_the_options_of_a_command_and_their_choices():
    env = {"_DIFFCLI_COMPLETE": "bash_complete", "COMP_WORDS": "diffcli diff x --color ",
           "COMP_CWORD": "4"}  # fmt: skip
    outcome = CliRunner().invoke(cli, [], prog_name="diffcli", env=env)
    assert outcome.stdout.splitlines() == ["plain,auto", "plain,always", "plain,never"]


def test_completion_script_from_the_installed_command():
    completed = subprocess.run(
        [sys.executable, "-c", "from diffcli.cli import main; main()"],
        env={"_DIFFCLI_COMPLETE": "bash_source", "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "_DIFFCLI_COMPLETE=bash_complete" in completed.stdout


def _without_escapes(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", text)


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("--x**2", "6.000000000012662"),
        ("---x", "-1.0000000000021103"),
        ("-x**2", "-6.000000000012662"),
    ],
)
def test_an_expression_that_cannot_be_an_option_is_the_expression(expression, value):
    outcome = invoke(["diff", expression, "--at", "3", "-f", "value", "--no-analytic"])
    assert (outcome.exit_code, outcome.stdout, outcome.stderr) == (0, value + "\n", "")


def test_five_thousand_minus_signs_are_refused_as_too_deep_not_as_an_option():
    outcome = invoke(["diff", "-" * 5000 + "x", "--at", "1"])
    assert outcome.exit_code == 2
    assert outcome.stderr.startswith("error: the expression is nested too deeply")
    assert len(outcome.stderr) < 400


def test_an_error_line_never_echoes_a_huge_argument_whole():
    outcome = invoke(["diff", "x", "--at", "1", "--" + "y" * 5000])
    assert outcome.exit_code == 2
    first = outcome.stderr.splitlines()[0]
    assert first.startswith("error: No such option '--yyyy")
    assert len(first) == len("error: ") + 300 and first.endswith("…")


@pytest.mark.parametrize("columns", ["30", "60", "99", "100", "300", "", "0", "wide"])
def test_help_is_as_wide_as_clicks_own_formatter_makes_it(columns, monkeypatch):
    # diffcli's context finds the width without importing shutil; Click's formatter with no
    # width asks shutil: both must give the same width, whatever COLUMNS says
    import click.formatting

    from diffcli.cli import HelpContext, cli

    monkeypatch.setenv("COLUMNS", columns)
    monkeypatch.setattr(click.formatting, "FORCED_WIDTH", None)
    ours = HelpContext(cli, max_content_width=100).make_formatter().width
    clicks = click.formatting.HelpFormatter(max_width=100).width
    assert ours == clicks
