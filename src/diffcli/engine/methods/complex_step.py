"""Whether the complex step may be used on an expression at a point, and if not, why."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ...expr.compiling import compile_expression
from ...expr.functions import FUNCTIONS
from ...expr.nodes import Binary, Call, Index, Node, Number, Unary, Variable, walk
from ...expr.parsing import Expression

#: NumPy's complex power multiplies out integer exponents up to this size; above, it goes
#: through exp(log z), which is wrong on the negative real axis.
_MAX_EXACT_INTEGER_POWER = 100


def non_analytic_functions(expression: Expression) -> list[str]:
    """The non-analytic functions the expression calls (``abs``, ``relu`` …), in order."""
    names = [
        node.name
        for node in walk(expression.tree)
        if isinstance(node, Call) and not FUNCTIONS[node.name].analytic
    ]
    return list(dict.fromkeys(names))


def complex_step_obstacle(
    expression: Expression, point: Mapping[str, Any], variable: str
) -> str | None:
    """Why ``Im f(x + ih)/h`` would be wrong for this expression at this point, or None.

    Two things break it: a function that is not complex-analytic (its NumPy version of a
    complex number is not the analytic continuation: ``abs`` gives the modulus, ``relu``
    compares complex numbers), and a power whose base is negative while the exponent
    depends on ``variable`` or is not a small integer (the complex logarithm's branch cut).
    """
    names = non_analytic_functions(expression)
    if names:
        listed = ", ".join(names)
        verb = "is" if len(names) == 1 else "are"
        return (
            f"the complex step needs an analytic expression, and {listed} {verb} not "
            "analytic; use --method richardson (or auto, which falls back to it)"
        )
    shapes = {name: np.shape(value) for name, value in point.items()}
    for node in walk(expression.tree):
        if not (isinstance(node, Binary) and node.op == "**"):
            continue
        if _small_integer(node.right) and not _depends_on(node.right, variable):
            continue
        base = compile_expression(Expression(expression.text, node.left), shapes)
        with np.errstate(all="ignore"):
            base_value = np.asarray(base(point))
        if np.any(base_value < 0):
            return (
                f"the complex step cannot follow {expression.source(node)} with a negative "
                "base (the complex logarithm's branch cut); use --method richardson"
            )
    return None


def _small_integer(node: Node) -> bool:
    if isinstance(node, Unary) and node.op == "-":
        return _small_integer(node.operand)
    return (
        isinstance(node, Number)
        and float(node.value).is_integer()
        and abs(node.value) <= _MAX_EXACT_INTEGER_POWER
    )


def _depends_on(node: Node, variable: str) -> bool:
    return any(isinstance(sub, (Variable, Index)) and sub.name == variable for sub in walk(node))
