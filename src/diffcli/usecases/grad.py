"""``grad``: every partial derivative at each point, numerical beside analytic."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..catalog import DEFAULT_STEP
from ..engine import analytic, autodiff, registry
from ..engine.coordinates import BatchFunction, Coordinate, along, coordinates
from ..engine.estimate import Estimate, estimate
from ..engine.kinks import batched_kinks, kink_suspects
from ..engine.methods.fixed_step import (
    FixedStepEstimates,
    partials_at_points,
    partials_by_coordinate,
)
from ..engine.reference import References, ZeroChecks
from ..errors import InputError, ParseError, param
from ..expr.compiling import Compiled, compile_expression
from ..expr.nodes import Call
from ..expr.parsing import Expression, parse
from ..expr.points import Array, Point, format_point
from ..options import GradOptions
from ..results import Analytic, GradientReport, GradientRow, GradientRows
from .exact import exact_side
from .notes import (
    MAX_POINT_WARNINGS,
    EstimateNotes,
    capped,
    kink_notes,
    large_step_warning,
    large_step_warnings,
    listing,
    non_finite_warnings,
    short_point,
    step_too_large,
    step_warnings,
    untrusted_reason,
    untrusted_values_warning,
)
from .prepare import (
    bounded,
    compiled_columns,
    compiled_points,
    complex_obstacles,
    differentiated,
    kink_near,
    one_scalar_layout,
)

#: Loss functions whose first argument is the prediction, shown beside the gradient.
LOSS_FUNCTIONS = ("cross_entropy", "mean_squared_error")


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
    method = options.method
    entry = registry.method(method)
    step = options.h
    if step is None and not entry.adaptive:
        step = DEFAULT_STEP
    quotient_step = DEFAULT_STEP if step is None else step
    names = differentiated(expression, options.wrt)
    shown = _shown_expressions(expression, options.show)
    predicted = predicted_expression(expression)
    warnings: list[str] = []
    rows: Sequence[GradientRow]
    if _across_points(expression, points, names, entry, shown, predicted):
        compiled, across = _rows_across_points(
            expression, points, names, method, quotient_step, warnings
        )
        formulas, analytic_columns, symbolic = _analytic_columns(
            expression, points, compiled, names, options, across.columns
        )
        warnings += _analytic_failure(symbolic)
        rows = _with_analytic(across, analytic_columns, names, warnings)
    else:
        formulas, symbolic, rows = _rows_point_by_point(
            expression, points, names, options, step, shown, predicted, warnings
        )
    return GradientReport(
        expression.text,
        names,
        method,
        step,
        formulas,
        symbolic,
        rows,
        tuple(warnings),
        None if predicted is None else predicted.text,
    )


def _rows_point_by_point(
    expression: Expression,
    points: Sequence[Point],
    names: tuple[str, ...],
    options: GradOptions,
    step: float | None,
    shown: list[Expression],
    predicted: Expression | None,
    warnings: list[str],
) -> tuple[dict[str, str | None] | None, Analytic, tuple[GradientRow, ...]]:
    """The analytic side's formulas and outcome and the rows, one point at a time. Appends
    the warnings to ``warnings``."""
    method = options.method
    entry = registry.method(method)
    quotient_step = DEFAULT_STEP if step is None else step
    rows: list[GradientRow] = []
    compiled_at: list[Compiled] = []
    references = References(expression.tree, len(points))
    zero_checks = ZeroChecks(expression.tree)
    for point, compiled in compiled_points(expression, points):
        compiled_at.append(compiled)
        with np.errstate(all="ignore"):
            loss = float(compiled(point))
        if entry.batched:
            judged = _judged_at_point(compiled, point, names, method, quotient_step)
            numerical = {
                name: found.values.reshape(np.shape(point[name]))
                for name, (found, _, _) in judged.items()
            }
            errors = None
            evaluations = judged[names[0]][0].evaluations if names else 0
            counts = {name: np.full(np.shape(point[name]), evaluations) for name in names}
            vanished = step_warnings(point, names, entry.side or "central", quotient_step)
            large = large_step_warnings(point, names, quotient_step)
            warnings += vanished + large
            kinks: dict[str, tuple[float, float]] = {}
            if kink_suspects(expression):
                notes = kink_notes(batched_kinks(compiled, point, names, quotient_step))
                kinks = notes.kink_values
                for coordinate in coordinates(point, names):
                    if coordinate.label in kinks:
                        numerical[coordinate.name][coordinate.index] = math.nan
                warnings += notes.warnings(point, method)
            warnings += non_finite_warnings(point, numerical, kinks)
            untrusted: list[str] = []
            if not (vanished or large):
                positions = {
                    name: [(c.label, index) for index, c in enumerate(coordinates(point, (name,)))]
                    for name in names
                }
                untrusted, reasons = _untrusted_coordinates(judged, positions, kinks)
                if untrusted:
                    warnings.append(
                        untrusted_values_warning(
                            short_point(point), method, untrusted, reasons, _TRY_AUTO
                        )
                    )
        else:
            estimated = _estimated_gradient(
                expression,
                compiled,
                point,
                names,
                method,
                step,
                references,
                zero_checks,
                len(rows),
            )
            numerical, errors, counts = estimated.numerical, estimated.errors, estimated.counts
            kinks = estimated.kinks
            vanished = []
            if entry.side is not None:
                vanished = step_warnings(point, names, entry.side, quotient_step)
            large = estimated.large_step
            untrusted = estimated.untrusted
            warnings += vanished + large + estimated.warnings
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
                status=_status(vanished, large + untrusted, numerical, kinks),
            )
        )
    formulas, analytic_values, symbolic = _analytic_gradients(
        expression, points, compiled_at, names, options
    )
    warnings += _analytic_failure(symbolic)
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
                f"for {listing(missing)}"
            )
    return formulas, symbolic, tuple(rows)


def _analytic_failure(symbolic: Analytic) -> list[str]:
    """The warning where the analytic side ran and gave no gradient."""
    if symbolic.status in {"ok", "skipped"}:
        return []
    return [f"no analytic gradient: {symbolic.reason}"]


def _with_analytic(
    rows: GradientRows,
    analytic: dict[str, Array] | None,
    names: tuple[str, ...],
    warnings: list[str],
) -> GradientRows:
    """The rows with the analytic side's columns (None: it gave none). Appends a warning for
    each point where some value is not a real number."""
    if analytic is None:
        return rows
    missing = np.logical_or.reduce([np.isnan(analytic[name]) for name in names])
    for index in np.flatnonzero(missing).tolist():
        labels = [name for name in names if math.isnan(analytic[name][index])]
        warnings.append(
            f"at {format_point(rows.points[index])} the analytic derivative is not a real "
            f"number for {listing(labels)}"
        )
    return GradientRows(
        rows.points,
        rows.columns,
        rows.loss,
        rows.numerical,
        rows.evaluations,
        rows.given_statuses,
        analytic,
    )


def _across_points(
    expression: Expression,
    points: Sequence[Point],
    names: tuple[str, ...],
    entry: registry.Method,
    shown: list[Expression],
    predicted: Expression | None,
) -> bool:
    """Whether the gradients are taken at all points at once (``_rows_across_points``): a
    fixed-step method, points of one layout of scalar variables, no kink near them and
    no ``show`` or predicted values."""
    if not entry.batched or shown or predicted is not None:
        return False
    return one_scalar_layout(points) and not kink_near(expression, points, names)


def _rows_across_points(
    expression: Expression,
    points: Sequence[Point],
    names: tuple[str, ...],
    method: str,
    step: float,
    warnings: list[str],
) -> tuple[Compiled, GradientRows]:
    """The rows of a fixed-step method at every point, each evaluation batched across the
    points (``partials_at_points``): the same rows, to the last bit, as point by point.
    Appends the warnings, point by point, to ``warnings``.

    Raises:
        EvaluationError: the expression has no finite value at one of the points.
    """
    compiled, columns, loss = compiled_columns(expression, points)
    with np.errstate(all="ignore"):
        estimates = partials_at_points(compiled, columns, names, method, step)
    numerical = {name: found.values for name, found in estimates.items()}
    judged: dict[str, _Judged] = {}
    for name in names:

        def line(index: int, name: str = name) -> BatchFunction:
            return along(compiled, points[index], Coordinate(name))

        judged[name] = (estimates[name], *estimates[name].checked(columns[name], line))
    side = registry.method(method).side or "central"
    flagged = np.zeros(len(points), dtype=bool)
    trusted = np.ones(len(points), dtype=bool)
    for name in names:
        value = columns[name]
        if side != "backward":
            flagged |= value + step == value
        if side != "forward":
            flagged |= value - step == value
        flagged |= step_too_large(step, value) | ~np.isfinite(numerical[name])
        trusted &= judged[name][1]
    statuses: dict[int, str] = {}
    for index in np.flatnonzero(flagged).tolist():
        point = points[index]
        values = {name: numerical[name][index] for name in names}
        vanished = step_warnings(point, names, side, step)
        large = large_step_warnings(point, names, step)
        warnings += vanished + large + non_finite_warnings(point, values, {})
        statuses[index] = _status(vanished, large, values, {})
    # the other points with a value that cannot be trusted: a warning for the first few
    untrusted = np.flatnonzero(~flagged & ~trusted).tolist()
    statuses.update(dict.fromkeys(untrusted, "unreliable"))
    written = []
    for index in untrusted[:MAX_POINT_WARNINGS]:
        positions = {name: [(name, index)] for name in names}
        labels, reasons = _untrusted_coordinates(judged, positions, {})
        where = short_point(points[index])
        written.append(untrusted_values_warning(where, method, labels, reasons, _TRY_AUTO))
    warnings += capped(written, total=len(untrusted))
    evaluations = estimates[names[0]].evaluations if names else 0
    rows = GradientRows(points, columns, loss, numerical, evaluations, statuses)
    return compiled, rows


#: A batched quotient's estimates of one variable, where they are trusted (after
#: ``checked_zero``), and the estimates ``checked_zero`` changed, by position.
_Judged = tuple[FixedStepEstimates, Array, dict[int, Estimate]]


def _judged_at_point(
    compiled: Compiled, point: Point, names: tuple[str, ...], method: str, step: float
) -> dict[str, _Judged]:
    """The batched quotient by every coordinate of ``names`` at one point, judged."""
    judged: dict[str, _Judged] = {}
    for name in names:
        by_coordinate = coordinates(point, (name,))

        def line(index: int, by_coordinate: list[Coordinate] = by_coordinate) -> BatchFunction:
            return along(compiled, point, by_coordinate[index])

        with np.errstate(all="ignore"):
            found = partials_by_coordinate(compiled, point, name, method, step)
        flat = np.asarray(point[name], dtype=np.float64).reshape(-1)
        judged[name] = (found, *found.checked(flat, line))
    return judged


#: What the warning on an untrusted batched quotient suggests.
_TRY_AUTO = "; try --method auto (an adaptive estimate of each partial derivative)"


def _untrusted_coordinates(
    judged: Mapping[str, _Judged],
    positions: Mapping[str, Sequence[tuple[str, int]]],
    kinks: Mapping[str, object],
) -> tuple[list[str], dict[str, None]]:
    """The labels of the finite values that are not trusted (``positions``: each variable's
    labels and their places in its estimates), away from kinks, and why, in words."""
    labels: list[str] = []
    reasons: dict[str, None] = {}
    for name, (found, trusted, checked) in judged.items():
        for label, index in positions[name]:
            if trusted[index] or not math.isfinite(found.values[index]) or label in kinks:
                continue
            labels.append(label)
            reasons[untrusted_reason(checked.get(index) or found.at(index))] = None
    return labels, reasons


def _status(
    vanished: list[str], large: list[str], numerical: dict[str, Array], kinks: Mapping[str, object]
) -> str:
    """``step-vanished`` for a point whose steps vanished in rounding, ``unreliable`` for one
    whose step is far larger than a coordinate or whose estimates cannot be trusted
    (``large``: those warnings), where the partial derivatives are finite; else "" (the row
    derives its own status)."""
    finite = all(np.all(np.isfinite(value)) for value in numerical.values())
    if not finite or kinks:
        return ""
    return "step-vanished" if vanished else "unreliable" if large else ""


def _without_kinks(row: GradientRow, values: dict[str, Array] | None) -> dict[str, Array] | None:
    """SymPy's values with NaN at the kinks: sign(0) = 0 there is no derivative."""
    if values is None or not row.kinks:
        return values
    cleared = {name: np.array(value, dtype=np.float64) for name, value in values.items()}
    for coordinate in coordinates(row.at, tuple(cleared)):
        if coordinate.label in row.kinks:
            cleared[coordinate.name][coordinate.index] = math.nan
    return cleared


@dataclass(frozen=True)
class _EstimatedGradient:
    """Partial derivatives by a method of the registry, each with its error and cost."""

    numerical: dict[str, Array]
    errors: dict[str, Array]
    counts: dict[str, Array]
    warnings: list[str]
    kinks: dict[str, tuple[float, float]]
    #: The warning where the step a method used is far larger than its coordinate.
    large_step: list[str]
    #: The coordinates whose estimates cannot be trusted (``Estimate.trusted``).
    untrusted: list[str]


def _estimated_gradient(
    expression: Expression,
    compiled: Compiled,
    point: Point,
    names: tuple[str, ...],
    method: str,
    step: float | None,
    references: References,
    zero_checks: ZeroChecks,
    key: int,
) -> _EstimatedGradient:
    """Each partial derivative by ``estimate`` along its coordinate, judged also by f's
    a-priori rounding bound and, where not trusted, measured against ``references``
    (``key``: the point's).

    Raises:
        InputError: ``complex`` on an expression the complex step cannot follow.
    """
    obstacles = complex_obstacles(expression, point, names, method)
    numerical = {name: np.zeros(np.shape(point[name])) for name in names}
    errors = {name: np.zeros(np.shape(point[name])) for name in names}
    counts = {name: np.zeros(np.shape(point[name]), dtype=int) for name in names}
    notes = EstimateNotes()
    large: list[str] = []
    used = 0.0
    with np.errstate(all="ignore"):
        function_value = float(compiled(point))
    for coordinate in coordinates(point, names):
        x = float(np.asarray(point[coordinate.name])[coordinate.index])
        function = along(compiled, point, coordinate)
        with np.errstate(all="ignore"):
            result = estimate(function, x, method, 1, step, obstacles[coordinate.name])
            result = bounded(result, expression, point, coordinate, function_value)
            result = references.judged(result, point, coordinate, 1, key, function)
            if result.reference is None:  # (a 0 the reference did not measure)
                result = zero_checks.judged(result, point, coordinate, 1, function, method)
        numerical[coordinate.name][coordinate.index] = result.value
        errors[coordinate.name][coordinate.index] = result.error
        counts[coordinate.name][coordinate.index] = result.evaluations
        notes.add(coordinate.label, result)
        # a method that chose its own steps reports none (richardson only starts from ``step``)
        if result.step is not None and step_too_large(result.step, x):
            large.append(coordinate.label)
            used = result.step
    large_step = [large_step_warning(short_point(point), used, large)] if large else []
    return _EstimatedGradient(
        numerical,
        errors,
        counts,
        notes.warnings(point, method),
        notes.kink_values,
        large_step,
        notes.untrusted,
    )


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
                f"{param('show')} {text!r}: unknown variable {unknown[0]!r} "
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
    return type(error)(f"{param('show')}: {error.template}", error.text, error.column)


def _analytic_columns(
    expression: Expression,
    points: Sequence[Point],
    compiled: Compiled,
    names: tuple[str, ...],
    options: GradOptions,
    columns: Mapping[str, Array],
) -> tuple[dict[str, str | None] | None, dict[str, Array] | None, Analytic]:
    """``_analytic_gradients`` at points of one layout of scalar variables (``columns``):
    each partial derivative's values as one column (NaN where not real), SymPy's formulas
    evaluated once over the points, or one reverse pass of AD over them all."""

    def by_ad() -> tuple[None, dict[str, Array]]:
        values = autodiff.gradient_at_points(compiled, columns, names)
        return None, {name: _real(value) for name, value in values.items()}

    outcome, symbolic = exact_side(
        options,
        len(names),
        lambda: analytic.gradient_table(expression, points, names, options.analytic_timeout),
        by_ad,
    )
    if outcome is None:
        return None, None, symbolic
    texts, values = outcome
    if isinstance(values, dict):
        return texts, values, symbolic
    return texts, {name: values[:, position] for position, name in enumerate(names)}, symbolic


def _analytic_gradients(
    expression: Expression,
    points: Sequence[Point],
    compiled_at: Sequence[Compiled],
    names: tuple[str, ...],
    options: GradOptions,
) -> tuple[dict[str, str | None] | None, list[dict[str, Array] | None], Analytic]:
    """SymPy's formulas and values, or reverse-mode AD's values (no formulas), point by
    point."""

    def by_ad() -> tuple[None, list[dict[str, Array] | None]]:
        found: list[dict[str, Array] | None] = []
        for point, compiled in zip(points, compiled_at):
            values = autodiff.gradient(compiled, point, names)
            found.append({name: _real(value) for name, value in values.items()})
        return None, found

    count = len(coordinates(points[0], names)) if points else 0
    outcome, symbolic = exact_side(
        options,
        count,
        lambda: analytic.gradients(expression, points, names, options.analytic_timeout),
        by_ad,
    )
    if outcome is None:
        return None, [None] * len(points), symbolic
    texts, values = outcome
    return texts, list(values), symbolic


def _real(value: Array) -> Array:
    """NaN where a value is not finite, as SymPy's side marks "no real number"."""
    found = np.array(value, dtype=np.float64)
    found[~np.isfinite(found)] = math.nan
    return found
