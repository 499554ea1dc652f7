"""Why an expression has no finite value at a point: the innermost failing sub-expression."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .compiling import compile_expression
from .nodes import Binary, Call, Node, children, walk
from .parsing import Expression

_LOGARITHMS = {"log", "ln", "log2", "log10"}


def explain(expression: Expression, point: Mapping[str, Any]) -> str:
    """A short reason, e.g. ``log of a negative number in log(x)``.

    Looks for the sub-expression whose own value is not finite although its operands are.
    """
    shapes = {name: np.shape(value) for name, value in point.items()}
    values: dict[int, Any] = {}
    with np.errstate(all="ignore"):
        for node in walk(expression.tree):
            sub = Expression(expression.text, node)
            values[id(node)] = compile_expression(sub, shapes)(point)
    for node in reversed(walk(expression.tree)):
        value = values[id(node)]
        if np.all(np.isfinite(value)):
            continue
        operands = [values[id(child)] for child in children(node)]
        if all(np.all(np.isfinite(operand)) for operand in operands):
            return f"{_cause(node, operands, value)} in {expression.source(node)}"
    return "the value is not a finite number"


def _cause(node: Node, operands: list[Any], value: Any) -> str:
    infinite = bool(np.any(np.isinf(value)))
    if isinstance(node, Binary):
        right = np.asarray(operands[1])
        if node.op == "/" and np.any(right == 0):
            return "division by zero"
        if node.op == "**":
            left = np.asarray(operands[0])
            if np.any((left == 0) & (right < 0)):
                return "zero to a negative power"
            if np.any((left < 0) & (right != np.round(right))):
                return "a negative number to a fractional power"
    if isinstance(node, Call):
        argument = np.asarray(operands[0])
        if node.name in _LOGARITHMS:
            return "log of zero" if np.any(argument == 0) else "log of a negative number"
        if node.name == "sqrt":
            return "square root of a negative number"
        if node.name in {"asin", "acos"}:
            return f"{node.name} of a number outside [-1, 1]"
        if node.name in {"acosh", "atanh"}:
            return f"{node.name} outside its domain"
    return "overflow" if infinite else "undefined result (nan)"
