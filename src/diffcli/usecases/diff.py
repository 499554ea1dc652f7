"""``diff``: the derivative by one variable at one or more points, numerical beside analytic."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from ..engine import analytic, autodiff, registry
from ..engine.coordinates import Array, BatchFunction, Coordinate, along
from ..engine.estimate import Estimate, estimate
from ..engine.kinks import kink_at, kink_suspects, non_analytic_functions
from ..engine.methods.complex_step import complex_step_obstacle
from ..engine.methods.fixed_step import columns_function, default_step, fixed_step_at_points
from ..engine.reference import References, ZeroChecks
from ..errors import InputError, param
from ..expr.cancellation import rounding_bounds
from ..expr.compiling import Compiled
from ..expr.parsing import Expression
from ..expr.points import Point, format_point, format_scalar, layouts, shortened
from ..expr.rounding import readable
from ..options import DiffOptions
from ..results import Analytic, DerivativeRow, DerivativeRows, DiffReport
from .exact import exact_side
from .notes import (
    MAX_POINT_WARNINGS,
    capped,
    large_step_warning,
    step_too_large,
    untrusted_reason,
    untrusted_warning,
)
from .prepare import (
    bounded,
    check_finite,
    compile_scalar,
    kink_near,
    resolve_coordinate,
    scalar_columns,
    shapes_key,
)


def differentiate(
    expression: Expression, points: Sequence[Point], options: DiffOptions = DiffOptions()
) -> DiffReport:
    """The derivative of ``expression`` by one coordinate at each point, by one or all methods.

    Raises:
        InputError: a bad ``wrt``, method, step or order, an expression that is not a
            scalar, or ``--method complex`` on an expression the complex step cannot follow.
        EvaluationError: the expression has no finite value at one of the points.
    """
    chosen = registry.names("diff") if options.method == "all" else (options.method,)
    entries = [registry.method(name) for name in chosen]
    suspects = kink_suspects(expression)
    compiled_by_shapes: dict[Any, Compiled] = {}
    for point in layouts(points):
        key = shapes_key(point)
        if key not in compiled_by_shapes:
            compiled_by_shapes[key] = compile_scalar(expression, dict(key))
    coordinate = resolve_coordinate(expression, points, options.wrt, options.constants)
    batchable = _batchable(points, entries, non_analytic_functions(expression), options)
    if batchable and not kink_near(expression, points, (coordinate.name,)):
        # the analytic side first: each row is made once, with its analytic value
        derivative_text, analytic_values, symbolic = _analytic(
            expression, points, coordinate, options, compiled_by_shapes
        )
        (compiled,) = compiled_by_shapes.values()
        rows: Sequence[DerivativeRow]
        rows, warnings, unlisted = _rows_in_batches(
            expression, compiled, points, coordinate, entries[0], options, analytic_values
        )
    else:
        rows, row_points, warnings = _rows_point_by_point(
            expression, compiled_by_shapes, points, coordinate, entries, suspects, options
        )
        unlisted = 0
        derivative_text, analytic_values, symbolic = _analytic(
            expression, points, coordinate, options, compiled_by_shapes
        )
        # At a kink SymPy still answers (sign(0) = 0, Heaviside(0) = 1/2): not a derivative.
        found = analytic_values.tolist()
        rows = [
            replace(row, analytic=found[index])
            if not math.isnan(found[index]) and not row.is_kink
            else row
            for row, index in zip(rows, row_points)
        ]
    if symbolic.status not in {"ok", "skipped"}:
        warnings.append(f"no analytic derivative: {symbolic.reason}")
    if symbolic.status == "ok":
        for count, index in enumerate(np.flatnonzero(np.isnan(analytic_values)).tolist()):
            if len(warnings) > MAX_POINT_WARNINGS:  # the rest only counted
                unlisted += int(np.isnan(analytic_values).sum()) - count
                break
            warnings.append(
                "the analytic derivative has no finite real value at "
                f"{shortened(format_point(points[index]))}"
            )
    return DiffReport(
        expression.text,
        coordinate.label,
        derivative_text,
        symbolic,
        rows if isinstance(rows, DerivativeRows) else tuple(rows),
        tuple(capped(warnings, total=len(warnings) + unlisted)),
        options.order,
    )


def _rows_point_by_point(
    expression: Expression,
    compiled_by_shapes: dict[Any, Compiled],
    points: Sequence[Point],
    coordinate: Coordinate,
    entries: list[registry.Method],
    suspects: Sequence[str],
    options: DiffOptions,
) -> tuple[list[DerivativeRow], list[int], list[str]]:
    """Every method's row at every point, one point at a time (kinks, adaptive methods), with
    the index of each row's point (a point may have fewer rows: a refused method)."""
    warnings: list[str] = []
    rows: list[DerivativeRow] = []
    row_points: list[int] = []
    references = References(expression.tree, len(points))
    zero_checks = ZeroChecks(expression.tree)
    checks = _Checks(references)
    for point_index, point in enumerate(points):
        compiled = compiled_by_shapes[shapes_key(point)]
        function_value = float(check_finite(compiled, expression, point))
        x = float(np.asarray(point[coordinate.name])[coordinate.index])
        function = along(compiled, point, coordinate)
        obstacle = None
        if any(entry.complex_step for entry in entries):
            obstacle = complex_step_obstacle(expression, point, coordinate.name)
        kink = kink_at(function, x, options.order, suspects) if suspects else None
        if kink is not None:
            warnings.append(
                f"{expression.text} is not differentiable at "
                f"{shortened(format_point(point))}: the left derivative is {kink.left!r}, "
                f"the right derivative is {kink.right!r}"
            )
        for entry in entries:
            if entry.complex_step == "required" and obstacle is not None:
                if options.method != "all":
                    raise InputError(f"{param('method')} {entry.name}: {obstacle}")
                warnings.append(
                    f"no complex-step row at {shortened(format_point(point))}: {obstacle}"
                )
                continue
            with np.errstate(all="ignore"):
                result = estimate(
                    function,
                    x,
                    entry.name,
                    options.order,
                    options.h if entry.takes_step else None,
                    obstacle,
                )
            if kink is not None and not result.is_kink:
                result = replace(
                    result,
                    value=math.nan,
                    error=kink.error,
                    left=kink.left,
                    right=kink.right,
                    evaluations=result.evaluations + kink.evaluations,
                )
            result = bounded(result, expression, point, coordinate, function_value)
            if not _large_step(result, x):  # (unreliable whatever its error: not measured)
                result = references.judged(
                    result, point, coordinate, options.order, point_index, function
                )
            if result.reference is None:  # (a 0 the reference did not measure)
                result = zero_checks.judged(
                    result, point, coordinate, options.order, function, entry.name
                )
            better = ""
            if entry.side is not None and _untrusted(result, x):
                better = checks.better(
                    expression, compiled, point, coordinate, options.order, point_index
                )
            warnings.extend(_warnings(result, entry, point, coordinate, x, better))
            row_points.append(point_index)
            rows.append(
                DerivativeRow(
                    point,
                    entry.name,
                    result.step,
                    result.value,
                    None,
                    result.evaluations,
                    result.error,
                    result.left,
                    result.right,
                    result.technique if entry.adaptive else "",
                    status=_status(result, entry, x),
                    value=function_value,
                )
            )
    return rows, row_points, warnings


#: Points evaluated together by the batched path: about ``kernel.BATCH_BUDGET`` numbers per
#: stencil row.
_POINTS_PER_BATCH = 16_384


def _batchable(
    points: Sequence[Point],
    entries: list[registry.Method],
    non_analytic: Sequence[str],
    options: DiffOptions,
) -> bool:
    """Whether every point can go through one batched fixed-step evaluation: one fixed-step
    method, one step for all points (first derivatives, or ``h`` given), no kinks to look
    for, and scalar variables only (elementwise operations: a batch gives each point the
    very numbers it would get alone)."""
    return (
        len(entries) == 1
        and entries[0].side is not None
        and (options.order == 1 or options.h is not None)
        and not non_analytic
        and all(np.ndim(value) == 0 for point in layouts(points) for value in point.values())
    )


def _rows_in_batches(
    expression: Expression,
    compiled: Compiled,
    points: Sequence[Point],
    coordinate: Coordinate,
    entry: registry.Method,
    options: DiffOptions,
    analytic_values: Array,
) -> tuple[DerivativeRows, list[str], int]:
    """The rows from batched evaluations, held as columns: the numbers of the point-by-point
    path, each row with its analytic value; the warnings, the first few written out (as
    ``capped`` shows them) and how many more there are."""
    step = options.h if options.h is not None else default_step(entry.name, 0.0, options.order)
    found: dict[str, list[Any]] = {"numerical": [], "error_estimate": [], "value": []}
    statuses: dict[int, str] = {}
    warnings: list[str] = []
    unlisted = 0  # warnings counted, not written: past the few a command shows
    references = References(expression.tree, len(points))
    zero_checks = ZeroChecks(expression.tree)
    checks = _Checks(references)
    evaluations = 0
    for start in range(0, len(points), _POINTS_PER_BATCH):
        batch = points[start : start + _POINTS_PER_BATCH]
        columns = scalar_columns(batch)
        with np.errstate(all="ignore"):
            values = np.broadcast_to(compiled.evaluate_batch(columns), (len(batch),))
        not_finite = ~np.isfinite(values)
        if not_finite.any():
            check_finite(compiled, expression, batch[int(np.argmax(not_finite))])
        xs = columns[coordinate.name]

        function = columns_function(compiled, columns, coordinate.name)
        with np.errstate(all="ignore"):
            estimates = fixed_step_at_points(function, xs, entry.name, step, options.order)
        if readable(expression.tree):  # f's a-priori rounding bound: no evaluation of f
            moved: dict[str, Any] = dict(columns)
            bounds = np.zeros(len(batch))
            for offset in estimates.offsets:
                moved[coordinate.name] = xs + offset
                at_offset = rounding_bounds(expression.tree, moved, len(batch))
                bounds = np.fmax(bounds, at_offset)
            estimates = estimates.bounded_by(bounds, values)

        def line(index: int, batch: Sequence[Point] = batch) -> BatchFunction:
            return along(compiled, batch[index], coordinate)

        # a value trusted only as zero to within rounding is checked point by point
        trusted, checked = estimates.checked(xs, line)
        large, finite = step_too_large(step, xs), np.isfinite(estimates.values)
        errors = estimates.errors.copy()
        # a command of at most 32 points: values their own evidence cannot settle are measured
        # against a reference (``reference.wanted`` says which)
        if references.available:
            for index in np.flatnonzero(finite & ~large).tolist():
                measured = references.judged(
                    checked.get(index) or estimates.at(index),
                    batch[index],
                    coordinate,
                    options.order,
                    start + index,
                    line(index),
                )
                if measured.reference is not None:
                    checked[index], trusted[index] = measured, measured.trusted
                    errors[index] = measured.error
        # a 0 the bound flags, not measured: checked against f correctly rounded at its stencil
        for index in np.flatnonzero(estimates.lost_zeros() & ~trusted).tolist():
            if not zero_checks.remaining(entry.name):
                break
            if index not in checked:
                zero = zero_checks.judged(
                    estimates.at(index),
                    batch[index],
                    coordinate,
                    options.order,
                    line(index),
                    entry.name,
                )
                if zero.trusted:
                    checked[index], trusted[index], errors[index] = zero, True, zero.error
        vanished = estimates.vanished
        flagged = np.flatnonzero(large | ~finite | ~trusted)
        # as _status and _warnings settle them point by point
        status = np.where(vanished, "step-vanished", np.where(~trusted | large, "unreliable", ""))
        status[~finite] = ""
        statuses.update(zip((flagged + start).tolist(), status[flagged].tolist()))
        untrusted = ~(trusted | vanished | large)
        counts = large.astype(int) + vanished + ~finite + untrusted
        written = 0  # flagged points whose warnings are written out (the first few only)
        for index in flagged.tolist():
            if len(warnings) > MAX_POINT_WARNINGS:
                break
            written += 1
            result, x = checked.get(index) or estimates.at(index), float(xs[index])
            better = ""
            if untrusted[index]:
                better = checks.better(
                    expression, compiled, batch[index], coordinate, options.order, start + index
                )
            warnings.extend(_warnings(result, entry, batch[index], coordinate, x, better))
        unlisted += int(counts[flagged[written:]].sum())
        found["numerical"].append(estimates.values)
        found["error_estimate"].append(errors)
        found["value"].append(values)
        evaluations = estimates.evaluations
    columns_of_rows = {name: np.concatenate(parts) for name, parts in found.items()}
    columns_of_rows["analytic"] = analytic_values
    rows = DerivativeRows(points, entry.name, step, evaluations, columns_of_rows, statuses)
    return rows, warnings, unlisted


def _large_step(result: Estimate, x: float) -> bool:
    """The step the method used (None: it chose its own) is far larger than ``x``."""
    return result.step is not None and bool(step_too_large(result.step, x))


def _untrusted(result: Estimate, x: float) -> bool:
    """Not ``trusted`` for a reason no other warning gives (a vanished or too large step)."""
    return not (result.trusted or result.step_vanished or _large_step(result, x))


def _status(result: Estimate, entry: registry.Method, x: float) -> str:
    """``step-vanished`` or ``unreliable`` where a finite estimate says so (or its step is
    far larger than ``x``); else "" (the row derives ``ok``, ``kink`` or ``not-finite`` from
    its own numbers)."""
    if result.is_kink or not np.isfinite(result.value):
        return ""
    if result.step_vanished and result.step is not None:
        return "step-vanished"
    return "unreliable" if not result.trusted or _large_step(result, x) else ""


#: At most this many untrusted fixed-step values per command are checked against ``auto``
#: (a few hundred evaluations each); past them the warning only names it.
_CHECKED_SUGGESTIONS = 10


class _Checks:
    """What ``auto`` gives where a fixed-step value cannot be trusted, for the warning."""

    def __init__(self, references: References) -> None:
        self.remaining = _CHECKED_SUGGESTIONS
        self.references = references

    def better(
        self,
        expression: Expression,
        compiled: Compiled,
        point: Point,
        coordinate: Coordinate,
        order: int,
        key: int,
    ) -> str:
        """The suggestion that ends the warning (``key``: the point's, for its reference)."""
        if self.remaining <= 0:
            return "; try --method auto"
        self.remaining -= 1
        x = float(np.asarray(point[coordinate.name])[coordinate.index])
        obstacle = complex_step_obstacle(expression, point, coordinate.name)
        function = along(compiled, point, coordinate)
        with np.errstate(all="ignore"):
            found = estimate(function, x, "auto", order, None, obstacle)
            value = float(function(np.array([x]))[0])
            found = bounded(found, expression, point, coordinate, value)
            found = self.references.judged(found, point, coordinate, order, key, function)
        if found.trusted and math.isfinite(found.value):
            return (
                f"; --method auto does better here: {found.value!r} "
                f"(error estimate {found.error:.2g})"
            )
        return f"; --method auto cannot do better here: {untrusted_reason(found.own())}"


def _warnings(
    result: Estimate,
    entry: registry.Method,
    point: Point,
    coordinate: Coordinate,
    x: float,
    better: str = "",
) -> list[str]:
    method = entry.name
    found: list[str] = []
    where = shortened(format_point(point))
    if result.step is not None and _large_step(result, x):
        found.append(large_step_warning(where, result.step, [coordinate.label]))
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
    if _untrusted(result, x):
        found.append(untrusted_warning(where, method, result, better))
    side = result.technique.removeprefix("Richardson (").removesuffix(")")
    if entry.adaptive and side in {"forward", "backward"}:
        found.append(
            f"at {where} the function is defined on one side only: {method} used {side} "
            "(one-sided) differences"
        )
    return found


def _analytic(
    expression: Expression,
    points: Sequence[Point],
    coordinate: Coordinate,
    options: DiffOptions,
    compiled_by_shapes: dict[Any, Compiled],
) -> tuple[str | None, Array, Analytic]:
    """SymPy's derivative and its values, or Taylor-mode AD's values (no formula); the
    values float64, NaN where there is none."""

    def by_ad() -> tuple[None, Array]:
        return None, _by_taylor_mode(compiled_by_shapes, points, coordinate, options.order)

    outcome, symbolic = exact_side(
        options,
        1,
        lambda: analytic.derivatives(
            expression, points, coordinate, options.order, options.analytic_timeout
        ),
        by_ad,
    )
    if outcome is None:
        return None, np.full(len(points), np.nan), symbolic
    text, values = outcome
    return text, values, symbolic


def _by_taylor_mode(
    compiled_by_shapes: dict[Any, Compiled],
    points: Sequence[Point],
    coordinate: Coordinate,
    order: int,
) -> Array:
    """The derivative at every point by Taylor-mode AD (NaN where not finite): points of
    one shape in batches of the evaluator, each batch one pass."""
    values = np.full(len(points), np.nan)
    for key, compiled in compiled_by_shapes.items():
        every = None  # points of one layout of scalars: their columns
        if len(compiled_by_shapes) == 1 and all(shape == () for _, shape in key):
            every, indices = scalar_columns(points), np.arange(len(points))
        else:
            indices = np.array(
                [index for index, point in enumerate(points) if shapes_key(point) == key]
            )
        for start in range(0, len(indices), _POINTS_PER_BATCH):
            batch = indices[start : start + _POINTS_PER_BATCH]
            columns = {
                name: every[name][start : start + _POINTS_PER_BATCH]
                if every is not None
                else np.array([points[index][name] for index in batch.tolist()], dtype=np.float64)
                for name, _ in key
            }
            found = autodiff.derivatives_along(compiled, columns, coordinate, order)
            values[batch] = np.broadcast_to(found, (len(batch),))
    values[~np.isfinite(values)] = np.nan
    return values
