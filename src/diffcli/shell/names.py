"""Named expressions: each definition kept as a parsed tree and substituted as a subtree.

``f = 0.01*x**2 + 0.1*x`` is parsed by the whitelist parser and kept; a later expression that
names ``f`` gets ``f``'s tree in place of the variable, and the new tree is printed back as
text for the command, with parentheses wherever the tree needs them (``2*f`` is
``2*(0.01*x**2 + 0.1*x)``). Nothing is evaluated and no user text is pasted into other text:
each piece printed is the source of a node the parser validated, and the printed text is
parsed again and checked to give the substituted tree.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from ..errors import InputError
from ..expr.functions import CONSTANTS, FUNCTIONS
from ..expr.nodes import Binary, Call, Index, Node, Unary, Variable, walk
from ..expr.parsing import Expression, parse

#: The name of the last result's value; a point, never part of an expression.
ANS = "ans"
#: How tightly each kind of node binds when printed (Python's order): higher binds tighter.
_SUM, _PRODUCT, _SIGN, _POWER, _ATOM = 1, 2, 3, 4, 5
_BINARY_PRECEDENCE = {
    "+": _SUM,
    "-": _SUM,
    "*": _PRODUCT,
    "/": _PRODUCT,
    "@": _PRODUCT,
    "**": _POWER,
}
_BINARY_SPELLING = {"+": " + ", "-": " - ", "@": " @ "}


@dataclass(frozen=True)
class _Printed:
    """A subtree and its text, and how tightly that text binds."""

    node: Node
    text: str
    precedence: int


class Namespace:
    """The definitions of one shell session, by name, each already free of other names."""

    def __init__(self, reserved: Collection[str]) -> None:
        #: Words that are commands or the shell's own (``names``, ``exit`` …): never names.
        self.reserved = frozenset(reserved)
        self.definitions: dict[str, Expression] = {}

    def define(self, name: str, text: str) -> Expression:
        """Parse ``text``, put earlier definitions into it, and keep it under ``name``.

        Raises:
            InputError: a name that is a function, a constant, a command, ``ans``, a variable
                of a definition (its own included), or not a name at all.
            ParseError: ``text`` is not in the expression language.
        """
        self._check_name(name)
        expression = self.expand(parse(text))
        if name in expression.variables:
            raise InputError(f"{name} cannot be defined in terms of itself: {name} = {expression}")
        self.definitions[name] = expression
        return expression

    def expand(self, expression: Expression) -> Expression:
        """``expression`` with every defined name replaced by its definition's subtree.

        Raises:
            InputError: ``ans`` or an indexed defined name (``f[0]``) in the expression.
        """
        used = {node.name for node in walk(expression.tree) if isinstance(node, (Variable, Index))}
        if ANS in used:
            raise InputError(
                f"{ANS} is the last result, a point: use it as --at {ANS}, --from {ANS} or "
                f"--set NAME={ANS}, not in an expression"
            )
        if not used & self.definitions.keys():
            return expression
        printed = self._substitute(expression.tree, expression)
        substituted = parse(printed.text)
        if substituted.tree != printed.node:  # a printer bug, never a user's mistake
            raise AssertionError(f"printing {printed.node!r} gave {printed.text!r}")
        return substituted

    def _check_name(self, name: str) -> None:
        if name == ANS:
            raise InputError(f"{ANS} is the last result's value; choose another name")
        if name in FUNCTIONS:
            raise InputError(f"{name} is a built-in function; choose another name")
        if name in CONSTANTS:
            raise InputError(f"{name} is a constant; choose another name")
        if name in self.reserved:
            raise InputError(f"{name} is a command; choose another name")
        if name.startswith("_") or not isinstance(parse(name).tree, Variable):
            raise InputError(f"{name!r} is not a name: use letters, digits and _, e.g. f or g2")
        for defined, expression in self.definitions.items():
            if name in expression.variables:
                raise InputError(
                    f"{name} is a variable of {defined} = {expression}; choose another name"
                )

    def _substitute(self, node: Node, expression: Expression) -> _Printed:
        """``node`` with defined names replaced, printed; unchanged subtrees print as typed."""
        if isinstance(node, Index) and node.name in self.definitions:
            raise InputError(f"{node.name} names an expression; it cannot be indexed")
        if isinstance(node, Variable) and node.name in self.definitions:
            definition = self.definitions[node.name]
            root = definition.tree
            return _Printed(root, definition.source(root), _precedence(root))
        if isinstance(node, Unary):
            operand = self._substitute(node.operand, expression)
            if operand.node is node.operand:
                return _unchanged(node, expression)
            # -(-x), not --x, which a command line would take for an option
            inner = _wrapped(operand, operand.precedence <= _SIGN)
            return _Printed(Unary(node.op, operand.node), node.op + inner, _SIGN)
        if isinstance(node, Binary):
            left = self._substitute(node.left, expression)
            right = self._substitute(node.right, expression)
            if left.node is node.left and right.node is node.right:
                return _unchanged(node, expression)
            precedence = _BINARY_PRECEDENCE[node.op]
            if node.op == "**":  # right-associative, and -x**2 is -(x**2)
                left_text = _wrapped(left, left.precedence <= _POWER)
                right_text = _wrapped(right, right.precedence < _SIGN)
            else:  # left-associative: a - (b - c) keeps its parentheses
                left_text = _wrapped(left, left.precedence < precedence)
                right_text = _wrapped(right, right.precedence <= precedence)
            spelling = _BINARY_SPELLING.get(node.op, node.op)
            return _Printed(
                Binary(node.op, left.node, right.node),
                left_text + spelling + right_text,
                precedence,
            )
        if isinstance(node, Call):
            args = [self._substitute(arg, expression) for arg in node.args]
            if all(new.node is old for new, old in zip(args, node.args)):
                return _unchanged(node, expression)
            texts = [new.text for new in args]
            if node.axis is not None:
                texts.append(f"axis={node.axis}")
            call = Call(node.name, tuple(new.node for new in args), node.axis)
            return _Printed(call, f"{node.name}({', '.join(texts)})", _ATOM)
        return _unchanged(node, expression)


def _unchanged(node: Node, expression: Expression) -> _Printed:
    return _Printed(node, expression.source(node), _precedence(node))


def _wrapped(printed: _Printed, needs_parentheses: bool) -> str:
    return f"({printed.text})" if needs_parentheses else printed.text


def _precedence(node: Node) -> int:
    if isinstance(node, Binary):
        return _BINARY_PRECEDENCE[node.op]
    if isinstance(node, Unary):
        return _SIGN
    return _ATOM
