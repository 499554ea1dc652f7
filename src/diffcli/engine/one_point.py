"""``diff``'s commonest query without NumPy or SymPy: one point, the central quotient at the
default step, SymPy's derivative from the analytic cache.

``central_derivative`` gives the numbers ``usecases.diff`` gives for the same question, to the
last bit, or None whenever it cannot be sure to: an expression with an operation whose value in
Python floats may differ from NumPy's (``expr.floats``), a value that is not finite or not
trusted (the full path words the warning), a cache miss (SymPy must derive), a derivative with
no finite value at the point. The command then takes the full path, which answers every case.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from ..catalog import DEFAULT_STEP
from ..errors import DiffcliError
from ..expr import exact
from ..expr.floats import SAME_AS_NUMPY, FloatFunction, float_function
from ..expr.functions import FUNCTIONS
from ..expr.nodes import Binary, Call, Index, Node, Variable, walk
from ..expr.parsing import Expression, canonical, parse
from ..expr.rounding import float_bound, readable
from . import cache
from .methods.stencils import method_stencil
from .quotients import (
    TRUNCATION_SAFETY,
    TRUSTED_RELATIVE_ERROR,
    abscissa_shift,
    apply_stencil,
    cancels,
    divided_by_power,
    rounding_bound,
    truncation_estimate,
)


@dataclass(frozen=True)
class OnePoint:
    """``diff``'s answer at one point (status ``ok``, no warning): f there, the central
    quotient, its error estimate and how many values of f it took, SymPy's derivative there
    (exact) and its formula."""

    value: float
    numerical: float
    error_estimate: float
    evaluations: int
    analytic: float
    derivative: str


def central_derivative(
    expression: Expression,
    point: Mapping[str, float],
    name: str,
    derive_within: float | None = None,
) -> OnePoint | None:
    """The first derivative by the scalar variable ``name`` at ``point`` (every variable of
    the expression, each a float), as ``diff`` computes it by default; None where the full
    path must answer (see the module's docstring).

    ``derive_within``: on a cache miss, SymPy's time limit to derive the formula in, at most
    ``DERIVE_LIMIT`` (as the full path does, and stored for the next query; NumPy is then
    imported); None: a miss is left to the full path."""
    scalars = frozenset(point)
    function = float_function(expression.tree, scalars)
    if function is None:
        return None
    bound = rounding_bound_near(expression, point, name)
    row = _central(function, point, name, bound)  # f, the quotient, its error, evaluations
    if row is None:
        return None
    analytic = _cached_derivative(expression, point, name)
    if (
        analytic is None
        and derive_within is not None
        and cache.ENABLED.get()  # else the formula could not be read back: the full path
        and _derived(expression, point, name, derive_within)
    ):
        analytic = _cached_derivative(expression, point, name)
    if analytic is None:
        return None
    return OnePoint(*row, *analytic)


def rounding_bound_near(expression: Expression, point: Mapping[str, float], name: str) -> float:
    """f's a-priori rounding bound, the largest at x ± h (``expr/rounding.py``), where the
    full path reads one; 0 where it reads none (NaN: no finite bound)."""
    if not readable(expression.tree):
        return 0.0
    x = point[name]
    bounds = [
        float_bound(expression.tree, {**point, name: x + offset * DEFAULT_STEP}, SAME_AS_NUMPY)
        for offset in method_stencil("central", 1).offsets
    ]
    return max((found for found in bounds if not math.isnan(found)), default=math.nan)


def _central(
    function: FloatFunction, point: Mapping[str, float], name: str, bound: float = 0.0
) -> tuple[float, float, float, int] | None:
    """f, the quotient, its error estimate and the evaluations it took, as
    ``fixed_step_at_points`` computes them for one point; None unless all are finite and the
    estimate is trusted without a check, and f's a-priori rounding bound ``bound`` (NaN:
    none) cannot move it too far, with a margin (``quotients.cancels``: the full path's
    bound is NumPy's, which may differ from this one in the last bits)."""
    stencil = method_stencil("central", 1)
    step = DEFAULT_STEP
    x = point[name]

    def along(at: float) -> float:
        return function({**point, name: at})

    try:
        value = function(point)
        wide = [along(x + float(offset) * step) for offset in stencil.offsets]
        narrow = [along(x + float(offset) * (step / 2)) for offset in stencil.offsets]
    except (ArithmeticError, ValueError):  # NumPy's inf or nan: the full path says why
        return None
    numerators, denominator = stencil.numerators, stencil.denominator
    quotient = apply_stencil(numerators, wide, denominator, step, 1)
    half = apply_stencil(numerators, narrow, denominator, step / 2, 1)
    if not math.isfinite(quotient):
        return None
    moves = [abscissa_shift(x, float(offset) * step) * abs(quotient) for offset in stencil.offsets]
    rounding = rounding_bound(numerators, wide, denominator, step, 1, moves)
    truncation = truncation_estimate(quotient, half, stencil.exponents[0])
    likely = truncation + rounding
    vanished = any(x + float(offset) * step == x for offset in stencil.offsets if offset)
    lost = x != 0 and x + step == step
    finite = all(math.isfinite(number) for number in (value, likely))
    # trusted outright, as fixed_step_at_points judges it (else it measures f's noise, and
    # the full path words any warning); then never past its range (truncation <= 1e-6 |D|)
    if not finite or vanished or lost or not likely <= TRUSTED_RELATIVE_ERROR * abs(quotient):
        return None
    sensitivity = divided_by_power(sum(map(abs, numerators)), denominator, step, 1)
    if math.isfinite(bound) and cancels(quotient, 2 * sensitivity * bound, rounding / 2):
        return None
    return value, quotient, TRUNCATION_SAFETY * truncation + rounding, len(wide) + len(narrow)


#: The longest a miss waits here for SymPy (SymPy's import included): past it the full path asks
#: SymPy again under the whole ``--analytic-timeout`` (so a question SymPy cannot answer in
#: time waits this much longer than the limit; one it can answers at once, then from the cache).
DERIVE_LIMIT = 1.5


def _derived(expression: Expression, point: Mapping[str, float], name: str, seconds: float) -> bool:
    """Whether SymPy derived the formula, now in the cache (``analytic.derivatives``, the full
    path's own call: the same job, time limit and entry)."""
    from . import analytic
    from .coordinates import Coordinate

    limit = min(seconds, DERIVE_LIMIT) if seconds > 0 else DERIVE_LIMIT
    outcome = analytic.derivatives(expression, [dict(point)], Coordinate(name), 1, limit)
    return outcome.status == "ok"


def _single_numbers(tree: Node, scalars: frozenset[str]) -> bool:
    """Whether every node's value is one number (the tree's shape is ``()``), all its
    variables among ``scalars``."""
    for node in walk(tree):
        if isinstance(node, Index) or (isinstance(node, Binary) and node.op == "@"):
            return False
        if isinstance(node, Variable) and node.name not in scalars:
            return False
        if isinstance(node, Call) and FUNCTIONS[node.name].kind != "elementwise":
            return False
    return True


def _cached_derivative(
    expression: Expression, point: Mapping[str, float], name: str
) -> tuple[float, str] | None:
    """SymPy's derivative from the cache, as ``analytic.derivatives`` reads it: its value at
    the point (exact, correctly rounded) and its text; None on a miss, an entry the full path
    would not use, or a value that is not finite."""
    key = cache.question(
        "derivative",
        expression=canonical(expression.tree),
        shapes=[[variable, []] for variable in sorted(point)],
        held=[],
        coordinate=[name, []],
        order=1,
    )
    answer = cache.load(key)
    if not isinstance(answer, dict):
        return None
    formulas, text = answer.get("formulas"), answer.get("extra")
    if not (isinstance(formulas, list) and len(formulas) == 1 and isinstance(formulas[0], str)):
        return None
    if not (isinstance(text, str) and text.isprintable()):
        return None
    try:
        formula = parse(formulas[0])
    except DiffcliError:
        return None
    if not (exact.supported(formula.tree) and _single_numbers(formula.tree, frozenset(point))):
        return None
    value = exact.value_at(
        formula.tree, {variable: point[variable] for variable in formula.variables}
    )
    return None if value is None else (value, text)
