"""The expression language: what it accepts, what it refuses, and how it says so."""

from __future__ import annotations

import math

import pytest

from diffcli.errors import DiffcliError, ParseError
from diffcli.expr.nodes import Binary, Call, Constant, Index, Number, Unary, Variable
from diffcli.expr.parsing import MAX_DEPTH, MAX_LENGTH, natural_key, parse


def test_tree_keeps_the_order_typed():
    tree = parse("0.01*x**2+0.1*x").tree
    assert tree == Binary(
        "+",
        Binary("*", Number(0.01), Binary("**", Variable("x"), Number(2.0, True))),
        Binary("*", Number(0.1), Variable("x")),
    )


def test_caret_means_power_with_power_precedence():
    assert parse("x^2+1").tree == parse("x**2+1").tree
    assert parse("-x^2").tree == Unary("-", Binary("**", Variable("x"), Number(2.0, True)))


@pytest.mark.parametrize("text", ["1", "2.5", ".5", "1e-4", "6.02E23", "1_000"])
def test_numbers(text):
    node = parse(text).tree
    assert isinstance(node, Number)
    assert node.value == float(text)


def test_constants_and_functions():
    tree = parse("sin(pi) + e").tree
    assert tree == Binary("+", Call("sin", (Constant("pi"),)), Constant("e"))


@pytest.mark.parametrize(
    "name",
    [
        "sin",
        "cos",
        "tan",
        "asin",
        "acos",
        "atan",
        "sinh",
        "cosh",
        "tanh",
        "asinh",
        "acosh",
        "atanh",
        "exp",
        "log",
        "ln",
        "log2",
        "log10",
        "sqrt",
        "abs",
        "sigmoid",
    ],
)
def test_every_documented_function_parses(name):
    assert parse(f"{name}(x)").tree == Call(name, (Variable("x"),))


def test_indexed_variables():
    expression = parse("x[0]**2 + x[1]**2 + W[1][2] + W[0, 1] + w_11")
    assert expression.variables == ("W", "w_11", "x")
    assert expression.indexed == {"x": 1, "W": 2}
    assert Index("W", (1, 2)) in [parse("W[1][2]").tree]


def test_variables_in_natural_order():
    assert parse("x10 + x2 + x1 + x0").variables == ("x0", "x1", "x2", "x10")
    assert sorted(["x10", "x9", "x1"], key=natural_key) == ["x1", "x9", "x10"]


def test_spans_point_into_the_original_text():
    expression = parse("  x^2 + sin(y)")
    call = expression.tree.right  # type: ignore[attr-defined]
    assert expression.source(call) == "sin(y)"
    assert expression.source(expression.tree.left) == "x^2"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("sni(x)", "unknown function 'sni'; did you mean 'sin'?", 0),
        ("x + lg(x)", "unknown function 'lg'; did you mean 'log'?", 4),
        ("x % 2", "operator '%' is not supported", 2),
        ("x // 2", "operator '//' is not supported", 2),
        ("_x + 1", "names may not start with an underscore", 0),
        ("x._y", "attribute access (.) is not allowed", 0),
        ("sin", "sin is a function: call it as sin(...)", 0),
        ("x +", "the expression ends after '+'", 2),
        ("2x", "write multiplication explicitly", 0),
        ("1j * x", "complex number literal is not allowed", 0),
        ("True + x", "bool literal is not allowed", 0),
        ("1e400 * x", "number literal overflows a double (the largest is 1.8e+308)", 0),
        ("sqrt(x, 2)", "sqrt() takes 1 argument, got 2", 0),
        ("sin(x, axis=0)", "sin() takes no keyword 'axis='", 7),
        ("x[1.5]", "an index must be a whole number", 2),
        ("x[0:2]", "an index must be a whole number", 2),
        ("(x+1)[0]", "only variables can be indexed", 1),
        ("pi[0]", "pi cannot be indexed", 0),
        ("x ≤ 1", "unexpected character '≤'", 2),
        ("", "the expression is empty", 0),
        ("   ", "the expression is empty", 0),
        ("[x, 1]", "a list is not allowed", 0),
        ("x, y", "a tuple is not allowed", 0),
        ("(lambda: 1)()", "only named functions can be called", 1),
        ("not x", "operator 'not' is not supported", 0),
        ("x == 1", "comparison is not allowed", 0),
        ("x = 1", "syntax error", 2),
        ("f'{x}'", "f-string is not allowed", 0),
    ],
)
def test_refusals_say_what_and_where(text, message, column):
    with pytest.raises(ParseError) as caught:
        parse(text)
    assert message in caught.value.message
    assert caught.value.column == column


def test_rendered_error_has_a_caret_under_the_column():
    with pytest.raises(ParseError) as caught:
        parse("x + y % 2")
    assert caught.value.render() == (
        "operator '%' is not supported (column 7)\n  x + y % 2\n        ^"
    )


def test_an_error_in_a_long_expression_shows_a_short_excerpt_around_the_caret():
    # before: the whole expression, up to 10,000 characters, was printed above the caret
    with pytest.raises(ParseError) as caught:
        parse("x+" * 100 + "y $ 2" + "+x" * 100)
    assert caught.value.render() == (
        "syntax error: unexpected '$' (column 203)\n"
        "  ..." + "+x" * 16 + "+y $ 2" + "+x" * 16 + "...\n"
        "  " + " " * 38 + "^"
    )
    with pytest.raises(ParseError) as caught:
        parse("(" * 300 + "x" + ")" * 300)
    _, excerpt, caret = caught.value.render().split("\n")
    assert (excerpt, caret) == ("  ..." + "(" * 70 + "...", "  " + " " * 38 + "^")


def test_limits():
    with pytest.raises(ParseError, match="characters long; the limit is"):
        parse("x+" * MAX_LENGTH + "x")
    with pytest.raises(ParseError, match=r"nested too deeply|too many nested parentheses"):
        parse("(" * 300 + "x" + ")" * 300)
    with pytest.raises(ParseError, match="nested too deeply"):
        parse("-" * (MAX_DEPTH + 5) + "x")
    with pytest.raises(ParseError, match="nested too deeply"):
        parse("+".join(["x"] * 3000))
    with pytest.raises(ParseError):
        parse("1" * 5000)
    assert parse("-" * (MAX_DEPTH - 5) + "x").variables == ("x",)


def test_newlines_and_tabs_are_spaces():
    assert parse("x\n+\t1").tree == parse("x + 1").tree


def test_number_values_are_float64():
    node = parse("0.1").tree
    assert isinstance(node, Number)
    assert node.value == 0.1
    assert math.isclose(parse("10**2").tree.right.value, 2.0)  # type: ignore[attr-defined]


def test_every_parse_error_is_a_diffcli_error_with_exit_code_2():
    with pytest.raises(DiffcliError) as caught:
        parse("x +* 2 )")
    assert caught.value.exit_code == 2
