"""The one kink detector: where an expression that can have kinks has no derivative.

What can make a kink (``kink_suspects``): a non-analytic function (``abs``, ``relu``,
``max`` …), and an operation smooth but at isolated points (``sqrt`` and ``norm`` at 0, a
fractional power at 0: ``sqrt(x**2)`` is ``abs(x)``). Richardson extrapolation from each side
decides (``kink_at``): at a kink its left and right derivatives disagree. ``batched_kinks``
first screens every coordinate at once with the batched forward and backward quotients, and
asks Richardson only where they disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..expr.compiling import Compiled
from ..expr.functions import FUNCTIONS
from ..expr.nodes import Binary, Call, Constant, Node, Number, Unary, walk
from ..expr.parsing import Expression
from .coordinates import Array, BatchFunction, along, coordinates
from .estimate import Estimate
from .kernel import partials
from .methods.richardson import richardson

#: Forward and backward quotients further apart than this share of the larger one make a
#: coordinate suspect of a kink; Richardson's one-sided extrapolations then decide.
KINK_SUSPICION = 0.1


def non_analytic_functions(expression: Expression) -> list[str]:
    """The non-analytic functions the expression calls (``abs``, ``relu`` …), in order.

    Only these can make a kink; an expression without them is not checked.
    """
    names = [
        node.name
        for node in walk(expression.tree)
        if isinstance(node, Call) and not FUNCTIONS[node.name].analytic
    ]
    return list(dict.fromkeys(names))


#: Operations with a derivative everywhere in their domain but at isolated points (``**``:
#: a fractional power).
_SMOOTH_BUT_AT_POINTS = frozenset(["sqrt", "norm", "**"])


def kink_suspects(expression: Expression) -> list[str]:
    """What in the expression can make a kink, in order: its non-analytic functions, then
    ``sqrt``, ``norm`` and ``**`` (a power whose exponent is not an integer, of a base that
    is not a constant: ``x**0.5`` at 0). An expression without any is not checked."""
    names = non_analytic_functions(expression)
    for node in walk(expression.tree):
        if isinstance(node, Call) and node.name in _SMOOTH_BUT_AT_POINTS:
            names.append(node.name)
        elif isinstance(node, Binary) and node.op == "**" and _fractional_power(node):
            names.append("**")
    return list(dict.fromkeys(names))


def _fractional_power(node: Binary) -> bool:
    if isinstance(node.left, (Number, Constant)):
        return False  # 2**x: smooth everywhere
    exponent: Node = node.right
    while isinstance(exponent, Unary):
        exponent = exponent.operand  # x**-3
    return not (isinstance(exponent, Number) and float(exponent.value).is_integer())


def kink_at(
    function: BatchFunction, x: float, order: int = 1, suspects: Sequence[str] = ()
) -> Estimate | None:
    """Richardson's estimate where ``function`` has a kink at ``x`` (both one-sided
    derivatives in ``left`` and ``right``), else None.

    Where ``suspects`` (``kink_suspects``) holds only operations smooth but at isolated
    points, a first derivative is screened first (``kink_suspected``): a smooth point then
    costs five values of f, not Richardson's hundred.
    """
    screened = bool(suspects) and all(name in _SMOOTH_BUT_AT_POINTS for name in suspects)
    with np.errstate(all="ignore"):
        if screened and order == 1 and not kink_suspected(function, x):
            return None
        result = richardson(function, x, order)
    return result if result.is_kink else None


def batched_kinks(
    compiled: Compiled, point: Mapping[str, Array], names: tuple[str, ...], step: float
) -> dict[str, Estimate]:
    """The kinks among the coordinates of ``names``, by coordinate label.

    The batched central quotients cannot see a kink: at abs(x)'s 0 the central one reads 0.
    The forward and backward quotients (two more batched calls) disagree there; where they
    do, ``kink_at`` confirms or clears the kink.
    """
    found: dict[str, Estimate] = {}
    with np.errstate(all="ignore"):
        forward = partials(compiled, point, names, "forward", step)
        backward = partials(compiled, point, names, "backward", step)
    for coordinate in coordinates(point, names):
        right = float(forward[coordinate.name][coordinate.index])
        left = float(backward[coordinate.name][coordinate.index])
        if not abs(right - left) > KINK_SUSPICION * max(abs(right), abs(left)):
            continue
        x = float(np.asarray(point[coordinate.name])[coordinate.index])
        kink = kink_at(along(compiled, point, coordinate), x)
        if kink is not None:
            found[coordinate.label] = kink
    return found


#: The step of ``kink_suspected``'s quotients, relative to max(1, |x|).
SCREEN_STEP = 1e-4
#: Where f is taken for ``kink_suspected``, in steps from x.
_SCREEN_OFFSETS = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
#: Points screened together by ``kink_near_any`` (bounds the arrays of one evaluation).
_SCREENED_TOGETHER = 16_384


def kink_suspected(function: BatchFunction, x: float) -> bool:
    """Whether the forward and backward quotients at ``x`` disagree by more than truncation
    can explain: a smooth f's gap between them, h·f''(x), halves with the step h; at a kink
    it stays the jump in the derivative. Five values of f; a side where f is not finite is
    a domain's edge, not a kink."""
    step = SCREEN_STEP * max(1.0, abs(x))
    with np.errstate(all="ignore"):
        values = np.asarray(function(x + _SCREEN_OFFSETS * step), dtype=np.float64)
    return bool(_gaps_disagree(values[:, np.newaxis], np.array([step]))[0])


def kink_near_any(
    expression: Expression, compiled: Compiled, columns: Mapping[str, Array], names: Sequence[str]
) -> bool:
    """Whether a kink may be at one of many points of scalar variables (each variable's value
    at every point in ``columns``), along one of ``names``: always where the expression has a
    non-analytic function, else where ``kink_suspected`` holds at one of them (the batched
    paths then leave the points to ``kink_at`` and ``batched_kinks``, one at a time)."""
    suspects = kink_suspects(expression)
    if not all(name in _SMOOTH_BUT_AT_POINTS for name in suspects):
        return True
    return bool(suspects) and any(_suspected_at_any(compiled, columns, name) for name in names)


def _suspected_at_any(compiled: Compiled, columns: Mapping[str, Array], name: str) -> bool:
    """Whether ``kink_suspected`` holds at any of the points along ``name``: the same numbers
    as point by point, taken together."""
    count = len(columns[name])
    for start in range(0, count, _SCREENED_TOGETHER):
        part = {
            variable: np.asarray(column, dtype=np.float64)[start : start + _SCREENED_TOGETHER]
            for variable, column in columns.items()
        }
        steps = SCREEN_STEP * np.maximum(1.0, np.abs(part[name]))
        abscissae = part[name] + _SCREEN_OFFSETS[:, np.newaxis] * steps
        batch = {
            variable: np.broadcast_to(column, abscissae.shape).reshape(-1)
            for variable, column in part.items()
        }
        batch[name] = abscissae.reshape(-1)
        with np.errstate(all="ignore"):
            values = np.broadcast_to(compiled.evaluate_batch(batch), (abscissae.size,))
            if _gaps_disagree(values.reshape(abscissae.shape), steps).any():
                return True
    return False


def _gaps_disagree(values: Array, steps: Array) -> Array:
    """``kink_suspected`` at each column of ``values`` (f at ``_SCREEN_OFFSETS`` steps)."""
    before, half_before, centre, half_after, after = values
    with np.errstate(all="ignore"):
        gap = (after - 2 * centre + before) / steps
        half_gap = (half_after - 2 * centre + half_before) / (steps / 2)
        rounding = 64 * np.finfo(np.float64).eps * (abs(before) + abs(centre) + abs(after))
        disagree = (abs(gap) > rounding / steps) & (abs(half_gap) > 0.75 * abs(gap))
    return np.asarray(disagree & np.all(np.isfinite(values), axis=0))
