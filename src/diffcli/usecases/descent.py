"""Gradient descent (update rules in ``optimizers``): steps as records, stopping, divergence.

The iterate is one float64 vector holding every descended variable in natural order, tensors
flattened row-major; ``Layout`` maps it to and from a Point. Plain SGD performs exactly the
primer's ``x -= lr * grad`` on that vector, so its numbers match the seed to the last bit.

Stopping: a run ends ``converged`` when the gradient norm falls below ``tol`` or the gradient
is exactly zero (whatever the optimizer; see ``_steps_move``), ``max_steps`` after ``steps``
updates, or ``diverged`` at the first step where f or the iterate is not finite, the gradient
is not finite, or ``|f|`` exceeds ``DIVERGENCE_FACTOR * max(|f(start)|, 1)``.
The ``max(…, 1)`` makes the rule absolute (``|f| > 1e10``) when f(start) is 0 or tiny.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np

from ..catalog import OPTIMIZERS
from ..engine import autodiff
from ..engine.coordinates import Layout
from ..engine.kernel import partials
from ..errors import EvaluationError, InputError, param
from ..expr.compiling import Compiled
from ..expr.parsing import Expression
from ..expr.points import Point, format_scalar, point_as_json
from ..options import DescentOptions
from ..results import plain
from .optimizers import Optimizer, make_optimizer
from .prepare import check_finite, compile_scalar

Array = Any
ValueFunction = Callable[[Array], float]
GradientFunction = Callable[[Array], Array]
StepCallback = Callable[["Step"], None]

DIVERGENCE_FACTOR = 1e10


@dataclass(frozen=True, slots=True)
class Step:
    """The state after ``step`` updates; the last record of a run carries its status."""

    step: int
    x: Array
    value: float
    grad_norm: float
    status: str | None = None
    reason: str = ""


def iterate(
    value_of: ValueFunction,
    gradient_of: GradientFunction,
    start: Array,
    options: DescentOptions,
) -> Iterator[Step]:
    """Run the optimizer from ``start``, yielding every step (step 0 is the start).

    Raises:
        EvaluationError: f or its gradient is not finite at the start.
    """
    optimizer = make_optimizer(options, start.size)
    x = np.array(start, dtype=np.float64)
    # Overflow and nan are judged below, not warned about. np.seterr rather than a
    # ``with np.errstate`` per step: the run's hot loop spends a tenth of its time there.
    # The setting holds while the run is suspended at a yield and is restored at its end.
    saved = np.seterr(all="ignore")
    try:
        yield from _steps(value_of, gradient_of, x, optimizer, options)
    finally:
        np.seterr(**saved)


def _steps(
    value_of: ValueFunction,
    gradient_of: GradientFunction,
    x: Array,
    optimizer: Optimizer,
    options: DescentOptions,
) -> Iterator[Step]:
    limit = 0.0
    slope = None
    tolerance = options.tolerance
    for step in range(options.steps + 1):
        if slope is not None:
            optimizer.update(x, slope)
        value = float(value_of(x))
        slope = gradient_of(x)
        grad_norm = math.sqrt(float(np.dot(slope, slope)))
        if not math.isfinite(grad_norm) and np.isfinite(slope).all():
            grad_norm = math.hypot(*slope.tolist())  # g·g overflowed; hypot scales
        # x·x is cheap; only when it overflows is each element looked at
        x_finite = math.isfinite(float(np.dot(x, x))) or bool(np.isfinite(x).all())
        status: str | None = None
        reason = ""
        if step == 0:
            if not math.isfinite(value):
                raise EvaluationError(f"f is {value!r} at the start")
            if not math.isfinite(grad_norm):
                raise EvaluationError("the gradient of f is not finite at the start")
            limit = DIVERGENCE_FACTOR * max(abs(value), 1.0)
        elif not x_finite:
            status, reason = "diverged", f"the point is not finite at step {step}"
        elif not math.isfinite(value):
            status, reason = "diverged", f"f is {value!r} at step {step}"
        elif abs(value) > limit:
            status = "diverged"
            reason = (
                f"f = {value:.3g} at step {step}: |f| grew past "
                f"1e10 × max(|f(start)|, 1) = {limit:.3g}"
            )
        elif not math.isfinite(grad_norm):
            status, reason = "diverged", f"the gradient is not finite at step {step}"
        if status is None and grad_norm < tolerance:
            status = "converged"
            reason = f"|∇f| = {grad_norm:.3g} < --tol {format_scalar(tolerance)}"
        if status is None and grad_norm == 0 and _steps_move(x, options):
            status, reason = "converged", "∇f = 0 exactly"
        if status is None and step == options.steps:
            status = "max_steps"
        yield Step(step, x.copy(), value, grad_norm, status, reason)
        if status is not None:
            return


def _steps_move(x: Array, options: DescentOptions) -> bool:
    """Whether a gradient of exactly 0 at ``x`` is a stationary point, not rounding.

    SymPy's gradient is exact. Central differences read 0 wherever ``x + h == x`` (the step
    is lost beside a large coordinate), however steep f is there: no convergence then.
    """
    return options.grad in {"analytic", "ad"} or bool(np.all(x + options.h != x))


def layout_of(expression: Expression, start: Point, fixed: Mapping[str, Array]) -> Layout:
    """The descended variables (all but the fixed ones, natural order) and their shapes.

    Raises:
        InputError: every variable is fixed.
    """
    names = tuple(name for name in expression.variables if name not in fixed)
    if not names:
        raise InputError(
            f"the expression has no variable to descend (all are fixed by {param('constants')})"
        )
    return Layout(names, tuple(tuple(np.shape(start[name])) for name in names))


@dataclass(frozen=True)
class DescentProblem:
    """What to minimise, from where: f and its gradient as functions of the flat iterate."""

    expression: Expression
    layout: Layout
    fixed: Point
    start: Array
    value: ValueFunction
    gradient: GradientFunction


def prepare(
    expression: Expression,
    start: Point,
    fixed: Mapping[str, Array],
    options: DescentOptions,
) -> DescentProblem:
    """Compile f, choose its gradient (numerical, SymPy's or reverse mode) and check the start.

    Args:
        expression: the function to minimise; its value must be one number.
        start: every variable's value (the descended ones and the ``fixed`` ones).
        fixed: the variables held constant (``--set``).
        options: the run's options; ``grad`` and ``step`` choose the gradient.

    Raises:
        InputError: nothing to descend, an expression that is not a scalar, a bad option,
            or an analytic gradient SymPy cannot give.
        EvaluationError: f is not finite at the start.
    """
    layout = layout_of(expression, start, fixed)
    shapes = {name: tuple(np.shape(value)) for name, value in start.items()}
    compiled = compile_scalar(expression, shapes)
    check_finite(compiled, expression, start)
    names = layout.names
    constants = {name: np.asarray(start[name], dtype=np.float64) for name in fixed}
    if options.grad == "analytic":
        from ..engine.stationary import analytic_functions

        value_of, gradient_of = analytic_functions(
            expression, shapes, names, constants, options.analytic_timeout
        )
    elif options.grad == "ad":
        value_of, gradient_of = _reverse_mode_functions(compiled, layout, constants)
    else:
        value_of = _value_function(compiled, layout, constants)
        gradient_of = _numerical_gradient(compiled, layout, constants, options.h)
    return DescentProblem(
        expression, layout, constants, layout.flatten(start), value_of, gradient_of
    )


def _value_function(
    compiled: Compiled, layout: Layout, constants: Mapping[str, Array]
) -> ValueFunction:
    def value_of(x: Array) -> float:
        point = dict(constants)
        point.update(layout.unflatten(x))
        return float(compiled(point))

    return value_of


def _numerical_gradient(
    compiled: Compiled, layout: Layout, constants: Mapping[str, Array], step: float
) -> GradientFunction:
    def gradient_of(x: Array) -> Array:
        point = dict(constants)
        point.update(layout.unflatten(x))
        parts = partials(compiled, point, layout.names, "central", step)
        return np.concatenate([parts[name].reshape(-1) for name in layout.names])

    return gradient_of


def _reverse_mode_functions(
    compiled: Compiled, layout: Layout, constants: Mapping[str, Array]
) -> tuple[ValueFunction, GradientFunction]:
    """f and its reverse-mode gradient: planned once on Python floats when every value is
    one number (the same bits as the NumPy pass, which answers where Python raises)."""
    on_arrays = _value_function(compiled, layout, constants)

    def gradient_on_arrays(x: Array) -> Array:
        point = dict(constants)
        point.update(layout.unflatten(x))
        parts = autodiff.gradient(compiled, point, layout.names)
        return np.concatenate([np.reshape(parts[name], -1) for name in layout.names])

    if not autodiff.plannable(compiled):
        return on_arrays, gradient_on_arrays
    plan = autodiff.ScalarPlan(
        compiled, layout.names, {name: float(value) for name, value in constants.items()}
    )

    def value_of(x: Array) -> float:
        try:
            return plan.value(x)
        except ArithmeticError:  # a division by zero: NumPy's inf or nan, as --grad numerical
            return on_arrays(x)

    def gradient_of(x: Array) -> Array:
        try:
            return plan.gradient(x)
        except ArithmeticError:
            return gradient_on_arrays(x)

    return value_of, gradient_of


@dataclass(frozen=True)
class TracePoint:
    """One row of a trace: the point after ``step`` updates, f there and ``|∇f|``."""

    step: int
    at: Point
    value: float
    grad_norm: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", plain(self.at))

    def as_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "at": point_as_json(self.at),
            "value": self.value,
            "grad_norm": self.grad_norm,
        }


@dataclass(frozen=True)
class StationaryPoint:
    """A solution of ∇f = 0 and its kind by the Hessian: minimum, maximum, saddle, undetermined."""

    at: Point
    kind: str
    value: float | None
    #: Flat indices of coordinates SymPy left free (a family of stationary points): ``at``
    #: holds the member sharing them with the run, and distances ignore them.
    free: tuple[int, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"at": point_as_json(self.at), "kind": self.kind, "value": self.value}


@dataclass(frozen=True)
class StationaryPoints:
    """SymPy's answer to ∇f = 0: status ``ok``, ``timed out``, ``failed`` or ``skipped``."""

    status: str
    reason: str = ""
    points: tuple[StationaryPoint, ...] = ()

    def nearest(self, layout: Layout, x: Array) -> tuple[StationaryPoint, float] | None:
        """The stationary point closest to ``x`` (Euclidean, all coordinates) and the distance."""
        best: tuple[StationaryPoint, float] | None = None
        for point in self.points:
            offset = layout.flatten(point.at) - x
            offset[list(point.free)] = 0.0
            distance = float(np.linalg.norm(offset))
            if best is None or distance < best[1]:
                best = (point, distance)
        return best

    def as_dict(self, layout: Layout, x: Array) -> dict[str, Any] | None:
        if self.status != "ok":
            return None
        nearest = self.nearest(layout, x)
        return {
            "stationary_points": [point.as_dict() for point in self.points],
            "nearest": None
            if nearest is None
            else {**nearest[0].as_dict(), "distance": nearest[1]},
        }


@dataclass(frozen=True)
class Path:
    """Every iterate of a run (kept with ``path``): the flat points, step 0 first, and f."""

    points: Array
    values: Array


class _PathKeeper:
    """Collects a run's step records into a ``Path``."""

    def __init__(self) -> None:
        self.points: list[Array] = []
        self.values: list[float] = []

    def keep(self, record: Step) -> None:
        self.points.append(record.x)
        self.values.append(record.value)

    def path(self) -> Path:
        return Path(np.array(self.points), np.array(self.values))


@dataclass(frozen=True)
class DescentReport:
    """The answer of ``diffcli descend`` for one optimizer."""

    expression: str
    layout: Layout
    fixed: Point
    options: DescentOptions
    status: str
    reason: str
    start: Point
    final: TracePoint
    analytic: StationaryPoints
    trace: tuple[TracePoint, ...]
    #: Step 0 with f and |∇f| at the start (the JSON gives only the start point).
    initial: TracePoint
    warnings: tuple[str, ...] = field(default=())
    #: Every iterate, when the options asked for it (``path``); None otherwise.
    path: Path | None = None

    #: A run that diverged failed; one that stopped at its budget or converged did not.
    failing_statuses: ClassVar[frozenset[str]] = frozenset({"diverged"})

    @property
    def steps(self) -> int:
        """Updates performed."""
        return self.final.step

    @property
    def statuses(self) -> tuple[str, ...]:
        """The run's status: ``converged``, ``max_steps`` or ``diverged``."""
        return (self.status,)

    @property
    def failure(self) -> str | None:
        """Why the run failed, for the error line after its output; None if it did not."""
        if self.status != "diverged":
            return None
        return (
            f"the descent diverged: {self.reason}; "
            f"try a smaller {param('lr')}, or check that f is bounded below"
        )

    @property
    def nearest(self) -> tuple[StationaryPoint, float] | None:
        return self.analytic.nearest(self.layout, self.layout.flatten(self.final.at))

    def as_dict(self) -> dict[str, Any]:
        return {
            "expression": self.expression,
            "variables": list(self.layout.names),
            "optimizer": self.options.rule,
            "lr": self.options.lr,
            "steps": self.steps,
            "status": self.status,
            "start": point_as_json(self.start),
            "final": {
                "at": point_as_json(self.final.at),
                "value": self.final.value,
                "grad_norm": self.final.grad_norm,
            },
            "analytic": self.analytic.as_dict(self.layout, self.layout.flatten(self.final.at)),
            "trace": [row.as_dict() for row in self.trace],
            "warnings": list(self.warnings),
        }


def descend(
    expression: Expression,
    start: Point,
    fixed: Mapping[str, Array],
    options: DescentOptions = DescentOptions(),
) -> DescentReport:
    """Minimise ``expression`` from ``start`` and set SymPy's stationary points beside it.

    Args:
        expression: the function to minimise.
        start: every variable's value, the fixed ones included.
        fixed: the variables held constant.
        options: optimizer, step size, budget, gradient and analytic settings; ``trace``
            keeps a row every so many steps (the last step is kept too), ``on_step`` is called
            with every step record (history files, progress bars).

    Raises:
        InputError: see ``prepare``.
        EvaluationError: f is not finite at the start.
    """
    options = replace(options, optimizer=options.rule, tol=options.tolerance)
    problem = prepare(expression, start, fixed, options)
    layout = problem.layout
    trace_every, on_step = options.trace or 0, options.on_step
    trace: list[TracePoint] = []
    first: Step | None = None
    last: Step | None = None
    kept = _PathKeeper() if options.path else None
    for record in iterate(problem.value, problem.gradient, problem.start, options):
        first = first or record
        if on_step is not None:
            on_step(record)
        if kept is not None:
            kept.keep(record)
        if trace_every and (record.step % trace_every == 0 or record.status is not None):
            trace.append(_trace_point(layout, record))
        last = record
    assert first is not None and last is not None and last.status is not None
    analytic = _stationary(problem, last.x, options)
    warnings = []
    if analytic.status not in {"ok", "skipped"}:
        warnings.append(f"no analytic stationary points: {analytic.reason}")
    return DescentReport(
        expression.text,
        layout,
        problem.fixed,
        options,
        last.status,
        last.reason,
        layout.unflatten(problem.start.copy()),
        _trace_point(layout, last),
        analytic,
        tuple(trace),
        _trace_point(layout, first),
        tuple(warnings),
        None if kept is None else kept.path(),
    )


@dataclass(frozen=True)
class CompareRow:
    """One optimizer's run in ``--compare``."""

    optimizer: str
    status: str
    final: TracePoint
    distance: float | None
    #: Every iterate, when the options asked for it (``path``); None otherwise.
    path: Path | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "optimizer": self.optimizer,
            "status": self.status,
            "steps": self.final.step,
            "final": {
                "at": point_as_json(self.final.at),
                "value": self.final.value,
                "grad_norm": self.final.grad_norm,
            },
            "distance": self.distance,
        }


@dataclass(frozen=True)
class CompareReport:
    """Every optimizer from the same start with the same budget."""

    expression: str
    layout: Layout
    fixed: Point
    options: DescentOptions
    start: Point
    analytic: StationaryPoints
    rows: tuple[CompareRow, ...]
    warnings: tuple[str, ...] = field(default=())
    #: A comparison shows every run, diverged ones included: none fails the command.
    failing_statuses: ClassVar[frozenset[str]] = frozenset()

    @property
    def statuses(self) -> tuple[str, ...]:
        """Each optimizer's run status."""
        return tuple(row.status for row in self.rows)

    def as_dict(self) -> dict[str, Any]:
        start = self.layout.flatten(self.start)
        return {
            "expression": self.expression,
            "variables": list(self.layout.names),
            "lr": self.options.lr,
            "steps": self.options.steps,
            "tol": self.options.tolerance,
            "start": point_as_json(self.start),
            "analytic": self.analytic.as_dict(self.layout, start),
            "results": [row.as_dict() for row in self.rows],
            "warnings": list(self.warnings),
        }


def compare(
    expression: Expression,
    start: Point,
    fixed: Mapping[str, Array],
    options: DescentOptions = DescentOptions(),
) -> CompareReport:
    """Run every optimizer from ``start`` with the same step size, budget and tolerance.

    The distance column is measured to the stationary point nearest to each run's result.

    Raises:
        InputError: see ``prepare``.
        EvaluationError: f is not finite at the start.
    """
    problem = prepare(expression, start, fixed, options)
    analytic = _stationary(problem, problem.start, options)
    rows = []
    for name in OPTIMIZERS:
        last: Step | None = None
        settings = replace(options, optimizer=name, compare=False, tol=options.tolerance)
        kept = _PathKeeper() if options.path else None
        for record in iterate(problem.value, problem.gradient, problem.start, settings):
            last = record
            if kept is not None:
                kept.keep(record)
        assert last is not None and last.status is not None
        nearest = analytic.nearest(problem.layout, last.x)
        rows.append(
            CompareRow(
                name,
                last.status,
                _trace_point(problem.layout, last),
                None if nearest is None else nearest[1],
                None if kept is None else kept.path(),
            )
        )
    warnings = []
    if analytic.status not in {"ok", "skipped"}:
        warnings.append(f"no analytic stationary points: {analytic.reason}")
    return CompareReport(
        expression.text,
        problem.layout,
        problem.fixed,
        options,
        problem.layout.unflatten(problem.start.copy()),
        analytic,
        tuple(rows),
        tuple(warnings),
    )


def _trace_point(layout: Layout, record: Step) -> TracePoint:
    return TracePoint(record.step, layout.unflatten(record.x), record.value, record.grad_norm)


def _stationary(problem: DescentProblem, near: Array, options: DescentOptions) -> StationaryPoints:
    if not options.analytic:
        return StationaryPoints("skipped", "--no-analytic")
    if options.engine == "ad":
        return StationaryPoints("skipped", "--analytic ad: stationary points need SymPy")
    from ..engine.stationary import stationary_points

    layout = problem.layout
    outcome = stationary_points(
        problem.expression, layout, problem.fixed, near, options.analytic_timeout
    )
    if outcome.value is None:
        return StationaryPoints(outcome.status, outcome.reason)
    found = tuple(
        StationaryPoint(layout.unflatten(np.array(values, dtype=np.float64)), kind, value, free)
        for values, kind, value, free in outcome.value
    )
    return StationaryPoints("ok", "", found)
