"""``diff``: the derivative by one variable at one or more points, numerical beside analytic."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..catalog import FIXED_STEP_METHODS
from ..engine.kernel import Coordinate, along
from ..engine.methods.complex_step import complex_step_obstacle, non_analytic_functions
from ..engine.methods.richardson import ADAPTIVE, METHODS, Estimate, estimate, richardson
from ..errors import EvaluationError, InputError
from ..expr.compiling import Compiled, compile_expression
from ..expr.diagnose import explain
from ..expr.functions import shape_text
from ..expr.parsing import Expression
from ..expr.points import Point, format_point, format_scalar, shortened
from ..results import Analytic, DerivativeRow, DiffReport

_COORDINATE = re.compile(r"\s*([A-Za-z][A-Za-z0-9_]*)\s*((?:\[[-\d,\s]+\])*)\s*\Z")


@dataclass(frozen=True)
class DiffOptions:
    """How to differentiate: the options of ``diffcli diff`` as one value.

    ``method`` is one of ``methods.METHODS`` or ``all``; ``step`` None means each method's
    own default (the primer's 1e-4 for first derivatives by fixed-step methods).
    """

    wrt: str | None = None
    method: str = "central"
    step: float | None = None
    analytic: bool = True
    analytic_timeout: float = 5.0
    #: Variables held fixed by ``--set``: never chosen, never named by ``wrt``.
    constants: tuple[str, ...] = ()
    order: int = 1


def differentiate(
    expression: Expression, points: Sequence[Point], options: DiffOptions = DiffOptions()
) -> DiffReport:
    """The derivative of ``expression`` by one coordinate at each point, by one or all methods.

    Raises:
        InputError: a bad ``wrt``, method, step or order, an expression that is not a
            scalar, or ``--method complex`` on an expression the complex step cannot follow.
        EvaluationError: the expression has no finite value at one of the points.
    """
    _check_options(options)
    chosen = METHODS if options.method == "all" else (options.method,)
    non_analytic = non_analytic_functions(expression)
    compiled_by_shapes: dict[Any, Compiled] = {}
    for point in points:
        key = _shapes_key(point)
        if key not in compiled_by_shapes:
            compiled_by_shapes[key] = compile_scalar(expression, dict(key))
    coordinate = choose_coordinate(expression, points[0], options.wrt, options.constants)
    warnings: list[str] = []
    rows: list[DerivativeRow] = []
    #: Which point each row belongs to (a point may have fewer rows: a refused method).
    row_points: list[int] = []
    for point_index, point in enumerate(points):
        compiled = compiled_by_shapes[_shapes_key(point)]
        _check_coordinate(coordinate, point)
        check_finite(compiled, expression, point)
        x = float(np.asarray(point[coordinate.name])[coordinate.index])
        function = along(compiled, point, coordinate)
        obstacle = None
        if "complex" in chosen or "auto" in chosen:
            obstacle = complex_step_obstacle(expression, point, coordinate.name)
        with np.errstate(all="ignore"):
            kink = richardson(function, x, options.order) if non_analytic else None
        if kink is not None and kink.is_kink:
            warnings.append(
                f"{expression.text} is not differentiable at "
                f"{shortened(format_point(point))}: the left derivative is {kink.left!r}, "
                f"the right derivative is {kink.right!r}"
            )
        for method in chosen:
            if method == "complex" and obstacle is not None:
                if options.method != "all":
                    raise InputError(f"--method complex: {obstacle}")
                warnings.append(
                    f"no complex-step row at {shortened(format_point(point))}: {obstacle}"
                )
                continue
            with np.errstate(all="ignore"):
                result = estimate(
                    function,
                    x,
                    method,
                    options.order,
                    None if method == "auto" else options.step,
                    obstacle,
                )
            if kink is not None and kink.is_kink and not result.is_kink:
                result = replace(
                    result,
                    value=math.nan,
                    error=kink.error,
                    left=kink.left,
                    right=kink.right,
                    evaluations=result.evaluations + kink.evaluations,
                )
            warnings.extend(_warnings(result, method, point, coordinate))
            row_points.append(point_index)
            rows.append(
                DerivativeRow(
                    point,
                    method,
                    result.step,
                    result.value,
                    None,
                    result.evaluations,
                    result.error,
                    result.left,
                    result.right,
                    result.technique if method in ADAPTIVE else "",
                )
            )
    derivative_text, analytic_values, analytic = _analytic(expression, points, coordinate, options)
    if analytic.status not in {"ok", "skipped"}:
        warnings.append(f"no analytic derivative: {analytic.reason}")
    # At a kink SymPy still answers (sign(0) = 0, Heaviside(0) = 1/2): not a derivative.
    rows = [
        replace(row, analytic=None if row.is_kink else analytic_values[index])
        for row, index in zip(rows, row_points)
    ]
    for point, value in zip(points, analytic_values):
        if analytic.status == "ok" and value is None:
            warnings.append(
                "the analytic derivative has no finite real value at "
                f"{shortened(format_point(point))}"
            )
    return DiffReport(
        expression.text,
        coordinate.label,
        derivative_text,
        analytic,
        tuple(rows),
        tuple(warnings),
        options.order,
    )


def _shapes_key(point: Point) -> tuple[tuple[str, tuple[int, ...]], ...]:
    return tuple(sorted((name, np.shape(value)) for name, value in point.items()))


#: An adaptive estimate whose error estimate reaches this share of its value is flagged.
UNRELIABLE = 0.5


def _warnings(result: Estimate, method: str, point: Point, coordinate: Coordinate) -> list[str]:
    found: list[str] = []
    where = shortened(format_point(point))
    if result.step_vanished and result.step is not None:
        found.append(
            f"at {where} the step h={format_scalar(result.step)} vanished in "
            f"rounding ({coordinate.label} + h == {coordinate.label}); the difference "
            "quotient carries no information: use a larger --h"
        )
    if not np.isfinite(result.value) and not result.is_kink:
        found.append(
            f"at {where} the {method} estimate is {result.value!r}: the expression is not "
            "finite near the point"
        )
    if result.complex_rejected:
        found.append(
            f"at {where} the complex step disagreed with Richardson extrapolation (a branch "
            "point?); auto used Richardson"
        )
    if (
        method in ADAPTIVE
        and np.isfinite(result.value)
        and not result.error < UNRELIABLE * abs(result.value)
    ):
        found.append(
            f"at {where} the {method} estimate {result.value!r} is unreliable: its error "
            f"estimate ({result.error:.3g}) is as large as the value; the derivative may be "
            "infinite there, or the point too close to a singularity"
        )
    side = result.technique.removeprefix("Richardson (").removesuffix(")")
    if method in {"richardson", "auto"} and side in {"forward", "backward"}:
        found.append(
            f"at {where} the function is defined on one side only: {method} used {side} "
            "(one-sided) differences"
        )
    return found


def compile_scalar(expression: Expression, shapes: dict[str, tuple[int, ...]]) -> Compiled:
    """Compile, insisting that the expression's value is one number."""
    compiled = compile_expression(expression, shapes)
    if compiled.shape != ():
        raise InputError(
            f"the expression's value has shape {compiled.shape}, not a single number; "
            "reduce it (e.g. sum(...)) or check the point's values"
        )
    return compiled


def check_finite(compiled: Compiled, expression: Expression, point: Point) -> None:
    """Raise EvaluationError, naming the point and the cause, where f is not finite."""
    with np.errstate(all="ignore"):
        value = compiled(point)
    if not np.all(np.isfinite(value)):
        raise EvaluationError(
            f"cannot evaluate {expression.text} at {shortened(format_point(point))}: "
            f"{explain(expression, point)}"
        )


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
                f"the expression has variables {', '.join(names)}: choose one with --wrt, "
                f"e.g. --wrt {names[0]}"
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
                f"{name} is {what}: choose an element with --wrt, e.g. --wrt {example}"
            )
        return Coordinate(name)
    match = _COORDINATE.match(wrt)
    if not match:
        raise InputError(f"--wrt {wrt!r}: expected a variable name such as x or x[0]")
    name = match.group(1)
    if name not in expression.variables:
        known = ", ".join(expression.variables) or "none"
        raise InputError(f"--wrt {wrt!r}: unknown variable (the expression's variables: {known})")
    if name in constants:
        raise InputError(f"--wrt {wrt!r}: {name} is held fixed by --set; differentiate by --at")
    digits = re.findall(r"-?\d+", match.group(2))
    coordinate = Coordinate(name, tuple(int(d) for d in digits))
    return coordinate


def _check_coordinate(coordinate: Coordinate, point: Point) -> None:
    shape = np.shape(point[coordinate.name])
    if len(coordinate.index) != len(shape):
        if not shape:
            raise InputError(f"--wrt {coordinate.label}: {coordinate.name} is a single number")
        raise InputError(
            f"--wrt {coordinate.label}: {coordinate.name} has shape {shape}; "
            f"name one element, e.g. {Coordinate(coordinate.name, (0,) * len(shape)).label}"
        )
    for index, length in zip(coordinate.index, shape):
        if not -length <= index < length:
            raise InputError(
                f"--wrt {coordinate.label}: index {index} is out of range for "
                f"{coordinate.name} of length {length}"
            )


#: The highest derivative ``--order`` accepts.
MAX_ORDER = 6


def check_method_and_step(method: str, step: float) -> None:
    """Raise InputError for a method that is not a fixed-step quotient, or a bad step."""
    if method not in FIXED_STEP_METHODS:
        raise InputError(f"unknown method {method!r}; choose from {', '.join(FIXED_STEP_METHODS)}")
    if not (np.isfinite(step) and step > 0):
        raise InputError(f"--h must be a positive number, got {format_scalar(step)}")


def _check_options(options: DiffOptions) -> None:
    if options.method not in (*METHODS, "all"):
        raise InputError(
            f"unknown method {options.method!r}; choose from {', '.join(METHODS)} or all"
        )
    if options.step is not None:
        if not (np.isfinite(options.step) and options.step > 0):
            raise InputError(f"--h must be a positive number, got {format_scalar(options.step)}")
        if options.method == "auto":
            raise InputError("--h does not apply to --method auto, which chooses its own steps")
    if not 1 <= options.order <= MAX_ORDER:
        raise InputError(f"--order must be between 1 and {MAX_ORDER}, got {options.order}")


def _analytic(
    expression: Expression,
    points: Sequence[Point],
    coordinate: Coordinate,
    options: DiffOptions,
) -> tuple[str | None, list[float | None], Analytic]:
    nothing: list[float | None] = [None] * len(points)
    if not options.analytic:
        return None, nothing, Analytic("skipped", "--no-analytic")
    from ..engine import sympy_tree

    def work() -> tuple[str, list[float | None]]:
        texts: list[str] = []
        values: list[float | None] = []
        for point in points:
            shapes = {name: np.shape(value) for name, value in point.items()}
            tree = sympy_tree.to_sympy(expression, shapes)
            variable = sympy_tree.symbol(coordinate.name, coordinate.index)
            derivative = tree.diff(variable, options.order)
            texts.append(sympy_tree.text(derivative))
            substitutions = sympy_tree.point_symbols(point)
            values.append(sympy_tree.value_at(derivative, substitutions))
        return texts[0], values

    outcome = sympy_tree.bounded(work, options.analytic_timeout)
    if outcome.value is None:
        return None, nothing, Analytic(outcome.status, outcome.reason)
    text, values = outcome.value
    return text, values, Analytic("ok")
