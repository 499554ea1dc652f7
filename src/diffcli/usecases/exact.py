"""The analytic side of a use case: SymPy's answer, or automatic differentiation's where the
options ask for it or SymPy has none (``options.AnalyticChoice``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..engine.analytic import Bounded
from ..options import AnalyticChoice
from ..results import Analytic


def exact_side(
    options: AnalyticChoice,
    coordinates: int,
    by_sympy: Callable[[], Bounded[Any]],
    by_ad: Callable[[], Any],
) -> tuple[Any, Analytic]:
    """The analytic values (``by_sympy``'s value or ``by_ad``'s, of one type; None without
    any) and how they were had (``Analytic.source``: ``sympy`` or ``ad``).

    ``coordinates`` is how many are differentiated (``auto`` skips SymPy past
    ``options.AUTO_SYMPY_COORDINATES``); with ``auto`` the reason SymPy gave none is kept in
    ``Analytic.reason``.
    """
    if options.engine is None:
        return None, Analytic("skipped", "--no-analytic")
    reason = ""
    if options.sympy_first(coordinates):
        outcome = by_sympy()
        if outcome.value is not None:
            return outcome.value, Analytic("ok", source="sympy")
        if options.engine == "sympy":
            return None, Analytic(outcome.status, outcome.reason)
        reason = f"SymPy {outcome.status}: {outcome.reason}"
    with np.errstate(all="ignore"):
        return by_ad(), Analytic("ok", reason, source="ad")
