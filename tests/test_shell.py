"""``diffcli shell``: the same commands in one process, names, ``ans``, batch and terminal modes."""

from __future__ import annotations

import os
import pathlib
import re
import shlex
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from prompt_toolkit.document import Document

from diffcli.cli import cli
from diffcli.errors import InputError, ParseError
from diffcli.expr.nodes import Binary, Call, Node, Unary, Variable
from diffcli.expr.parsing import parse
from diffcli.shell.editing import BoundedFileHistory, ShellCompleter
from diffcli.shell.names import Namespace
from diffcli.shell.session import SHELL_WORDS, Session
from tests.conftest import Run, invoke

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"
ENVIRONMENT = {"COLUMNS": "80", "NO_COLOR": "1", "TERM": "dumb"}


def shell(lines: str, *options: str) -> Run:
    """``diffcli shell OPTIONS`` with ``lines`` on standard input (batch mode), in-process."""
    result = CliRunner().invoke(
        cli, ["shell", *options], input=lines, env=ENVIRONMENT, catch_exceptions=False
    )
    return Run(result.exit_code, result.stdout, result.stderr)


# -- the same language ---------------------------------------------------------------------

#: Commands as a separate process gets them: successes, warnings, each kind of failure.
COMMANDS = [
    ["diff", "0.01*x**2+0.1*x", "--at", "5", "--at", "10"],
    ["diff", "sin(x)", "--at", "pi/4", "--format", "json"],
    ["diff", "-x**2", "--at", "1", "--method", "all", "--no-analytic"],
    ["diff", "abs(x)", "--at", "0"],
    ["diff", "x +", "--at", "1"],
    ["diff", "log(x)", "--at", "0"],
    ["diff", "x**2", "--at", "1", "--h", "0"],
    ["diff", "x**2", "-h", "1e-3", "--at", "1"],
    ["dif", "x**2", "--at", "1"],
    ["sweep", "sin(x)", "--at", "1", "--format", "csv"],
    ["grad", "x0**2 + x1**2", "--at", "3,4", "--at", "0,2"],
    ["grad", "x*y + sin(y)", "--at", "x=1,y=2", "--wrt", "y", "--format", "value"],
    ["hessian", "x0**2*x1 + sin(x1)", "--at", "1.5,0.5"],
    ["descend", "x0**2 + x1**2", "--from", "-3,4", "--lr", "0.1", "--trace", "25"],
    ["descend", "x**2", "--from", "1", "--lr", "1.5", "--steps", "100"],
    ["grad", "--help"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(args) for args in COMMANDS])
def test_a_line_prints_and_exits_as_the_separate_command(args):
    alone = invoke(args)
    in_shell = shell(shlex.join(args) + "\n")
    assert in_shell.stdout == alone.stdout, in_shell.explain()
    stopped = "error: stopped at line 1; --keep-going runs every line\n" if alone.exit_code else ""
    assert in_shell.stderr == alone.stderr + stopped, in_shell.explain()
    assert in_shell.exit_code == alone.exit_code


def test_a_whole_session_prints_what_the_commands_print_one_by_one():
    alone = [invoke(args) for args in COMMANDS]
    lines = "".join(shlex.join(args) + "\n" for args in COMMANDS)
    in_shell = shell(lines, "--keep-going")
    assert in_shell.stdout == "".join(run.stdout for run in alone)
    assert in_shell.stderr == "".join(run.stderr for run in alone)
    assert in_shell.exit_code == max(run.exit_code for run in alone) == 2


def test_an_unquoted_expression_is_the_words_up_to_the_first_option():
    assert shell("diff x**2 --at 3\n").stdout == invoke(["diff", "x**2", "--at", "3"]).stdout
    spaced = shell("grad x0**2 + x1**2 --at 3,4 -f value\n")
    assert spaced.stdout == invoke(["grad", "x0**2 + x1**2", "--at", "3,4", "-f", "value"]).stdout
    refused = invoke(["diff", "x**2", "--at", "3", "--bogus"]).stderr
    assert refused.startswith("error: No such option '--bogus'")
    assert shell("diff x**2 --at 3 --bogus\n").stderr.startswith(refused)


# -- names ---------------------------------------------------------------------------------


def namespace(**definitions: str) -> Namespace:
    names = Namespace(reserved=("diff", "grad", *SHELL_WORDS))
    for name, text in definitions.items():
        names.define(name, text)
    return names


@pytest.mark.parametrize(
    ("typed", "expanded"),
    [
        ("f", "0.01*x**2 + 0.1*x"),
        ("f + sin(x)", "0.01*x**2 + 0.1*x + sin(x)"),
        ("sin(x) + f", "sin(x) + (0.01*x**2 + 0.1*x)"),
        ("2*f", "2*(0.01*x**2 + 0.1*x)"),
        ("1 - f", "1 - (0.01*x**2 + 0.1*x)"),
        ("f/f", "(0.01*x**2 + 0.1*x)/(0.01*x**2 + 0.1*x)"),
        ("-f", "-(0.01*x**2 + 0.1*x)"),
        ("-m", "-(-x)"),
        ("2**m", "2**-x"),
        ("m**2", "(-x)**2"),
        ("p**2", "(x**3)**2"),
        ("2**p", "2**x**3"),
        ("exp(f)*y^2", "exp(0.01*x**2 + 0.1*x)*y^2"),
        ("sum(p*W, axis=0)", "sum(x**3*W, axis=0)"),
        ("y", "y"),
    ],
)
def test_a_name_is_put_in_as_a_parenthesised_subtree(typed, expanded):
    names = namespace(f="0.01*x**2 + 0.1*x", m="-x", p="x**3")
    assert names.expand(parse(typed)).text == expanded
    assert names.expand(parse(typed)).tree == parse(expanded).tree


#: Small expressions over x, y and the names f, g: every operator, a sign, a call.
LEAVES = st.sampled_from(["x", "y", "f", "g", "2", "0.5", "pi"])


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(children, st.sampled_from(["+", "-", "*", "/", "**"]), children)
    return st.one_of(
        binary.map(lambda parts: f"({parts[0]}){parts[1]}({parts[2]})"),
        children.map(lambda text: f"-({text})"),
        children.map(lambda text: f"sin({text})"),
    )


EXPRESSIONS = st.recursive(LEAVES, _combine, max_leaves=8)


def substituted(node: Node, definitions: dict[str, Node]) -> Node:
    """The reference: the definitions put into the tree directly, node by node."""
    if isinstance(node, Variable) and node.name in definitions:
        return definitions[node.name]
    if isinstance(node, Unary):
        return Unary(node.op, substituted(node.operand, definitions))
    if isinstance(node, Binary):
        return Binary(
            node.op, substituted(node.left, definitions), substituted(node.right, definitions)
        )
    if isinstance(node, Call):
        args = tuple(substituted(arg, definitions) for arg in node.args)
        return Call(node.name, args, node.axis)
    return node


@settings(max_examples=150, deadline=None, derandomize=True)
@given(f=EXPRESSIONS.filter(lambda t: "f" not in t and "g" not in t), typed=EXPRESSIONS)
def test_expansion_is_substitution_in_the_tree(f, typed):
    names = namespace(f=f, g="x - y")
    definitions = {"f": parse(f).tree, "g": parse("x - y").tree}
    assert names.expand(parse(typed)).tree == substituted(parse(typed).tree, definitions)


def test_a_definition_holds_the_names_it_used_as_they_were():
    names = namespace(f="x**2", g="f + 1")
    names.define("f", "f*3")
    assert {name: str(e) for name, e in names.definitions.items()} == {
        "f": "x**2*3",
        "g": "x**2 + 1",
    }


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("sin", "x", "sin is a built-in function; choose another name"),
        ("pi", "3", "pi is a constant; choose another name"),
        ("diff", "x", "diff is a command; choose another name"),
        ("ans", "x", "ans is the last result's value; choose another name"),
        ("x", "3", "x is a variable of f = x**2; choose another name"),
        ("h", "h + 1", "h cannot be defined in terms of itself: h = h + 1"),
        ("_h", "1", "'_h' is not a name: use letters, digits and _, e.g. f or g2"),
    ],
)
def test_a_name_that_would_change_a_meaning_is_refused(name, text, message):
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        namespace(f="x**2").define(name, text)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("f[0] + 1", "f names an expression; it cannot be indexed"),
        (
            "ans*x",
            "ans is the last result, a point: use it as --at ans, --from ans or --set NAME=ans, "
            "not in an expression",
        ),
    ],
)
def test_what_an_expression_cannot_do_with_names(typed, message):
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        namespace(f="x**2").expand(parse(typed))


def test_a_bad_definition_reports_the_parser_s_caret():
    with pytest.raises(ParseError) as raised:
        namespace().define("f", "x +* 2")
    assert raised.value.render().endswith("\n  x +* 2\n     ^")
    outcome = shell("f = sin(\n")
    assert outcome.stderr.startswith("error: syntax error")
    assert outcome.stderr.splitlines()[1:3] == ["  sin(", "     ^"]
    assert outcome.exit_code == 2


def test_names_are_used_by_every_command_and_listed():
    lines = "f = 0.01*x**2 + 0.1*x\ndiff f --at 5\ngrad f * y --at 1,2 -f json\nnames\n"
    outcome = shell(lines)
    assert outcome.exit_code == 0, outcome.explain()
    expected = (
        invoke(["diff", "0.01*x**2 + 0.1*x", "--at", "5"]).stdout
        + invoke(["grad", "(0.01*x**2 + 0.1*x)*y", "--at", "1,2", "-f", "json"]).stdout
        + "f = 0.01*x**2 + 0.1*x\n"
        + "ans = x=0.23999999999996247,y=0.11000000000011001\n"
    )
    assert outcome.stdout == expected


def test_a_name_in_show_is_put_in_too():
    lines = "s = x @ W\ngrad sum(s) --at W=[[1,2],[3,4]] --set x=[1,1] --show s --no-analytic\n"
    alone = ["grad", "sum(x @ W)", "--at", "W=[[1,2],[3,4]]", "--set", "x=[1,1]", "--show"]
    assert shell(lines).stdout == invoke([*alone, "x @ W", "--no-analytic"]).stdout


# -- ans -----------------------------------------------------------------------------------


def test_ans_is_the_last_result_and_stands_for_a_point():
    lines = (
        "diff x**2 --at 3 -f value\n"
        "ans\n"
        "grad x0**2 + x1**2 --at 3,4 -f value\n"
        "ans\n"
        "descend x0**2 + x1**2 --from ans --lr 0.1 --steps 3 -f value --no-analytic\n"
        "ans\n"
        "grad x0*x1 --at ans --no-analytic -f value\n"
        "grad sum(W**3) --at W=[[1,2],[3,4]] --no-analytic -f value\n"
        "grad sum(W*T) --at W=[[1,1],[1,1]] --set T=ans --no-analytic -f value\n"
        "hessian x0**2*x1 --at 1,2 --no-analytic -f value\n"
        "ans\n"
    )
    outcome = shell(lines)
    assert outcome.exit_code == 0, outcome.explain()
    gradient = "x0=6.00000000000378,x1=7.999999999999119"
    final = invoke(
        [
            "descend",
            "x0**2 + x1**2",
            "--from",
            gradient,
            "--lr",
            "0.1",
            "--steps",
            "3",
            "-f",
            "value",
        ]
    ).stdout
    final_point = "x0={},x1={}".format(*final.split())
    cubes = invoke(["grad", "sum(W**3)", "--at", "W=[[1,2],[3,4]]", "-f", "value"]).stdout
    held = "T=[[{}, {}], [{}, {}]]".format(*cubes.split())
    hessian = invoke(["hessian", "x0**2*x1", "--at", "1,2", "-f", "value"]).stdout
    assert outcome.stdout == (
        "6.000000000012662\n"
        "6.000000000012662\n"
        + invoke(["grad", "x0**2 + x1**2", "--at", "3,4", "-f", "value"]).stdout
        + gradient
        + "\n"
        + final
        + final_point
        + "\n"
        + invoke(["grad", "x0*x1", "--at", final_point, "-f", "value"]).stdout
        + cubes
        + invoke(
            ["grad", "sum(W*T)", "--at", "W=[[1,1],[1,1]]", "--set", held, "-f", "value"]
        ).stdout
        + hessian
        + "[[{}, {}], [{}, {}]]\n".format(*hessian.split())
    )


def test_ans_as_the_value_of_one_name():
    outcome = shell("diff x**2 --at 3 -f value\ndiff x**3 --at x=ans --no-analytic -f value\n")
    alone = invoke(["diff", "x**3", "--at", "x=6.000000000012662", "--no-analytic", "-f", "value"])
    assert outcome.stdout == "6.000000000012662\n" + alone.stdout


def test_ans_before_any_result_and_ans_of_a_point_used_as_one_value():
    outcome = shell("ans\n")
    assert outcome.stderr == (
        "error: ans has no value yet: it is the last result of diff, grad, hessian or descend\n"
        "error: stopped at line 1; --keep-going runs every line\n"
    )
    outcome = shell("grad x*y --at 1,2 -q -f value\ndiff x*t --at 1 --set t=ans\n")
    assert outcome.stderr.splitlines()[0] == "error: t=ans: ans is a point (x, y); write --at ans"
    assert outcome.exit_code == 2


def test_a_failed_command_leaves_ans_as_it_was():
    outcome = shell("diff x**2 --at 3 -f value\ndiff log(x) --at 0\nans\n", "--keep-going")
    assert outcome.stdout.splitlines()[-1] == "6.000000000012662"
    assert outcome.exit_code == 1


# -- batch mode ----------------------------------------------------------------------------

BATCH = """\
# a comment, then a blank line

diff x**2 --at 3 -f value
diff x + --at 1
diff log(x) --at 0
diff x**3 --at 1 -f value   # after the errors
"""


def test_batch_mode_stops_at_the_first_failing_line():
    outcome = shell(BATCH)
    assert outcome.stdout == "6.000000000012662\n"
    assert outcome.stderr.endswith("error: stopped at line 4; --keep-going runs every line\n")
    assert outcome.exit_code == 2


def test_keep_going_runs_every_line_and_exits_with_the_worst_code():
    outcome = shell(BATCH, "--keep-going")
    assert outcome.stdout == "6.000000000012662\n3.0000000099994484\n"
    failures = [invoke(["diff", "x +", "--at", "1"]), invoke(["diff", "log(x)", "--at", "0"])]
    assert outcome.stderr == "".join(failure.stderr for failure in failures)
    assert outcome.exit_code == 2
    assert shell("diff log(x) --at 0\ndiff x --at 1 -f value\n", "--keep-going").exit_code == 1


def test_exit_ends_a_batch_and_the_shell_line_words_are_checked():
    assert shell("diff x --at 1 -f value\nexit\ndiff x + --at 1\n").exit_code == 0
    outcome = shell("shell\n")
    assert outcome.stderr.startswith("error: this is the shell already")
    assert shell("names f\n").stderr.startswith("error: names takes nothing after it")
    assert shell('diff "x --at 1\n').stderr.startswith(
        "error: cannot split the line into words: no closing quotation"
    )
    assert shell("help\n").stdout.startswith("Type a diffcli command without 'diffcli'")


def test_batch_mode_reads_a_real_standard_input(tmp_path):
    lines = tmp_path / "lines.txt"
    lines.write_text("g = x0**2 + x1**2\ngrad g --at 3,4 -f value --no-analytic\ndiff g --at 1\n")
    with lines.open() as stdin:
        completed = subprocess.run(
            [sys.executable, "-m", "diffcli", "shell"],
            stdin=stdin,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, **ENVIRONMENT},
        )
    assert completed.stdout == "6.00000000000378\n7.999999999999119\n"
    assert completed.stderr.startswith("error: --at '1' gives 1 value for the variables x0, x1")
    assert completed.returncode == 2


# -- the README's session ------------------------------------------------------------------


def readme_session() -> tuple[str, str, str]:
    """(lines typed, stdout, stderr) of the README's "Interactive shell" transcript."""
    section = README.read_text().split("\n## Interactive shell")[1].split("\n## ")[0]
    (block,) = re.findall(r"```text\n(diffcli> .*?)```", section, re.DOTALL)
    typed, stdout, stderr = [], [], []
    for line in block.splitlines():
        if line.startswith("diffcli> "):
            typed.append(line.removeprefix("diffcli> ") + "\n")
        elif line.startswith("error:"):
            stderr.append(line + "\n")
        else:
            stdout.append(line + "\n")
    return "".join(typed), "".join(stdout), "".join(stderr)


def test_the_readme_session_is_real():
    typed, stdout, stderr = readme_session()
    outcome = shell(typed, "--keep-going")
    assert outcome.stdout == stdout, outcome.explain()
    assert outcome.stderr == stderr, outcome.explain()


# -- line editing --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "offered"),
    [
        ("gr", ["grad", "graph"]),
        ("n", ["names"]),
        ("diff x --me", ["--method"]),
        ("diff x --method ri", ["richardson"]),
        ("diff x --format ", ["table", "json", "jsonl", "csv", "tsv", "value"]),
        ("diff x --at a", ["ans"]),
        ("diff 2*si", ["sigmoid", "sin", "sinh"]),
        ("diff fo", ["force"]),
        ("g = 3*fo", ["force"]),
    ],
)
def test_tab_completes_commands_options_choices_functions_and_names(typed, offered):
    session = Session()
    session.run("force = x**2")
    completions = ShellCompleter(session).get_completions(Document(typed), None)  # type: ignore[arg-type]
    assert [completion.text for completion in completions] == offered


def test_the_history_file_keeps_the_last_lines(tmp_path):
    path = tmp_path / "deep" / "history"
    history = BoundedFileHistory(path, limit=3)
    for number in range(5):
        history.store_string(f"diff x**{number} --at 1")
    assert list(BoundedFileHistory(path, limit=3).load_history_strings()) == [
        "diff x**4 --at 1",
        "diff x**3 --at 1",
        "diff x**2 --at 1",
    ]
    assert path.read_text().splitlines() == [f"diff x**{n} --at 1" for n in (2, 3, 4)]
    unwritable = BoundedFileHistory(path / "not-a-directory" / "history")
    unwritable.store_string("diff x --at 1")  # a history that cannot be kept never fails
    assert list(unwritable.load_history_strings()) == []


# -- a terminal ----------------------------------------------------------------------------

pexpect = pytest.importorskip("pexpect")


def terminal_shell(data_home: pathlib.Path) -> pexpect.spawn:
    """``diffcli shell`` on a pseudo-terminal, its history kept under ``data_home``."""
    environment = {
        **os.environ,
        "XDG_DATA_HOME": str(data_home),
        "PROMPT_TOOLKIT_NO_CPR": "1",  # no cursor-position requests a test would have to answer
        "TERM": "xterm",
        "NO_COLOR": "1",
    }
    child = pexpect.spawn(
        sys.executable,
        ["-m", "diffcli", "shell"],
        env=environment,
        encoding="utf-8",
        timeout=30,
        dimensions=(24, 100),
    )
    child.expect("or Ctrl-D")
    child.expect("diffcli>")
    return child


def test_a_terminal_recalls_history_completes_and_leaves_with_ctrl_d(tmp_path):
    child = terminal_shell(tmp_path)
    child.send("diff x**2 --at 3 --no-analytic --format val")
    time.sleep(0.3)
    child.send("\t")  # completion runs apart from the keys: wait for the word it completes
    child.expect("ue")
    child.send("\r")
    child.expect("6.000000000012662")
    child.send("\x1b[A\r")  # up: the line again
    child.expect("6.000000000012662")
    child.send("diff x + --at 1\r")  # a mistake: its message and caret, then the prompt
    child.expect("error: syntax error: the expression ends after '\\+' \\(column 3\\)")
    child.expect("diffcli>")
    child.send("\x04")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    history = (tmp_path / "diffcli" / "shell_history").read_text().splitlines()
    # a repeated line is kept once
    assert history == ["diff x**2 --at 3 --no-analytic --format value", "diff x + --at 1"]

    again = terminal_shell(tmp_path)  # a new run recalls the last one's lines
    time.sleep(0.3)
    again.send("\x1b[A\x1b[A\r")
    again.expect("6.000000000012662")
    again.send("exit\r")
    again.expect(pexpect.EOF)
    again.close()
    assert again.exitstatus == 0


@pytest.mark.parametrize(
    "long_line",
    [
        "descend x0**2+x1**2 --from 1,1 --lr 1e-9 --steps 100000000 --no-analytic",
        # SymPy's sixth derivative of five nested sigmoids takes minutes
        "diff sigmoid(sigmoid(sigmoid(sigmoid(sigmoid(x))))) --order 6 --at 1 --analytic-timeout 0",
    ],
    ids=["descent", "sympy"],
)
def test_ctrl_c_stops_a_long_computation_and_returns_to_the_prompt(tmp_path, long_line):
    child = terminal_shell(tmp_path)
    child.send("diff x**2 --at 3 --format value\r")  # SymPy and NumPy imported first
    child.expect("6.000000000012662")
    child.expect("diffcli>")
    child.send(long_line + "\r")
    time.sleep(1.0)
    interrupted = time.monotonic()
    child.send("\x03")
    child.expect("interrupted", timeout=1)
    assert time.monotonic() - interrupted < 1.0
    child.send("diff x**3 --at 1 --no-analytic --format value\r")
    child.expect("3.0000000099994484")
    child.send("exit\r")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
