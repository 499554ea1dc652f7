"""SymPy's derivatives, gradients and Hessians at points, under the one time-bounded runner.

Every SymPy job of every command runs through ``bounded``: SymPy cannot be interrupted, so a
job past its limit is abandoned in its daemon thread, and long jobs also check a deadline
(``deadline``) between steps so that they stop soon after. SymPy itself is imported only
when a job runs.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np

from ..errors import InputError, param
from ..expr.parsing import Expression
from .coordinates import Array, Coordinate, coordinates

T = TypeVar("T")
Point = Mapping[str, Array]
#: A partial derivative with more SymPy nodes than this is not written out as text.
MAX_FORMULA_NODES = 500


@dataclass(frozen=True)
class Bounded(Generic[T]):
    """The outcome of a computation run under a time limit."""

    value: T | None
    status: str  # "ok", "timed out" or "failed"
    reason: str = ""


class OutOfTime(Exception):
    """Raised inside abandoned SymPy work so that its thread stops soon after the limit."""


def deadline(seconds: float) -> Callable[[], None]:
    """A check to call between steps of a job: raises ``OutOfTime`` past ``seconds``."""
    limit = time.monotonic() + seconds if seconds > 0 else float("inf")

    def check() -> None:
        if time.monotonic() > limit:
            raise OutOfTime("past the time limit")

    return check


def bounded(work: Callable[[], T], seconds: float) -> Bounded[T]:
    """Run ``work`` in a daemon thread; give up waiting after ``seconds``.

    SymPy cannot be interrupted, so a computation past its limit is abandoned, not stopped:
    the thread is a daemon and dies with the process. ``seconds`` 0 or infinite: no limit.
    Work that stopped itself at its ``deadline`` is reported as timed out.

    Raises:
        InputError: ``seconds`` is not a number (NaN) or is negative.
    """
    if not seconds >= 0:
        raise InputError(f"{param('analytic_timeout')} must be 0 or more seconds, got {seconds!r}")
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = work()
        except RecursionError:
            outcome["error"] = "the expression is too deep for SymPy"
        except OutOfTime:
            outcome["late"] = True
        except Exception as error:  # any SymPy failure means "no analytic value", never a crash
            outcome["error"] = f"{type(error).__name__}: {error}"

    thread = threading.Thread(target=target, name="diffcli-sympy", daemon=True)
    thread.start()
    thread.join(seconds if 0 < seconds < math.inf else None)
    if thread.is_alive() or "late" in outcome:
        return Bounded(None, "timed out", f"SymPy took longer than {seconds:g} s")
    if "error" in outcome:
        return Bounded(None, "failed", str(outcome["error"]))
    return Bounded(outcome["value"], "ok")


#: Up to this many points, analytic values are exact: SymPy's derivative evaluated at each
#: point's exact binary value to 30 digits, then rounded. Past it the derivative is compiled to
#: NumPy once and evaluated at every point in one pass, in double precision (the last digits
#: may differ from the exact value's).
EXACT_POINTS = 200


def derivatives(
    expression: Expression,
    points: Sequence[Point],
    coordinate: Coordinate,
    order: int,
    seconds: float,
) -> Bounded[tuple[str, list[float | None]]]:
    """SymPy's ``order``-th derivative by one coordinate, taken once per shape of the points:
    its text, and its value at each point (None where it is not a real number; see
    ``EXACT_POINTS``)."""

    def work() -> tuple[str, list[float | None]]:
        from . import sympy_tree

        by_shapes: dict[Any, Any] = {}
        keys = []
        for point in points:
            key = tuple((name, np.shape(value)) for name, value in point.items())
            if key not in by_shapes:
                tree = sympy_tree.to_sympy(expression, dict(key))
                variable = sympy_tree.symbol(coordinate.name, coordinate.index)
                by_shapes[key] = tree.diff(variable, order)
            keys.append(key)
        text = sympy_tree.text(by_shapes[keys[0]])
        if len(points) <= EXACT_POINTS:
            return text, [
                sympy_tree.value_at(by_shapes[key], sympy_tree.point_symbols(point))
                for key, point in zip(keys, points)
            ]
        values: list[float | None] = [None] * len(points)
        for key, derivative in by_shapes.items():
            indices = [index for index, other in enumerate(keys) if other == key]
            found = _in_double_precision(derivative, [points[index] for index in indices])
            for index, value in zip(indices, found):
                values[index] = value
        return text, values

    return bounded(work, seconds)


def _in_double_precision(derivative: Any, points: Sequence[Point]) -> list[float | None]:
    """A SymPy expression at every point in one NumPy pass (None where not finite); exact,
    point by point, where the expression has a node the compiler does not know."""
    from . import sympy_tree
    from .sympy_numpy import UnsupportedExpression, compile_sympy

    symbols = [sympy_tree.point_symbols(point) for point in points]
    positions = {symbol: position for position, symbol in enumerate(symbols[0])}
    try:
        compiled = compile_sympy(derivative, positions)
    except UnsupportedExpression:
        return [sympy_tree.value_at(derivative, values) for values in symbols]
    coordinates = np.array([list(values.values()) for values in symbols]).T
    with np.errstate(all="ignore"):
        found = np.broadcast_to(np.asarray(compiled(coordinates), dtype=np.float64), len(points))
    return [value if math.isfinite(value) else None for value in found.tolist()]


def gradients(
    expression: Expression, points: Sequence[Point], names: tuple[str, ...], seconds: float
) -> Bounded[tuple[dict[str, str | None], list[dict[str, Array]]]]:
    """SymPy's partial derivatives by every coordinate of ``names``: each one's formula (None
    when too long to print), and their values at each point (NaN where not real)."""
    check = deadline(seconds)

    def work() -> tuple[dict[str, str | None], list[dict[str, Array]]]:
        from . import sympy_tree

        texts: dict[str, str | None] = {}
        values: list[dict[str, Array]] = []
        for point, partials in _per_shapes(expression, points, names, check):
            found = coordinates(point, names)
            if not texts:
                texts = {
                    coordinate.label: formula(partials[i]) for i, coordinate in enumerate(found)
                }
            flat = _values(partials, sympy_tree.point_symbols(point), check)
            values.append(_unflatten(flat, point, names))
        return texts, values

    return bounded(work, seconds)


def hessians(
    expression: Expression, points: Sequence[Point], names: tuple[str, ...], seconds: float
) -> Bounded[list[Array]]:
    """SymPy's Hessian by the coordinates of ``names`` at each point (NaN where not real)."""
    check = deadline(seconds)

    def work() -> list[Array]:
        from . import sympy_tree

        matrices: list[Array] = []
        for point, partials in _per_shapes(expression, points, names, check):
            symbols = [
                sympy_tree.symbol(coordinate.name, coordinate.index)
                for coordinate in coordinates(point, names)
            ]
            size = len(symbols)
            entries: list[Any] = [None] * (size * size)
            for i, first in enumerate(partials):
                row = sympy_tree.partial_derivatives(first, symbols[i:], check)
                for j in range(i, size):
                    entries[i * size + j] = entries[j * size + i] = row[symbols[j]]
            flat = _values(entries, sympy_tree.point_symbols(point), check)
            matrices.append(flat.reshape(size, size))
        return matrices

    return bounded(work, seconds)


def formula(derivative: Any) -> str | None:
    """SymPy's formula as text, or None past ``MAX_FORMULA_NODES`` nodes.

    Printing costs time in proportion to size: a 10×10 network's 100 formulas of 9,000
    characters each take seconds to print, more than it takes to derive them.
    """
    import sympy as sp

    from . import sympy_tree

    nodes = sp.preorder_traversal(derivative)
    if sum(1 for _ in itertools.islice(nodes, MAX_FORMULA_NODES + 1)) > MAX_FORMULA_NODES:
        return None
    return sympy_tree.text(derivative)


def _values(
    derivatives: Iterable[Any], point: Mapping[Any, float], check: Callable[[], None]
) -> Array:
    """Each derivative's value at the point (NaN where it is not a real number)."""
    from . import sympy_tree

    values = []
    for derivative in derivatives:
        check()
        if derivative.is_number:
            value = sympy_tree.value_at(derivative, {})
        else:
            # substitute only the symbols that occur: the point may hold thousands
            used = {symbol_: point[symbol_] for symbol_ in derivative.free_symbols}
            value = sympy_tree.value_at(derivative, used)
        values.append(np.nan if value is None else value)
    return np.array(values, dtype=np.float64)


def _per_shapes(
    expression: Expression,
    points: Sequence[Point],
    names: tuple[str, ...],
    check: Callable[[], None],
) -> Iterable[tuple[Point, list[Any]]]:
    """Each point with SymPy's first partial derivatives by the coordinates of ``names``.

    The variables not in ``names`` are held fixed: their values go into SymPy's expression
    before it is differentiated, so terms such as ``t[0]*log(...)`` with ``t[0] = 0`` vanish
    and the derivatives stay small (a 10×10 network's ∂L/∂W takes seconds, not minutes).
    Derived once per set of shapes and held values.
    """
    from . import sympy_tree

    cache: dict[Any, list[Any]] = {}
    for point in points:
        shapes = {name: tuple(np.shape(value)) for name, value in point.items()}
        held = {name: value for name, value in point.items() if name not in names}
        key = (
            tuple(sorted(shapes.items())),
            tuple(
                (name, np.asarray(value, dtype=np.float64).tobytes())
                for name, value in held.items()
            ),
        )
        if key not in cache:
            partials = sympy_tree.gradient_expressions(
                expression, shapes, names, held, exact=False, check=check
            )
            cache[key] = [
                item
                for name in names
                for item in np.ravel(np.asarray(partials[name], dtype=object))
            ]
        yield point, cache[key]


def _unflatten(flat: Array, point: Point, names: tuple[str, ...]) -> dict[str, Array]:
    found: dict[str, Array] = {}
    start = 0
    for name in names:
        shape = np.shape(point[name])
        size = int(np.prod(shape)) if shape else 1
        found[name] = flat[start : start + size].reshape(shape)
        start += size
    return found
