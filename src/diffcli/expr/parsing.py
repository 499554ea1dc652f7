"""Text to a validated expression tree: Python's ``ast`` against a whitelist; nothing evaluated."""

from __future__ import annotations

import ast
import math
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType

from ..errors import ParseError
from .functions import CONSTANTS, FUNCTIONS
from .nodes import Binary, Call, Constant, Index, Node, Number, Span, Unary, Variable, walk

MAX_LENGTH = 10_000
MAX_DEPTH = 200
MAX_NUMBER_LENGTH = 400

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_BINARY_OPERATORS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
    ast.MatMult: "@",
}
_UNSUPPORTED_OPERATORS: dict[type[ast.operator], str] = {
    ast.Mod: "%",
    ast.FloorDiv: "//",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitAnd: "&",
}
_NODE_DESCRIPTIONS: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access (.)",
    ast.Compare: "comparison",
    ast.BoolOp: "'and'/'or'",
    ast.IfExp: "'if' expression",
    ast.Lambda: "lambda",
    ast.Starred: "'*' unpacking",
    ast.Tuple: "a tuple",
    ast.List: "a list",
    ast.Dict: "a dict",
    ast.Set: "a set",
    ast.ListComp: "a comprehension",
    ast.GeneratorExp: "a generator",
    ast.JoinedStr: "an f-string",
    ast.NamedExpr: "':='",
    ast.Await: "'await'",
    ast.Yield: "'yield'",
    ast.Slice: "a slice",
}


def natural_key(name: str) -> tuple[tuple[int, str | int], ...]:
    """Sort key putting ``x2`` before ``x10``."""
    return tuple(
        (1, int(part)) if part.isdigit() else (0, part) for part in re.split(r"(\d+)", name) if part
    )


@dataclass(frozen=True)
class Expression:
    """A parsed, validated expression: the text as typed, its tree and its free variables."""

    text: str
    tree: Node

    @cached_property
    def variables(self) -> tuple[str, ...]:
        """Free variable names in natural order (``x0, x1, …, x10``), found once."""
        names = {node.name for node in walk(self.tree) if isinstance(node, (Variable, Index))}
        return tuple(sorted(names, key=natural_key))

    @cached_property
    def indexed(self) -> Mapping[str, int]:
        """Variables used with an index, mapped to the number of indices they take (found
        once, read-only)."""
        found: dict[str, int] = {}
        for node in walk(self.tree):
            if isinstance(node, Index):
                found[node.name] = len(node.indices)
        return MappingProxyType(found)

    def source(self, node: Node) -> str:
        """The text the user typed for a node."""
        start, end = node.span
        return self.text[start:end]

    def __str__(self) -> str:
        return self.text


def parse(text: str) -> Expression:
    """Parse an expression, refusing anything outside the language.

    Raises:
        ParseError: with the column of the first problem.
    """
    original = text
    _check_characters(original)
    stripped = original.strip()
    if not stripped:
        raise ParseError("the expression is empty", original, 0)
    source, origin = _translate_caret_power(original)
    lead = len(source) - len(source.lstrip())
    try:
        module = ast.parse(source.strip(), mode="eval")
    except SyntaxError as error:
        if error.msg == "invalid syntax" and stripped[-1] in "+-*/^@,(":
            column = len(original.rstrip()) - 1
            raise ParseError(
                f"syntax error: the expression ends after {stripped[-1]!r}", original, column
            ) from None
        column = origin[min(lead + max((error.offset or 1) - 1, 0), len(origin) - 1)]
        raise ParseError(_syntax_message(error, original, column), original, column) from None
    except (RecursionError, MemoryError):
        raise ParseError(
            f"the expression is nested too deeply (at most {MAX_DEPTH} levels)", original, 0
        ) from None
    except ValueError as error:  # e.g. integer literals past Python's digit limit
        raise ParseError(f"cannot read the expression: {error}", original, 0) from None
    builder = _TreeBuilder(original, origin, lead)
    tree = builder.build(module.body, 1)
    return Expression(original, tree)


def _check_characters(text: str) -> None:
    if len(text) > MAX_LENGTH:
        raise ParseError(
            f"the expression is {len(text)} characters long; the limit is {MAX_LENGTH}", "", None
        )
    for column, character in enumerate(text):
        if character in "\t\n\r":
            continue
        if not character.isascii() or not character.isprintable():
            raise ParseError(
                f"unexpected character {character!r}; expressions use ASCII letters, digits "
                "and + - * / ** ^ @ ( ) [ ] ,",
                text.replace("\t", " ").replace("\n", " ").replace("\r", " "),
                column,
            )


def _translate_caret_power(text: str) -> tuple[str, list[int]]:
    """Turn ``^`` into ``**`` and map every column of the result back to the original text."""
    pieces: list[str] = []
    origin: list[int] = []
    for column, character in enumerate(text):
        if character == "^":
            pieces.append("**")
            origin.extend((column, column))
        else:
            pieces.append(" " if character in "\t\n\r" else character)
            origin.append(column)
    origin.append(len(text))
    return "".join(pieces), origin


def _syntax_message(error: SyntaxError, text: str, column: int) -> str:
    message = (error.msg or "invalid syntax").removeprefix("invalid syntax. ")
    implicit = re.search(r"(\d)\s*([A-Za-z(])", text[max(column - 2, 0) :])
    if implicit and ("decimal literal" in message or message == "invalid syntax"):
        return f"syntax error: {message}; write multiplication explicitly, e.g. 2*x not 2x"
    if message == "invalid syntax" and column < len(text):
        called = re.search(r"\b([A-Za-z][A-Za-z0-9_]*)\s+\Z", text[:column])
        argument = re.match(r"[A-Za-z0-9_.]+", text[column:])
        if called and argument and called.group(1) in FUNCTIONS:
            return (
                f"syntax error: unexpected {text[column]!r}; a function takes its argument in "
                f"parentheses: {called.group(1)}({argument.group(0)})"
            )
        return f"syntax error: unexpected {text[column]!r}"
    if message == "invalid syntax":
        return "syntax error: the expression ends too early"
    return f"syntax error: {message}"


class _TreeBuilder:
    """Walks the Python AST once, checking each node against the whitelist."""

    def __init__(self, text: str, origin: list[int], lead: int) -> None:
        self.text = text
        self.origin = origin
        self.lead = lead

    def span(self, node: ast.AST) -> Span:
        start = getattr(node, "col_offset", 0) + self.lead
        end = getattr(node, "end_col_offset", start) or start
        end += self.lead
        last = len(self.origin) - 1
        return self.origin[min(start, last)], self.origin[min(end, last)]

    def fail(self, message: str, node: ast.AST) -> ParseError:
        return ParseError(message, self.text, self.span(node)[0])

    def build(self, node: ast.AST, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise self.fail(
                f"the expression is nested too deeply (at most {MAX_DEPTH} levels)", node
            )
        span = self.span(node)
        if isinstance(node, ast.Constant):
            return self.number(node, span)
        if isinstance(node, ast.Name):
            return self.name(node, span)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, (ast.USub, ast.UAdd)):
                op = "-" if isinstance(node.op, ast.USub) else "+"
                return Unary(op, self.build(node.operand, depth + 1), span)
            raise self.fail(f"operator {_unary_symbol(node.op)!r} is not supported", node)
        if isinstance(node, ast.BinOp):
            binary = _BINARY_OPERATORS.get(type(node.op))
            if binary is None:
                symbol = _UNSUPPORTED_OPERATORS.get(type(node.op), type(node.op).__name__)
                raise ParseError(
                    f"operator {symbol!r} is not supported", self.text, self._operator_column(node)
                )
            left = self.build(node.left, depth + 1)
            right = self.build(node.right, depth + 1)
            return Binary(binary, left, right, span)
        if isinstance(node, ast.Call):
            return self.call(node, span, depth)
        if isinstance(node, ast.Subscript):
            return self.index(node, span)
        description = _NODE_DESCRIPTIONS.get(type(node), type(node).__name__)
        raise self.fail(f"{description} is not allowed in an expression", node)

    def _operator_column(self, node: ast.BinOp) -> int:
        left_end = self.span(node.left)[1]
        right_start = self.span(node.right)[0]
        gap = self.text[left_end:right_start]
        offset = len(gap) - len(gap.lstrip(" ()"))
        return left_end + offset

    def number(self, node: ast.Constant, span: Span) -> Number:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            kind = "complex number" if isinstance(value, complex) else type(value).__name__
            raise self.fail(f"a {kind} literal is not allowed in an expression", node)
        if span[1] - span[0] > MAX_NUMBER_LENGTH:
            raise self.fail(f"number literal longer than {MAX_NUMBER_LENGTH} characters", node)
        try:
            as_float = float(value)
        except OverflowError:
            as_float = math.inf
        if not math.isfinite(as_float):
            raise self.fail(
                f"number literal overflows a double (the largest is {sys.float_info.max:.2g})",
                node,
            )
        return Number(as_float, isinstance(value, int), span)

    def name(self, node: ast.Name, span: Span) -> Node:
        identifier = node.id
        self.check_identifier(identifier, node)
        if identifier in CONSTANTS:
            return Constant(identifier, span)
        if identifier in FUNCTIONS:
            raise self.fail(f"{identifier} is a function: call it as {identifier}(...)", node)
        return Variable(identifier, span)

    def check_identifier(self, identifier: str, node: ast.AST) -> None:
        if identifier.startswith("_"):
            raise self.fail(f"names may not start with an underscore: {identifier!r}", node)
        if not _NAME.match(identifier):
            raise self.fail(f"{identifier!r} is not a valid name", node)

    def call(self, node: ast.Call, span: Span, depth: int) -> Call:
        if not isinstance(node.func, ast.Name):
            raise self.fail("only named functions can be called, e.g. sin(x)", node.func)
        name = node.func.id
        self.check_identifier(name, node.func)
        function = FUNCTIONS.get(name)
        if function is None:
            message = f"unknown function {name!r}"
            import difflib  # only for an unknown name

            close = difflib.get_close_matches(name, sorted(FUNCTIONS), n=1, cutoff=0.6)
            if close:
                message += f"; did you mean {close[0]!r}?"
            raise self.fail(message, node.func)
        axis: int | None = None
        for keyword in node.keywords:
            if keyword.arg != "axis" or not function.takes_axis:
                what = f"'{keyword.arg}='" if keyword.arg else "'**' unpacking"
                raise self.fail(f"{name}() takes no keyword {what}", keyword)
            axis = self.integer(keyword.value, "axis")
        count = len(node.args)
        if not function.min_args <= count <= function.max_args:
            expected = (
                str(function.min_args)
                if function.min_args == function.max_args
                else f"{function.min_args} to {function.max_args}"
            )
            plural = "" if expected == "1" else "s"
            raise self.fail(f"{name}() takes {expected} argument{plural}, got {count}", node)
        args = tuple(self.build(argument, depth + 1) for argument in node.args)
        return Call(name, args, axis, span)

    def index(self, node: ast.Subscript, span: Span) -> Index:
        indices: list[int] = []
        current: ast.AST = node
        while isinstance(current, ast.Subscript):
            part = current.slice
            items = part.elts if isinstance(part, ast.Tuple) else [part]
            indices[:0] = [self.integer(item, "index") for item in items]
            current = current.value
        if not isinstance(current, ast.Name):
            raise self.fail("only variables can be indexed, e.g. x[0]", current)
        self.check_identifier(current.id, current)
        if current.id in CONSTANTS or current.id in FUNCTIONS:
            raise self.fail(f"{current.id} cannot be indexed", current)
        return Index(current.id, tuple(indices), span)

    def integer(self, node: ast.AST, what: str) -> int:
        sign = 1
        inner = node
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            sign, inner = -1, node.operand
        if (
            isinstance(inner, ast.Constant)
            and isinstance(inner.value, int)
            and not isinstance(inner.value, bool)
            and abs(inner.value) < 2**31
        ):
            return sign * inner.value
        raise self.fail(f"an {what} must be a whole number, e.g. x[0]", node)


def _unary_symbol(op: ast.unaryop) -> str:
    return {ast.Not: "not", ast.Invert: "~"}.get(type(op), type(op).__name__)


def canonical(node: Node) -> str:
    """The tree as text that depends on nothing but its structure (no spacing, no spans)."""
    if isinstance(node, Number):
        return f"{node.value!r}{'i' if node.is_integer else ''}"
    if isinstance(node, (Constant, Variable)):
        return node.name
    if isinstance(node, Index):
        return f"{node.name}{list(node.indices)}"
    if isinstance(node, Unary):
        return f"({node.op}{canonical(node.operand)})"
    if isinstance(node, Binary):
        return f"({canonical(node.left)}{node.op}{canonical(node.right)})"
    if isinstance(node, Call):
        arguments = ",".join(canonical(argument) for argument in node.args)
        return f"{node.name}({arguments}{'' if node.axis is None else f';{node.axis}'})"
    raise TypeError(f"unknown node {node!r}")  # pragma: no cover
