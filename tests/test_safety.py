"""Nothing a user types is evaluated: hostile input is refused, arbitrary input never crashes."""

from __future__ import annotations

import ast
import pathlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diffcli.errors import DiffcliError
from diffcli.expr.parsing import parse
from diffcli.expr.points import read_bindings
from tests.conftest import invoke

SOURCE = pathlib.Path(__file__).resolve().parents[1] / "src" / "diffcli"
FORBIDDEN_NAMES = {"eval", "exec", "compile", "sympify", "parse_expr", "lambdify", "S"}
FORBIDDEN_ATTRIBUTES = {"eval", "exec", "sympify", "parse_expr", "lambdify", "literal_eval", "S"}

HOSTILE = [
    "__import__('os').system('touch /tmp/diffcli-pwned')",
    "().__class__.__bases__[0].__subclasses__()",
    "x.__class__",
    "exec('1')",
    "eval('1')",
    "open('/etc/passwd')",
    "getattr(x, 'real')",
    "lambda: 0",
    "[c for c in ()]",
    "globals()",
    "Symbol('x')",
    "sympify('x')",
    "x if 1 else 2",
    "breakpoint()",
]


def test_source_never_calls_an_evaluator():
    offenders = []
    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                function = node.func
                if (isinstance(function, ast.Name) and function.id in FORBIDDEN_NAMES) or (
                    isinstance(function, ast.Attribute) and function.attr in FORBIDDEN_ATTRIBUTES
                ):
                    offenders.append(f"{path.name}:{node.lineno} {ast.unparse(function)}")
    assert offenders == []


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_expressions_are_refused_with_exit_2(text):
    outcome = invoke(["diff", text, "--at", "1"])
    assert outcome.exit_code == 2, outcome.explain()
    assert outcome.stderr.startswith("error: ")
    assert not pathlib.Path("/tmp/diffcli-pwned").exists()


@pytest.mark.parametrize("text", ["__import__('os')", "x.real", "[1, 2].pop()", "(1).__class__"])
def test_hostile_point_values_are_refused(text):
    outcome = invoke(["diff", "x", "--at", text])
    assert outcome.exit_code == 2, outcome.explain()
    assert "is not a number" in outcome.stderr or "cannot read the list" in outcome.stderr


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="ascii"), max_size=40))
def test_arbitrary_text_either_parses_or_raises_a_diffcli_error(text):
    try:
        parse(text)
    except DiffcliError as error:
        assert error.exit_code == 2
        assert error.render()


ATOMS = st.sampled_from(["x", "y", "1", "2.5", "pi", "e", "x[0]", "0", "-1"])
OPERATORS = st.sampled_from(["+", "-", "*", "/", "**", "^", "@", "%", ",", "(", ")", "[", "]"])
FUNCTIONS = st.sampled_from(["sin", "log", "sqrt", "sum", "abs", "exp", "sni", "_x"])


@st.composite
def expression_like(draw: st.DrawFn) -> str:
    pieces = draw(
        st.lists(st.one_of(ATOMS, OPERATORS, FUNCTIONS.map(lambda f: f + "(")), max_size=12)
    )
    return " ".join(pieces)


@settings(max_examples=300, deadline=None)
@given(expression_like(), st.sampled_from(["1", "3,4", "x=2,y=3", "x=[1,2],y=0", "0"]))
def test_cli_never_crashes_on_near_miss_expressions(text, point):
    outcome = invoke(["diff", text, "--at", point, "--no-analytic"])
    assert outcome.exit_code in (0, 1, 2), outcome.explain()
    assert "Traceback" not in outcome.stderr
    assert "internal error" not in outcome.stderr
    if outcome.exit_code == 2:
        assert outcome.stderr.startswith("error: ")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789.,=[]-+xyzW e", max_size=30))
def test_point_reader_never_crashes(text):
    try:
        read_bindings(text)
    except DiffcliError as error:
        assert error.exit_code == 2
