"""The one kink detector: where a non-analytic expression (abs, relu …) has no derivative.

Richardson extrapolation from each side decides (``kink_at``): at a kink its left and right
derivatives disagree. ``batched_kinks`` first screens every coordinate at once with the
batched forward and backward quotients, and asks Richardson only where they disagree.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..expr.compiling import Compiled
from ..expr.functions import FUNCTIONS
from ..expr.nodes import Call, walk
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


def kink_at(function: BatchFunction, x: float, order: int = 1) -> Estimate | None:
    """Richardson's estimate where ``function`` has a kink at ``x`` (both one-sided
    derivatives in ``left`` and ``right``), else None."""
    with np.errstate(all="ignore"):
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
