"""SymPy's side of descent: the gradient compiled to NumPy, stationary points and their kinds.

SymPy results are turned into numbers by ``sympy_numpy.plan`` and ``plans.build``. The
gradient's plans and the stationary points are kept in the analytic cache, so a repeated
question imports no SymPy: SymPy is imported only inside the functions that need it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import InputError
from ..expr.parsing import Expression, canonical
from . import analytic, cache
from .coordinates import Layout
from .plans import FAST_PATH_FAILURES, build, checked

Array = Any
#: A stationary point: its flat coordinates, its kind, f there, and the coordinates left free.
Stationary = tuple[list[float], str, float | None, tuple[int, ...]]
#: At most this many stationary points are classified and reported.
MAX_STATIONARY_POINTS = 50
#: A Hessian eigenvalue this small relative to the largest counts as zero.
ZERO_EIGENVALUE = 1e-10


def positions_of(layout: Layout) -> dict[Any, int]:
    """Each coordinate's SymPy symbol and its index in the flat iterate."""
    from . import sympy_tree

    point = layout.unflatten(np.zeros(layout.size))
    return {symbol_: i for i, symbol_ in enumerate(sympy_tree.point_symbols(point))}


def _flat_partials(partials: Mapping[str, Any], names: Sequence[str]) -> list[Any]:
    found: list[Any] = []
    for name in names:
        value = partials[name]
        found.extend(value.reshape(-1) if isinstance(value, np.ndarray) else [value])
    return found


def analytic_functions(
    expression: Expression,
    shapes: Mapping[str, tuple[int, ...]],
    names: tuple[str, ...],
    fixed: Mapping[str, Array],
    seconds: float,
) -> tuple[Callable[[Array], float], Callable[[Array], Array]]:
    """f and SymPy's gradient as functions of the flat iterate, built within the time limit.

    Both run on NumPy float64 scalars (no per-call array set-up), which is what makes
    ``--grad analytic`` fast. Their plans are kept in the analytic cache (plain data, checked
    when read back by ``plans.checked``): a repeated question builds them without SymPy, and
    a hit and a miss build the very same functions.

    Raises:
        InputError: SymPy timed out or failed, or the gradient uses a function the evaluator
            cannot compute; the message suggests ``--grad numerical``.
    """
    layout = Layout(names, tuple(tuple(shapes[name]) for name in names))
    key = _question("gradient plans", expression, layout, fixed)
    plans = _read_plans(cache.load(key), layout.size)
    if plans is None:
        plans = _gradient_plans(expression, shapes, names, fixed, layout, seconds)
        cache.store(key, plans)
    fast_value, *fast_parts = [build(steps, fast=True) for steps in plans]
    safe_value, *safe_parts = [build(steps) for steps in plans]

    # Python floats first; where they raise (overflow, a domain edge) NumPy gives inf or nan.
    def value_of(x: Array) -> float:
        try:
            return float(fast_value(x.tolist()))
        except FAST_PATH_FAILURES:
            with np.errstate(all="ignore"):
                return float(safe_value(x))

    def gradient_of(x: Array) -> Array:
        try:
            values = x.tolist()
            return np.array([part(values) for part in fast_parts], dtype=np.float64)
        except FAST_PATH_FAILURES:
            with np.errstate(all="ignore"):
                return np.array([part(x) for part in safe_parts], dtype=np.float64)

    return value_of, gradient_of


def _gradient_plans(
    expression: Expression,
    shapes: Mapping[str, tuple[int, ...]],
    names: tuple[str, ...],
    fixed: Mapping[str, Array],
    layout: Layout,
    seconds: float,
) -> list[tuple[Any, ...]]:
    """SymPy's plans of f and of each partial derivative, in one time-bounded job."""
    from . import sympy_tree
    from .sympy_numpy import UnsupportedExpression, plan

    def work() -> list[tuple[Any, ...]]:
        partials = sympy_tree.gradient_expressions(expression, shapes, names, fixed)
        positions = positions_of(layout)
        tree = sympy_tree.held_fixed(expression, shapes, fixed, exact=True)
        return [plan(item, positions) for item in [tree, *_flat_partials(partials, names)]]

    outcome = analytic.bounded(work, seconds)
    if outcome.value is None:
        reason = outcome.reason
        if reason.startswith(UnsupportedExpression.__name__):
            reason = "it uses " + reason.split(": ", 1)[1]
        raise InputError(
            f"--grad analytic: no usable SymPy gradient ({reason}); use --grad numerical"
            + (" or a larger --analytic-timeout" if outcome.status == "timed out" else "")
        )
    return outcome.value


def _read_plans(stored: Any, size: int) -> list[tuple[Any, ...]] | None:
    """A cached answer's plans, f's and one per coordinate, each checked; None for anything
    else."""
    if not isinstance(stored, list) or len(stored) != 1 + size:
        return None
    plans = []
    for item in stored:
        read = checked(item, size)
        if read is None:
            return None
        plans.append(read)
    return plans


def _question(
    kind: str, expression: Expression, layout: Layout, fixed: Mapping[str, Array], **more: Any
) -> dict[str, Any]:
    """The cache key of a question about descent's function: its kind, the canonical
    expression, the variables' names and shapes, the held values (and ``more``)."""
    return cache.question(
        kind,
        expression=canonical(expression.tree),
        names=list(layout.names),
        shapes=[list(shape) for shape in layout.shapes],
        fixed=_jsonable_fixed(fixed),
        **more,
    )


def _jsonable_fixed(fixed: Mapping[str, Array]) -> list[list[Any]]:
    """The values held fixed, as a cache key holds them: name, shape, values."""
    return [
        [name, list(np.shape(value)), np.asarray(value, dtype=np.float64).ravel().tolist()]
        for name, value in sorted(fixed.items())
    ]


def stationary_points(
    expression: Expression,
    layout: Layout,
    fixed: Mapping[str, Array],
    near: Array,
    timeout: float,
) -> analytic.Bounded[tuple[Stationary, ...]]:
    """Solve ∇f = 0 with SymPy and classify each real solution by the Hessian's eigenvalues.

    Coordinates a solution leaves free (a family of stationary points) take their values
    from ``near``. Never raises: a timeout or failure is reported in the status. The answer
    is kept in the analytic cache (plain numbers, checked when read back).
    """
    key = _question(
        "stationary",
        expression,
        layout,
        fixed,
        near=np.asarray(near, dtype=np.float64).ravel().tolist(),
    )
    stored = _read_stationary(cache.load(key), layout.size)
    if stored is not None:
        return analytic.Bounded(stored, "ok")

    def work() -> tuple[Stationary, ...]:
        import sympy as sp

        from . import sympy_tree

        shapes = {name: tuple(np.shape(value)) for name, value in fixed.items()}
        shapes.update(zip(layout.names, layout.shapes))
        partials = sympy_tree.gradient_expressions(expression, shapes, layout.names, fixed)
        positions = positions_of(layout)
        unknowns = list(positions)
        components = _flat_partials(partials, layout.names)
        if all(component == 0 for component in components):
            solutions: list[dict[Any, Any]] = [{}]
        else:
            solutions = sp.solve(components, unknowns, dict=True)
        hessian = [
            [sp.diff(component, unknown) for unknown in unknowns] for component in components
        ]
        tree = sympy_tree.held_fixed(expression, shapes, fixed, exact=True)
        found: list[Stationary] = []
        for solution in solutions[:MAX_STATIONARY_POINTS]:
            point = _solution_point(solution, unknowns, near)
            if point is None:
                continue
            values, free = point
            substitutions = dict(zip(unknowns, values))
            found.append(
                (
                    values,
                    _kind(hessian, substitutions),
                    sympy_tree.value_at(tree, substitutions),
                    free,
                )
            )
        return tuple(found)

    outcome = analytic.bounded(work, timeout)
    if outcome.value is not None:
        cache.store(key, [[*point[:3], list(point[3])] for point in outcome.value])
    return outcome


KINDS = ("minimum", "maximum", "saddle", "undetermined")


def _read_stationary(answer: Any, size: int) -> tuple[Stationary, ...] | None:
    """Stationary points read back from the cache, or None unless each is
    ``[coordinates, kind, value or null, free coordinates]`` for ``size`` coordinates."""
    if not isinstance(answer, list) or len(answer) > MAX_STATIONARY_POINTS:
        return None
    found: list[Stationary] = []
    for item in answer:
        if not (isinstance(item, list) and len(item) == 4):
            return None
        values, kind, value, free = item
        if not (
            isinstance(values, list)
            and len(values) == size
            and all(isinstance(number, float) and math.isfinite(number) for number in values)
            and kind in KINDS
            and (value is None or (isinstance(value, float) and math.isfinite(value)))
            and isinstance(free, list)
            and all(type(index) is int and 0 <= index < size for index in free)
        ):
            return None
        found.append((values, kind, value, tuple(free)))
    return tuple(found)


def _solution_point(
    solution: Mapping[Any, Any], unknowns: Sequence[Any], near: Array
) -> tuple[list[float], tuple[int, ...]] | None:
    """A solution's real coordinates, free ones taken from ``near``; None if not real."""
    import sympy as sp

    from . import sympy_tree

    free = tuple(i for i, unknown in enumerate(unknowns) if unknown not in solution)
    fill = {unknowns[i]: sp.Float(float(near[i]), 30) for i in free}
    values: list[float] = []
    for i, unknown in enumerate(unknowns):
        if i in free:
            values.append(float(near[i]))
            continue
        expression = solution[unknown]
        extra = expression.free_symbols - set(fill)
        if extra:
            return None
        value = sympy_tree.value_at(expression.xreplace(fill), {})
        if value is None:
            return None
        values.append(value)
    return values, free


def _kind(hessian: Sequence[Sequence[Any]], substitutions: Mapping[Any, float]) -> str:
    """minimum, maximum, saddle or undetermined, from the signs of the Hessian's eigenvalues."""
    from . import sympy_tree

    entries = [[sympy_tree.value_at(entry, substitutions) for entry in row] for row in hessian]
    if any(entry is None for row in entries for entry in row):
        return "undetermined"
    eigenvalues = np.linalg.eigvalsh(np.array(entries, dtype=np.float64))
    scale = max(1.0, float(np.max(np.abs(eigenvalues))))
    positive = bool(np.any(eigenvalues > ZERO_EIGENVALUE * scale))
    negative = bool(np.any(eigenvalues < -ZERO_EIGENVALUE * scale))
    if positive and negative:
        return "saddle"
    if bool(np.any(np.abs(eigenvalues) <= ZERO_EIGENVALUE * scale)):
        return "undetermined"
    return "minimum" if positive else "maximum"
