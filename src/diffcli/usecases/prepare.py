"""What every use case does first: compile for each point's shapes, check the expression is
finite there, and choose what to differentiate by."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..engine import registry
from ..engine.coordinates import Coordinate
from ..engine.estimate import Estimate
from ..engine.kinks import kink_near_any, kink_suspects
from ..engine.methods.complex_step import complex_step_obstacle
from ..errors import EvaluationError, InputError, param
from ..expr.cancellation import rounding_bounds
from ..expr.compiling import Compiled, compile_expression
from ..expr.diagnose import explain
from ..expr.functions import shape_text
from ..expr.parsing import Expression
from ..expr.points import Point, PointColumns, format_point, layouts, shortened
from ..expr.rounding import readable

_COORDINATE = re.compile(r"\s*([A-Za-z][A-Za-z0-9_]*)\s*((?:\[[-\d,\s]+\])*)\s*\Z")

#: ``wrt`` in messages (``--wrt`` on the command line).
WRT = param("wrt")


def shapes_key(point: Point) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """The shapes of a point's variables, as a key: points with equal keys share a compile."""
    return tuple(sorted((name, tuple(np.shape(value))) for name, value in point.items()))


def compile_scalar(expression: Expression, shapes: dict[str, tuple[int, ...]]) -> Compiled:
    """Compile, insisting that the expression's value is one number."""
    compiled = compile_expression(expression, shapes)
    if compiled.shape != ():
        raise InputError(
            f"the expression's value has shape {compiled.shape}, not a single number; "
            "reduce it (e.g. sum(...)) or check the point's values"
        )
    return compiled


def check_finite(compiled: Compiled, expression: Expression, point: Point) -> Any:
    """f at the point; EvaluationError, naming the point and the cause, where it is not finite."""
    with np.errstate(all="ignore"):
        value = compiled(point)
    if not np.all(np.isfinite(value)):
        raise EvaluationError(
            f"cannot evaluate {expression.text} at {shortened(format_point(point))}: "
            f"{explain(expression, point)}"
        )
    return value


def choose_coordinate(
    expression: Expression, point: Point, wrt: str | None, constants: Sequence[str] = ()
) -> Coordinate:
    """The coordinate named by ``--wrt``, or the only one there is (``constants`` excluded)."""
    if wrt is None:
        names = tuple(name for name in expression.variables if name not in constants)
        if not names:
            raise InputError("the expression has no variable to differentiate by")
        if len(names) > 1:
            raise InputError(
                f"the expression has variables {', '.join(names)}: choose one with {WRT}, "
                f"e.g. {WRT} {names[0]}"
            )
        name = names[0]
        if np.ndim(point[name]) > 0:
            if np.size(point[name]) == 1:
                return Coordinate(name, (0,) * np.ndim(point[name]))
            shape = np.shape(point[name])
            what = (
                f"a vector of length {shape[0]}"
                if len(shape) == 1
                else f"a tensor of shape {shape_text(shape)}"
            )
            example = Coordinate(name, (0,) * len(shape)).label
            raise InputError(
                f"{name} is {what}: choose an element with {WRT}, e.g. {WRT} {example}"
            )
        return Coordinate(name)
    match = _COORDINATE.match(wrt)
    if not match:
        raise InputError(f"{WRT} {wrt!r}: expected a variable name such as x or x[0]")
    name = match.group(1)
    if name not in expression.variables:
        known = ", ".join(expression.variables) or "none"
        raise InputError(f"{WRT} {wrt!r}: unknown variable (the expression's variables: {known})")
    if name in constants:
        raise InputError(
            f"{WRT} {wrt!r}: {name} is held fixed by {param('constants')}; "
            f"differentiate by {param('at')}"
        )
    digits = re.findall(r"-?\d+", match.group(2))
    coordinate = Coordinate(name, tuple(int(d) for d in digits))
    return coordinate


def resolve_coordinate(
    expression: Expression, points: Sequence[Point], wrt: str | None, constants: Sequence[str] = ()
) -> Coordinate:
    """The coordinate ``wrt`` names at every point, negative indices counted from the end.

    ``x[-1]`` means the last element, as in an expression; it is resolved to ``x[n-1]`` here,
    once, so the numerical and the analytic side and the label all name the same element.

    Raises:
        InputError: ``wrt`` names no element at some point, or a negative index names
            different elements at points of different lengths.
    """
    chosen = choose_coordinate(expression, points[0], wrt, constants)
    resolved = set()
    for point in layouts(points):
        check_coordinate(chosen, point)
        shape = np.shape(point[chosen.name])
        resolved.add(tuple(i % length for i, length in zip(chosen.index, shape)))
    if len(resolved) > 1:
        elements = " and ".join(sorted(Coordinate(chosen.name, i).label for i in resolved))
        raise InputError(
            f"{WRT} {chosen.label} names {elements} at points of different shapes; "
            "count from the start"
        )
    return Coordinate(chosen.name, resolved.pop())


def check_coordinate(coordinate: Coordinate, point: Point) -> None:
    shape = np.shape(point[coordinate.name])
    if len(coordinate.index) != len(shape):
        if not shape:
            raise InputError(f"{WRT} {coordinate.label}: {coordinate.name} is a single number")
        raise InputError(
            f"{WRT} {coordinate.label}: {coordinate.name} has shape {shape}; "
            f"name one element, e.g. {Coordinate(coordinate.name, (0,) * len(shape)).label}"
        )
    for index, length in zip(coordinate.index, shape):
        if not -length <= index < length:
            raise InputError(
                f"{WRT} {coordinate.label}: index {index} is out of range for "
                f"{coordinate.name} of length {length}"
            )


def differentiated(expression: Expression, wrt: tuple[str, ...] | None) -> tuple[str, ...]:
    """The variables named by ``wrt`` in the expression's order (default: all of them)."""
    if wrt is None:
        if not expression.variables:
            raise InputError("the expression has no variable to differentiate by")
        return tuple(expression.variables)
    unknown = [name for name in wrt if name not in expression.variables]
    if unknown:
        known = ", ".join(expression.variables) or "none"
        raise InputError(
            f"cannot differentiate by {', '.join(unknown)}: not a variable of the expression "
            f"(its variables: {known})"
        )
    if not wrt:
        raise InputError("no variable to differentiate by")
    repeated = sorted({name for name in wrt if wrt.count(name) > 1})
    if repeated:
        raise InputError(f"{', '.join(repeated)} named more than once")
    return tuple(name for name in expression.variables if name in wrt)


def compiled_points(
    expression: Expression, points: Sequence[Point]
) -> list[tuple[Point, Compiled]]:
    """Each point with the expression compiled for its shapes, checked finite there."""
    compiled_by_shapes: dict[Any, Compiled] = {}
    found = []
    for point in points:
        key = shapes_key(point)
        if key not in compiled_by_shapes:
            compiled_by_shapes[key] = compile_scalar(expression, dict(key))
        compiled = compiled_by_shapes[key]
        check_finite(compiled, expression, point)
        found.append((point, compiled))
    return found


def one_scalar_layout(points: Sequence[Point]) -> bool:
    """Whether the points are some, all of one layout, every variable a scalar: points whose
    derivatives can be taken at all of them at once, one column per variable."""
    if not points:
        return False
    layout = list(points[0])
    return all(
        list(point) == layout and all(np.ndim(value) == 0 for value in point.values())
        for point in layouts(points)
    )


def compiled_columns(
    expression: Expression, points: Sequence[Point]
) -> tuple[Compiled, dict[str, Any], Any]:
    """For points of ``one_scalar_layout``: the expression compiled once, each variable's
    column (``scalar_columns``) and f at every point.

    Raises:
        EvaluationError: f is not finite at a point (the first such one is named).
    """
    compiled = compile_scalar(expression, dict(shapes_key(points[0])))
    columns = scalar_columns(points)
    with np.errstate(all="ignore"):
        values = np.broadcast_to(compiled.evaluate_batch(columns), (len(points),))
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        check_finite(compiled, expression, points[int(bad[0])])
    return compiled, columns, values


def kink_near(expression: Expression, points: Sequence[Point], names: Sequence[str]) -> bool:
    """For points of ``one_scalar_layout``: whether a kink may be at one of them along one of
    ``names`` (``kinks.kink_near_any``; nothing is evaluated for an expression that cannot
    have one)."""
    if not kink_suspects(expression):
        return False
    compiled = compile_scalar(expression, dict(shapes_key(points[0])))
    return kink_near_any(expression, compiled, scalar_columns(points), names)


def scalar_columns(points: Sequence[Point]) -> dict[str, Any]:
    """Each scalar variable's value at every point, a float64 array."""
    if isinstance(points, PointColumns):
        return {name: points.column(name) for name in points.first}
    return {
        name: np.array([point[name] for point in points], dtype=np.float64) for name in points[0]
    }


def complex_obstacles(
    expression: Expression, point: Point, names: tuple[str, ...], method: str
) -> dict[str, str | None]:
    """Why the complex step may not be used, per variable (checked once per variable).

    Raises:
        InputError: ``complex`` where the complex step cannot follow the expression.
    """
    uses = registry.method(method).complex_step
    if not uses:
        return {name: None for name in names}
    obstacles = {name: complex_step_obstacle(expression, point, name) for name in names}
    refused = [obstacle for obstacle in obstacles.values() if obstacle is not None]
    if uses == "required" and refused:
        raise InputError(f"{param('method')} {method}: {refused[0]}")
    return obstacles


def bounded(
    result: Estimate,
    expression: Expression,
    point: Point,
    coordinate: Coordinate,
    function_value: float,
) -> Estimate:
    """``result`` judged also by f's a-priori rounding bound, the largest at the abscissae
    that gave the value, where the tree is ``readable`` and the value a quotient of f's
    values (``Estimate.bounded_by``), or a complex step by the bound at the point
    (``Estimate.from_lost_digits``): the one place the point-by-point path reads
    it."""
    quotient = result.sensitivity > 0
    if not (readable(expression.tree) and math.isfinite(result.value)):
        return result
    offsets = np.array(result.abscissae or (0.0,)) if quotient else np.zeros(1)
    columns = {
        name: np.repeat(np.asarray(value, dtype=np.float64)[np.newaxis, ...], len(offsets), 0)
        for name, value in point.items()
    }
    moved = columns[coordinate.name]
    key: tuple[Any, ...] = (slice(None), *coordinate.index)
    moved[key] = moved[key] + offsets
    bound = float(np.max(rounding_bounds(expression.tree, columns, len(offsets))))
    if not quotient:
        return result.from_lost_digits(bound, function_value)
    return result.bounded_by(bound, function_value)
