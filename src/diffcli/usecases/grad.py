"""``grad`` and ``hessian``: partial and second derivatives, numerical beside analytic."""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from ..catalog import (
    DEFAULT_STEP,
    FIXED_STEP_METHODS,
    GRAD_METHODS,
    HESSIAN_METHODS,
    MAX_ADAPTIVE_HESSIAN_COORDINATES,
)
from ..engine.kernel import Coordinate, along, along_line, coordinates, gradient, hessian
from ..engine.methods import richardson as methods
from ..engine.methods.complex_step import complex_step_obstacle, non_analytic_functions
from ..errors import InputError, ParseError
from ..expr.compiling import Compiled, compile_expression
from ..expr.nodes import Call
from ..expr.parsing import Expression, parse
from ..expr.points import Array, Point, format_point, format_scalar, shortened
from ..results import Analytic, GradientReport, GradientRow, HessianReport, HessianRow
from .diff import check_finite, check_method_and_step, compile_scalar

if TYPE_CHECKING:
    from ..engine.sympy_tree import Bounded

T = TypeVar("T")
DEFAULT_TIMEOUT = 5.0
#: A Hessian has n² entries and needs about 2n² evaluations: past this many coordinates, refuse.
MAX_HESSIAN_COORDINATES = 300
#: Coordinates named in one warning before "and N more".
_NAMED_IN_WARNING = 5
#: A partial derivative with more SymPy nodes than this is not written out as text.
MAX_FORMULA_NODES = 500
#: Loss functions whose first argument is the prediction, shown beside the gradient.
LOSS_FUNCTIONS = ("cross_entropy", "mean_squared_error")


@dataclass(frozen=True)
class GradOptions:
    """How to take the gradient: the options of ``diffcli grad`` as one value.

    ``method`` is one of ``catalog.GRAD_METHODS``. ``step`` is the step of the quotients
    (None: 1e-4), the largest step of ``richardson`` or the imaginary step of ``complex``
    (None: their own choice); ``auto`` takes none. ``wrt`` names the variables to
    differentiate by (default: every variable); the others are held fixed, and SymPy gets
    their values before it differentiates. ``show`` lists extra expressions (``--show``, as
    typed) whose values are reported at each point.
    """

    method: str = "central"
    step: float | None = None
    analytic: bool = True
    analytic_timeout: float = DEFAULT_TIMEOUT
    wrt: tuple[str, ...] | None = None
    show: tuple[str, ...] = ()


@dataclass(frozen=True)
class HessianOptions:
    """How to take the Hessian.

    ``method`` ``central`` (the default): second and mixed central differences with step
    ``step``. ``richardson`` or ``auto``: adaptive, every entry with an error estimate
    (``step`` is not used).
    """

    step: float = DEFAULT_STEP
    analytic: bool = True
    analytic_timeout: float = DEFAULT_TIMEOUT
    wrt: tuple[str, ...] | None = None
    method: str = "central"


def gradient_report(
    expression: Expression, points: Sequence[Point], options: GradOptions = GradOptions()
) -> GradientReport:
    """The gradient of a scalar expression at each point, numerical beside SymPy's.

    Variables may be scalars or tensors of any rank; each one's gradient has its shape
    (∂L/∂W of a 2×3 W is 2×3). Each row also holds the expression's value (the loss), the
    predicted scores when the expression is a loss function called at the top
    (``cross_entropy(softmax(x @ W), t)`` predicts ``softmax(x @ W)``), and the value of
    every ``options.show`` expression.

    Raises:
        InputError: a bad method, step, ``wrt`` or ``show``, or an expression that is not a
            scalar.
        ShapeError: operand shapes that do not fit together at a point.
        EvaluationError: the expression has no finite value at one of the points.
    """
    _check_grad_options(options)
    method = options.method
    step = options.step
    if step is None and method in (*FIXED_STEP_METHODS, "five-point"):
        step = DEFAULT_STEP
    quotient_step = DEFAULT_STEP if step is None else step
    names = _differentiated(expression, options.wrt)
    shown = _shown_expressions(expression, options.show)
    predicted = predicted_expression(expression)
    warnings: list[str] = []
    rows: list[GradientRow] = []
    for point, compiled in _compiled_points(expression, points):
        with np.errstate(all="ignore"):
            loss = float(compiled(point))
        if method in FIXED_STEP_METHODS:
            with np.errstate(all="ignore"):
                numerical = gradient(compiled, point, names, method, quotient_step)
            errors = None
            counts = {name: np.full(np.shape(point[name]), 2) for name in names}
            warnings += _step_warnings(point, names, method, quotient_step)
            kinks: dict[str, tuple[float, float]] = {}
            if non_analytic_functions(expression):
                notes = _fixed_step_kinks(compiled, point, names, quotient_step)
                kinks = notes.kink_values
                for coordinate in coordinates(point, names):
                    if coordinate.label in kinks:
                        numerical[coordinate.name][coordinate.index] = math.nan
                warnings += notes.warnings(point, method)
            warnings += _non_finite_warnings(point, numerical, kinks)
        else:
            estimated = _estimated_gradient(expression, compiled, point, names, method, step)
            numerical, errors, counts = estimated.numerical, estimated.errors, estimated.counts
            kinks = estimated.kinks
            if method == "five-point":
                warnings += _step_warnings(point, names, method, quotient_step)
            warnings += estimated.warnings
        rows.append(
            GradientRow(
                point,
                numerical,
                None,
                int(sum(np.sum(count) for count in counts.values())),
                loss,
                None if predicted is None else value_at_point(predicted, point),
                {extra.text: _shown_value(extra, point) for extra in shown},
                errors,
                counts,
                kinks,
            )
        )
    partials, analytic_values, analytic = _analytic_gradients(expression, points, names, options)
    if analytic.status not in {"ok", "skipped"}:
        warnings.append(f"no analytic gradient: {analytic.reason}")
    rows = [
        replace(row, analytic=_without_kinks(row, values))
        for row, values in zip(rows, analytic_values)
    ]
    for row in rows:
        missing = [
            label
            for label, _, value in row.components()
            if value is None and label not in row.kinks
        ]
        if row.analytic is not None and missing:
            warnings.append(
                f"at {format_point(row.at)} the analytic derivative is not a real number "
                f"for {_listing(missing)}"
            )
    return GradientReport(
        expression.text,
        names,
        method,
        step,
        partials,
        analytic,
        tuple(rows),
        tuple(warnings),
        None if predicted is None else predicted.text,
    )


def _without_kinks(row: GradientRow, analytic: dict[str, Array] | None) -> dict[str, Array] | None:
    """SymPy's values with NaN at the kinks: sign(0) = 0 there is no derivative."""
    if analytic is None or not row.kinks:
        return analytic
    cleared = {name: np.array(value, dtype=np.float64) for name, value in analytic.items()}
    for coordinate in coordinates(row.at, tuple(cleared)):
        if coordinate.label in row.kinks:
            cleared[coordinate.name][coordinate.index] = math.nan
    return cleared


def _cleared(matrix: Array | None, mask: Array) -> Array | None:
    """A copy with NaN where ``mask`` is true (SymPy's sign(0) = 0 there is no derivative)."""
    if matrix is None or not np.any(mask):
        return matrix
    cleared = np.array(matrix, dtype=np.float64)
    cleared[mask] = math.nan
    return cleared


def _kink_mask(labels: tuple[str, ...], kinks: tuple[str, ...]) -> Array:
    """True in the rows and columns of the coordinates at a kink."""
    at_kink = np.array([label in kinks for label in labels])
    return at_kink[:, np.newaxis] | at_kink[np.newaxis, :]


def _clear_kinks(
    matrix: Array, compiled: Compiled, point: Point, names: tuple[str, ...], step: float
) -> tuple[tuple[str, ...], list[str]]:
    """NaN in the rows and columns of coordinates where the first derivative has a kink.

    Where f is not differentiable in x_i (abs(x) at 0), no second derivative involving x_i
    exists; second differences there only measure 2/h.
    """
    notes = _fixed_step_kinks(compiled, point, names, step)
    labels = tuple(coordinate.label for coordinate in coordinates(point, names))
    kinks = tuple(label for label in labels if label in notes.kink_values)
    matrix[_kink_mask(labels, kinks)] = math.nan
    warnings = notes.warnings(point, "central")
    return kinks, [warning + "; no second derivative involves them" for warning in warnings]


def _check_grad_options(options: GradOptions) -> None:
    """Raise InputError for a method ``grad`` does not take, or a bad ``--h``."""
    if options.method == "all":
        raise InputError(
            "--method all is diff's side-by-side view of one derivative (diffcli diff EXPR "
            "--wrt NAME --method all); grad takes one method: " + ", ".join(GRAD_METHODS)
        )
    if options.method not in GRAD_METHODS:
        raise InputError(
            f"unknown method {options.method!r}; choose from {', '.join(GRAD_METHODS)}"
        )
    if options.step is not None:
        if options.method == "auto":
            raise InputError("--h does not apply to --method auto, which chooses its own steps")
        check_method_and_step("central", options.step)


@dataclass(frozen=True)
class _EstimatedGradient:
    """Partial derivatives by an estimator of ``methods``, each with its error and cost."""

    numerical: dict[str, Array]
    errors: dict[str, Array]
    counts: dict[str, Array]
    warnings: list[str]
    kinks: dict[str, tuple[float, float]]


def _estimated_gradient(
    expression: Expression,
    compiled: Compiled,
    point: Point,
    names: tuple[str, ...],
    method: str,
    step: float | None,
) -> _EstimatedGradient:
    """Each partial derivative by ``methods.estimate`` along its coordinate.

    Raises:
        InputError: ``complex`` on an expression the complex step cannot follow.
    """
    obstacles = _complex_obstacles(expression, point, names, method)
    numerical = {name: np.zeros(np.shape(point[name])) for name in names}
    errors = {name: np.zeros(np.shape(point[name])) for name in names}
    counts = {name: np.zeros(np.shape(point[name]), dtype=int) for name in names}
    notes = _EstimateNotes()
    for coordinate in coordinates(point, names):
        x = float(np.asarray(point[coordinate.name])[coordinate.index])
        with np.errstate(all="ignore"):
            result = methods.estimate(
                along(compiled, point, coordinate),
                x,
                method,
                1,
                step,
                obstacles[coordinate.name],
            )
        numerical[coordinate.name][coordinate.index] = result.value
        errors[coordinate.name][coordinate.index] = result.error
        counts[coordinate.name][coordinate.index] = result.evaluations
        notes.add(coordinate.label, result)
    return _EstimatedGradient(
        numerical, errors, counts, notes.warnings(point, method), notes.kink_values
    )


#: Forward and backward quotients further apart than this share of the larger one make a
#: coordinate suspect of a kink; Richardson's one-sided extrapolations then decide.
_KINK_SUSPICION = 0.1


def _fixed_step_kinks(
    compiled: Compiled, point: Point, names: tuple[str, ...], step: float
) -> _EstimateNotes:
    """Kinks of a non-analytic expression (abs, relu …) among the coordinates.

    The batched quotients cannot see a kink: at abs(x)'s 0 the central one reads 0. The
    forward and backward quotients (two more batched calls) disagree there; where they do,
    Richardson extrapolation from each side confirms or clears the kink.
    """
    notes = _EstimateNotes()
    with np.errstate(all="ignore"):
        forward = gradient(compiled, point, names, "forward", step)
        backward = gradient(compiled, point, names, "backward", step)
    for coordinate in coordinates(point, names):
        right = float(forward[coordinate.name][coordinate.index])
        left = float(backward[coordinate.name][coordinate.index])
        if not abs(right - left) > _KINK_SUSPICION * max(abs(right), abs(left)):
            continue
        x = float(np.asarray(point[coordinate.name])[coordinate.index])
        with np.errstate(all="ignore"):
            result = methods.richardson(along(compiled, point, coordinate), x)
        if result.is_kink:
            notes.add(coordinate.label, result)
    return notes


def _complex_obstacles(
    expression: Expression, point: Point, names: tuple[str, ...], method: str
) -> dict[str, str | None]:
    """Why the complex step may not be used, per variable (checked once per variable).

    Raises:
        InputError: ``complex`` where the complex step cannot follow the expression.
    """
    if method not in {"complex", "auto"}:
        return {name: None for name in names}
    obstacles = {name: complex_step_obstacle(expression, point, name) for name in names}
    refused = [obstacle for obstacle in obstacles.values() if obstacle is not None]
    if method == "complex" and refused:
        raise InputError(f"--method complex: {refused[0]}")
    return obstacles


class _EstimateNotes:
    """What the estimators said about each coordinate (or Hessian entry), as warnings."""

    def __init__(self) -> None:
        self.kinks: list[str] = []
        self.kink_values: dict[str, tuple[float, float]] = {}
        self.one_sided: list[str] = []
        self.complex_rejected: list[str] = []
        self.not_finite: list[str] = []

    def add(self, label: str, result: methods.Estimate) -> None:
        if result.is_kink:
            self.kinks.append(f"{label} (left {result.left!r}, right {result.right!r})")
            self.kink_values[label] = (float(result.left or 0.0), float(result.right or 0.0))
        elif not math.isfinite(result.value):
            self.not_finite.append(label)
        if result.complex_rejected:
            self.complex_rejected.append(label)
        side = result.technique.removeprefix("Richardson (").removesuffix(")")
        if side in {"forward", "backward"}:
            self.one_sided.append(label)

    def warnings(self, point: Point, method: str) -> list[str]:
        where = _short_point(point)
        found = []
        if self.kinks:
            found.append(
                f"at {where} the left and right derivatives differ (not differentiable) "
                f"for {_listing(self.kinks)}"
            )
        if self.not_finite:
            found.append(
                f"at {where} the {method} estimate is not finite for "
                f"{_listing(self.not_finite)}: the expression is not finite near the point"
            )
        if self.complex_rejected:
            found.append(
                f"at {where} the complex step disagreed with Richardson extrapolation (a "
                f"branch point?) for {_listing(self.complex_rejected)}; auto used Richardson"
            )
        if self.one_sided:
            found.append(
                f"at {where} the function is defined on one side only for "
                f"{_listing(self.one_sided)}: {method} used one-sided differences"
            )
        return found


def predicted_expression(expression: Expression) -> Expression | None:
    """The first argument of a loss function called at the top of ``expression``, or None.

    ``cross_entropy(softmax(x @ W), t)`` gives ``softmax(x @ W)``: the network's prediction.
    """
    tree = expression.tree
    if isinstance(tree, Call) and tree.name in LOSS_FUNCTIONS and tree.args:
        return parse(expression.source(tree.args[0]))
    return None


def value_at_point(expression: Expression, point: Point) -> Array:
    """The value of any expression over (some of) the point's variables, in its own shape.

    Raises:
        InputError: the expression names a variable the point lacks.
        ShapeError: operand shapes that do not fit together.
    """
    shapes = {name: tuple(np.shape(point[name])) for name in expression.variables if name in point}
    compiled = compile_expression(expression, shapes)
    with np.errstate(all="ignore"):
        return np.asarray(compiled({name: point[name] for name in shapes}), dtype=np.float64)


def hessian_report(
    expression: Expression, points: Sequence[Point], options: HessianOptions = HessianOptions()
) -> HessianReport:
    """The Hessian of a scalar expression at each point, numerical beside SymPy's.

    ``central`` (the default) takes second and mixed central differences; ``richardson``
    and ``auto`` estimate every entry adaptively with an error estimate (see
    ``adaptive_hessian``).

    Raises:
        InputError: a bad method, step or ``wrt``, too many coordinates, or a non-scalar
            expression.
        EvaluationError: the expression has no finite value at one of the points.
    """
    if options.method not in HESSIAN_METHODS:
        raise InputError(
            f"unknown method {options.method!r}; choose from {', '.join(HESSIAN_METHODS)}"
        )
    central = options.method == "central"
    check_method_and_step("central", options.step)
    names = _differentiated(expression, options.wrt)
    limit = MAX_HESSIAN_COORDINATES if central else MAX_ADAPTIVE_HESSIAN_COORDINATES
    warnings: list[str] = []
    rows: list[HessianRow] = []
    for point, compiled in _compiled_points(expression, points):
        labels = tuple(coordinate.label for coordinate in coordinates(point, names))
        size = len(labels)
        if size > limit:
            raise InputError(
                f"at {_short_point(point)} the Hessian would have {size}×{size} entries; "
                f"at most {limit} coordinates are supported"
                + ("" if central else f" by --method {options.method}")
            )
        if central:
            with np.errstate(all="ignore"):
                numerical = hessian(compiled, point, names, options.step)
            warnings += _step_warnings(point, names, "central", options.step)
            kinks: tuple[str, ...] = ()
            if non_analytic_functions(expression):
                kinks, notes = _clear_kinks(numerical, compiled, point, names, options.step)
                warnings += notes
            if not np.all(np.isfinite(numerical) | _kink_mask(labels, kinks)):
                warnings.append(
                    f"at {_short_point(point)} some second differences are not finite: "
                    "the expression is not finite within h of the point"
                )
            rows.append(
                HessianRow(point, labels, numerical, None, 1 + 2 * size * size, kinks=kinks)
            )
            continue
        estimated = adaptive_hessian(expression, compiled, point, names, options.method)
        warnings += estimated.warnings
        rows.append(
            HessianRow(point, labels, estimated.value, None, estimated.evaluations, estimated.error)
        )
    analytic_values, analytic = _analytic_hessians(expression, points, names, options)
    if analytic.status not in {"ok", "skipped"}:
        warnings.append(f"no analytic Hessian: {analytic.reason}")
    rows = [
        replace(row, analytic=_cleared(values, _kink_mask(row.labels, row.kinks)))
        for row, values in zip(rows, analytic_values)
    ]
    for row in rows:
        reported = _kink_mask(row.labels, row.kinks)
        if row.analytic is not None and np.any(np.isnan(row.analytic) & ~reported):
            warnings.append(
                f"at {_short_point(row.at)} some analytic second derivatives are not real numbers"
            )
    return HessianReport(
        expression.text,
        names,
        options.step if central else None,
        analytic,
        tuple(rows),
        tuple(warnings),
        options.method,
    )


@dataclass(frozen=True)
class AdaptiveHessian:
    """A Hessian estimated entry by entry: values, error estimates, total evaluations."""

    value: Array
    error: Array
    evaluations: int
    warnings: list[str]


def adaptive_hessian(
    expression: Expression,
    compiled: Compiled,
    point: Point,
    names: tuple[str, ...],
    method: str,
) -> AdaptiveHessian:
    """The Hessian by ``methods.estimate`` (``richardson`` or ``auto``), entry by entry.

    A diagonal entry is the second derivative along its coordinate. A mixed entry comes
    from the second derivative of ``w(t) = (f(x + t(a_i e_i + a_j e_j)) - f(x + t(a_i e_i -
    a_j e_j))) / 4``, which is ``a_i a_j ∂²f/∂x_i∂x_j`` (the pure second derivatives cancel);
    its central second difference is the textbook mixed stencil, and Richardson
    extrapolation (or the complex step, for ``auto``) carries it to full accuracy. The
    scales ``a = 2**floor(log2(max(1, |x|)))`` make the steps follow the coordinates' size
    and divide out exactly; where that finds nothing sound and a coordinate has
    ``0 < |x| < 1`` (``log``, ``sqrt`` near 0), the entry is taken again with ``|x|`` as that
    coordinate's scale, as ``methods.richardson`` does in one variable. Each mixed entry is
    computed once and mirrored: the matrix is exactly symmetric.
    """
    obstacles = _complex_obstacles(expression, point, names, method)
    found = coordinates(point, names)
    flat = np.array([float(np.asarray(point[c.name])[c.index]) for c in found])
    size = len(found)
    value = np.zeros((size, size))
    error = np.zeros((size, size))
    evaluations = 0
    notes = _EstimateNotes()
    for i, first in enumerate(found):
        for j in range(i, size):
            obstacle = obstacles[first.name] or obstacles[found[j].name]
            with np.errstate(all="ignore"):
                if i == j:
                    function = along(compiled, point, first)
                    result = methods.estimate(function, float(flat[i]), method, 2, None, obstacle)
                else:
                    result = _mixed_entry(compiled, point, names, flat, i, j, method, obstacle)
            value[i, j] = value[j, i] = result.value
            error[i, j] = error[j, i] = result.error
            evaluations += result.evaluations
            label = first.label if i == j else f"{first.label},{found[j].label}"
            notes.add(f"({label})", result)
    return AdaptiveHessian(value, error, evaluations, notes.warnings(point, method))


#: An entry whose error estimate is above this (relative) is taken again with smaller scales.
_SOUND = 1e-8


def _mixed_entry(
    compiled: Compiled,
    point: Point,
    names: tuple[str, ...],
    flat: Array,
    i: int,
    j: int,
    method: str,
    obstacle: str | None,
) -> methods.Estimate:
    """``∂²f/∂x_i∂x_j`` from ``w(t)`` (see ``adaptive_hessian``), scaled back."""
    tries = [np.array([_power_of_two(max(1.0, abs(x))) for x in flat])]
    if any(0 < abs(flat[k]) < 1 for k in (i, j)):
        small = tries[0].copy()
        for k in (i, j):
            if 0 < abs(flat[k]) < 1:
                small[k] = _power_of_two(abs(flat[k]))
        tries.append(small)
    results = []
    for scales in tries:
        function = _mixed_line(compiled, point, names, len(flat), i, j, scales)
        result = methods.estimate(function, 0.0, method, 2, None, obstacle)
        factor = float(scales[i] * scales[j])
        results.append(
            replace(
                result,
                value=result.value / factor,
                error=result.error / factor,
                left=None if result.left is None else result.left / factor,
                right=None if result.right is None else result.right / factor,
            )
        )
        if result.is_kink or result.error <= _SOUND * abs(result.value):
            break
    # the error estimates are inf where nothing was sound, never NaN
    best = min(results, key=lambda result: result.error)
    return replace(best, evaluations=sum(result.evaluations for result in results))


def _power_of_two(value: float) -> float:
    return float(2.0 ** math.floor(math.log2(value)))


def _mixed_line(
    compiled: Compiled,
    point: Point,
    names: tuple[str, ...],
    size: int,
    i: int,
    j: int,
    scales: Array,
) -> Callable[[Array], Array]:
    """``w(t)`` of ``adaptive_hessian``: a batch function whose second derivative at 0 is
    ``scales[i] * scales[j] * ∂²f/∂x_i∂x_j``."""
    diagonal = np.zeros(size)
    diagonal[i], diagonal[j] = scales[i], scales[j]
    anti = diagonal.copy()
    anti[j] = -scales[j]
    upper = along_line(compiled, point, names, diagonal)
    lower = along_line(compiled, point, names, anti)

    def function(steps: Array) -> Array:
        return (upper(steps) - lower(steps)) / 4

    return function


def _shown_expressions(expression: Expression, texts: Sequence[str]) -> list[Expression]:
    """Each ``--show`` text parsed, using only the expression's variables."""
    found = []
    for text in texts:
        try:
            extra = parse(text)
        except ParseError as error:
            raise _about_show(error) from None
        unknown = [name for name in extra.variables if name not in expression.variables]
        if unknown:
            known = ", ".join(expression.variables) or "none"
            raise InputError(
                f"--show {text!r}: unknown variable {unknown[0]!r} "
                f"(the expression's variables: {known})"
            )
        found.append(extra)
    return found


def _shown_value(extra: Expression, point: Point) -> Array:
    try:
        return value_at_point(extra, point)
    except ParseError as error:  # a ShapeError: operands that do not fit at this point
        raise _about_show(error) from None


def _about_show(error: ParseError) -> ParseError:
    """The same error, saying that it is about a ``--show`` expression."""
    return type(error)(f"--show: {error.message}", error.text, error.column)


def _differentiated(expression: Expression, wrt: tuple[str, ...] | None) -> tuple[str, ...]:
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


def _compiled_points(
    expression: Expression, points: Sequence[Point]
) -> list[tuple[Point, Compiled]]:
    """Each point with the expression compiled for its shapes, checked finite there."""
    compiled_by_shapes: dict[Any, Compiled] = {}
    found = []
    for point in points:
        shapes = {name: tuple(np.shape(value)) for name, value in point.items()}
        key = tuple(sorted(shapes.items()))
        if key not in compiled_by_shapes:
            compiled_by_shapes[key] = compile_scalar(expression, shapes)
        compiled = compiled_by_shapes[key]
        check_finite(compiled, expression, point)
        found.append((point, compiled))
    return found


def _step_warnings(point: Point, names: tuple[str, ...], method: str, step: float) -> list[str]:
    vanished = []
    for name in names:
        value = np.asarray(point[name], dtype=np.float64)
        lost = np.zeros(value.shape, dtype=bool)
        if method != "backward":
            lost |= value + step == value
        if method != "forward":
            lost |= value - step == value
        vanished += _labels(name, lost)
    if not vanished:
        return []
    return [
        f"at {_short_point(point)} the step h={format_scalar(step)} vanished in rounding for "
        f"{_listing(vanished)}; those differences carry no information: use a larger --h"
    ]


def _non_finite_warnings(
    point: Point, numerical: Mapping[str, Array], kinks: Mapping[str, Any]
) -> list[str]:
    bad = [
        label
        for name, value in numerical.items()
        for label in _labels(name, ~np.isfinite(value))
        if label not in kinks
    ]
    if not bad:
        return []
    return [
        f"at {_short_point(point)} the difference is not finite for {_listing(bad)}: "
        "the expression is not finite within h of the point"
    ]


def _labels(name: str, flags: Array) -> list[str]:
    """Labels of the coordinates of variable ``name`` where ``flags`` is true."""
    if flags.ndim == 0:
        return [name] if bool(flags) else []
    return [Coordinate(name, tuple(int(i) for i in index)).label for index in np.argwhere(flags)]


def _listing(labels: Sequence[str]) -> str:
    shown = ", ".join(labels[:_NAMED_IN_WARNING])
    if len(labels) > _NAMED_IN_WARNING:
        shown += f" and {len(labels) - _NAMED_IN_WARNING} more"
    return shown


def _short_point(point: Point) -> str:
    return shortened(format_point(point))


class _OutOfTime(Exception):
    """Raised inside abandoned SymPy work so that its thread stops soon after the limit."""


def _deadline_check(seconds: float) -> Callable[[], None]:
    deadline = time.monotonic() + seconds if seconds > 0 else float("inf")

    def check() -> None:
        if time.monotonic() > deadline:
            raise _OutOfTime("past the time limit")

    return check


def _analytic_values(
    derivatives: Iterable[Any], point: Mapping[Any, float], check: Callable[[], None]
) -> Array:
    """Each derivative's value at the point (NaN where it is not a real number)."""
    from ..engine import sympy_tree

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


def _symbols(point: Point, names: tuple[str, ...]) -> list[Any]:
    from ..engine import sympy_tree

    return [
        sympy_tree.symbol(coordinate.name, coordinate.index)
        for coordinate in coordinates(point, names)
    ]


def _formula(derivative: Any) -> str | None:
    """SymPy's formula as text, or None past ``MAX_FORMULA_NODES`` nodes.

    Printing costs time in proportion to size: a 10×10 network's 100 formulas of 9,000
    characters each take seconds to print, more than it takes to derive them.
    """
    import sympy as sp

    from ..engine import sympy_tree

    nodes = sp.preorder_traversal(derivative)
    if sum(1 for _ in itertools.islice(nodes, MAX_FORMULA_NODES + 1)) > MAX_FORMULA_NODES:
        return None
    return sympy_tree.text(derivative)


def _analytic_gradients(
    expression: Expression,
    points: Sequence[Point],
    names: tuple[str, ...],
    options: GradOptions,
) -> tuple[dict[str, str | None] | None, list[dict[str, Array] | None], Analytic]:
    nothing: list[dict[str, Array] | None] = [None] * len(points)
    if not options.analytic:
        return None, nothing, Analytic("skipped", "--no-analytic")
    check = _deadline_check(options.analytic_timeout)

    def work() -> tuple[dict[str, str | None], list[dict[str, Array] | None]]:
        from ..engine import sympy_tree

        texts: dict[str, str | None] = {}
        values: list[dict[str, Array] | None] = []
        for point, partials in _per_shapes(expression, points, names, check):
            coordinates_ = coordinates(point, names)
            if not texts:
                texts = {
                    coordinate.label: _formula(partials[i])
                    for i, coordinate in enumerate(coordinates_)
                }
            flat = _analytic_values(partials, sympy_tree.point_symbols(point), check)
            values.append(_unflatten(flat, point, names))
        return texts, values

    outcome = _bounded(work, options.analytic_timeout)
    if outcome.value is None:
        return None, nothing, Analytic(outcome.status, outcome.reason)
    texts, values = outcome.value
    return texts, values, Analytic("ok")


def _analytic_hessians(
    expression: Expression,
    points: Sequence[Point],
    names: tuple[str, ...],
    options: HessianOptions,
) -> tuple[list[Array | None], Analytic]:
    nothing: list[Array | None] = [None] * len(points)
    if not options.analytic:
        return nothing, Analytic("skipped", "--no-analytic")
    check = _deadline_check(options.analytic_timeout)

    def work() -> list[Array | None]:
        from ..engine import sympy_tree

        matrices: list[Array | None] = []
        for point, partials in _per_shapes(expression, points, names, check):
            symbols = _symbols(point, names)
            size = len(symbols)
            entries: list[Any] = [None] * (size * size)
            for i, first in enumerate(partials):
                row = sympy_tree.partial_derivatives(first, symbols[i:], check)
                for j in range(i, size):
                    entries[i * size + j] = entries[j * size + i] = row[symbols[j]]
            flat = _analytic_values(entries, sympy_tree.point_symbols(point), check)
            matrices.append(flat.reshape(size, size))
        return matrices

    outcome = _bounded(work, options.analytic_timeout)
    if outcome.value is None:
        return nothing, Analytic(outcome.status, outcome.reason)
    return outcome.value, Analytic("ok")


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
    from ..engine import sympy_tree

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


def _bounded(work: Callable[[], T], seconds: float) -> Bounded[T]:
    """``sympy_tree.bounded``, reporting cooperative abandonment as a time-out."""
    from ..engine import sympy_tree

    outcome = sympy_tree.bounded(work, seconds)
    if outcome.status == "failed" and outcome.reason.startswith(_OutOfTime.__name__):
        return sympy_tree.Bounded(None, "timed out", f"SymPy took longer than {seconds:g} s")
    return outcome
