"""``hessian``: second derivatives by every pair of coordinates, numerical beside analytic."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..catalog import MAX_ADAPTIVE_HESSIAN_COORDINATES
from ..engine import analytic, autodiff, registry
from ..engine.autodiff.derivatives import hessian_at_points as ad_hessian_at_points
from ..engine.coordinates import along, along_line, coordinates
from ..engine.estimate import Estimate, estimate
from ..engine.kernel import hessian, hessian_at_points
from ..engine.kinks import batched_kinks, kink_suspects
from ..engine.methods.richardson import power_of_two
from ..errors import InputError, param
from ..expr.compiling import Compiled
from ..expr.parsing import Expression
from ..expr.points import Array, Point
from ..options import HessianOptions
from ..results import Analytic, HessianReport, HessianRow, HessianRows
from .exact import exact_side
from .notes import (
    EstimateNotes,
    kink_notes,
    large_step_warnings,
    short_point,
    step_too_large,
    step_warnings,
)
from .prepare import (
    compiled_columns,
    compiled_points,
    complex_obstacles,
    differentiated,
    kink_near,
    one_scalar_layout,
)

#: A Hessian has n² entries and needs about 2n² evaluations: past this many coordinates, refuse.
MAX_HESSIAN_COORDINATES = 300


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
    central = registry.method(options.method).batched
    names = differentiated(expression, options.wrt)
    limit = MAX_HESSIAN_COORDINATES if central else MAX_ADAPTIVE_HESSIAN_COORDINATES
    warnings: list[str] = []
    across = central and len(names) <= limit and one_scalar_layout(points)
    if across and not kink_near(expression, points, names):
        compiled, batched = _rows_across_points(expression, points, names, options.step, warnings)
        analytic_values, symbolic = _analytic_hessians(
            expression, points, [compiled] * len(points), names, options, batched.columns
        )
        warnings += _analytic_failure(symbolic)
        return HessianReport(
            expression.text,
            names,
            options.step,
            symbolic,
            _with_analytic(batched, analytic_values, warnings),
            tuple(warnings),
            options.method,
        )
    rows: list[HessianRow] = []
    compiled_at: list[Compiled] = []
    for point, compiled in compiled_points(expression, points):
        compiled_at.append(compiled)
        labels = tuple(coordinate.label for coordinate in coordinates(point, names))
        size = len(labels)
        if size > limit:
            raise InputError(
                f"at {short_point(point)} the Hessian would have {size}×{size} entries; "
                f"at most {limit} coordinates are supported"
                + ("" if central else f" by {param('method')} {options.method}")
            )
        if central:
            with np.errstate(all="ignore"):
                numerical = hessian(compiled, point, names, options.step)
            warnings += step_warnings(point, names, "central", options.step)
            large = large_step_warnings(point, names, options.step)
            warnings += large
            kinks: tuple[str, ...] = ()
            if kink_suspects(expression):
                kinks, notes = _clear_kinks(numerical, compiled, point, names, options.step)
                warnings += notes
            if not np.all(np.isfinite(numerical) | _kink_mask(labels, kinks)):
                warnings.append(
                    f"at {short_point(point)} some second differences are not finite: "
                    "the expression is not finite within h of the point"
                )
            # a far too large step leaves finite but meaningless entries: say so in the row
            status = "unreliable" if large and not kinks and np.all(np.isfinite(numerical)) else ""
            rows.append(
                HessianRow(
                    point, labels, numerical, None, 1 + 2 * size * size, kinks=kinks, status=status
                )
            )
            continue
        estimated = adaptive_hessian(expression, compiled, point, names, options.method)
        warnings += estimated.warnings
        untrusted = estimated.untrusted and bool(np.all(np.isfinite(estimated.value)))
        rows.append(
            HessianRow(
                point,
                labels,
                estimated.value,
                None,
                estimated.evaluations,
                estimated.error,
                status="unreliable" if untrusted else "",
            )
        )
    analytic_values, symbolic = _analytic_hessians(expression, points, compiled_at, names, options)
    warnings += _analytic_failure(symbolic)
    rows = [
        replace(row, analytic=_cleared(values, _kink_mask(row.labels, row.kinks)))
        for row, values in zip(rows, analytic_values)
    ]
    for row in rows:
        reported = _kink_mask(row.labels, row.kinks)
        if row.analytic is not None and np.any(np.isnan(row.analytic) & ~reported):
            warnings.append(
                f"at {short_point(row.at)} some analytic second derivatives are not real numbers"
            )
    return HessianReport(
        expression.text,
        names,
        options.step if central else None,
        symbolic,
        tuple(rows),
        tuple(warnings),
        options.method,
    )


def _rows_across_points(
    expression: Expression,
    points: Sequence[Point],
    names: tuple[str, ...],
    step: float,
    warnings: list[str],
) -> tuple[Compiled, HessianRows]:
    """The central Hessian at every point of scalar variables, each evaluation batched
    across the points (``hessian_at_points``): the same rows, to the last bit, as point by
    point. Appends the warnings, point by point, to ``warnings``.

    Raises:
        EvaluationError: the expression has no finite value at one of the points.
    """
    compiled, columns, _ = compiled_columns(expression, points)
    with np.errstate(all="ignore"):
        matrices = hessian_at_points(compiled, columns, names, step)
    finite = np.isfinite(matrices).all(axis=(1, 2))
    flagged = ~finite
    for name in names:
        value = columns[name]
        flagged |= (value + step == value) | (value - step == value)
        flagged |= step_too_large(step, value)
    statuses: dict[int, str] = {}
    for index in np.flatnonzero(flagged).tolist():
        point = points[index]
        warnings += step_warnings(point, names, "central", step)
        large = large_step_warnings(point, names, step)
        warnings += large
        if not finite[index]:
            warnings.append(
                f"at {short_point(point)} some second differences are not finite: "
                "the expression is not finite within h of the point"
            )
        elif large:
            statuses[index] = "unreliable"
    evaluations = 1 + 2 * len(names) ** 2
    return compiled, HessianRows(points, columns, names, matrices, evaluations, statuses)


def _analytic_failure(symbolic: Analytic) -> list[str]:
    """The warning where the analytic side ran and gave no Hessian."""
    if symbolic.status in {"ok", "skipped"}:
        return []
    return [f"no analytic Hessian: {symbolic.reason}"]


def _with_analytic(
    rows: HessianRows, values: Sequence[Array | None], warnings: list[str]
) -> HessianRows:
    """The rows with the analytic side's matrices (None: it gave none). Appends a warning
    for each point where some entry is not a real number."""
    if len(values) == 0 or values[0] is None:
        return rows
    analytic = np.asarray(values, dtype=np.float64)
    for index in np.flatnonzero(np.isnan(analytic).any(axis=(1, 2))).tolist():
        warnings.append(
            f"at {short_point(rows.points[index])} some analytic second derivatives are not "
            "real numbers"
        )
    return HessianRows(
        rows.points,
        rows.columns,
        rows.labels,
        rows.numerical,
        rows.evaluations,
        rows.given_statuses,
        analytic,
    )


@dataclass(frozen=True)
class AdaptiveHessian:
    """A Hessian estimated entry by entry: values, error estimates, total evaluations."""

    value: Array
    error: Array
    evaluations: int
    warnings: list[str]
    #: Some entry cannot be trusted (``Estimate.trusted``).
    untrusted: bool


def adaptive_hessian(
    expression: Expression,
    compiled: Compiled,
    point: Point,
    names: tuple[str, ...],
    method: str,
) -> AdaptiveHessian:
    """The Hessian by an adaptive method of the registry (``estimate``), entry by entry.

    A diagonal entry is the second derivative along its coordinate. A mixed entry comes
    from the second derivative of ``w(t) = (f(x + t(a_i e_i + a_j e_j)) - f(x + t(a_i e_i -
    a_j e_j))) / 4``, which is ``a_i a_j ∂²f/∂x_i∂x_j`` (the pure second derivatives cancel);
    its central second difference is the textbook mixed stencil, and Richardson
    extrapolation (or the complex step, for ``auto``) carries it to full accuracy. The
    scales ``a = 2**floor(log2(max(1, |x|)))`` make the steps follow the coordinates' size
    and divide out exactly; where that finds nothing sound and a coordinate has
    ``0 < |x| < 1`` (``log``, ``sqrt`` near 0), the entry is taken again with ``|x|`` as that
    coordinate's scale, as ``richardson`` does in one variable. Each mixed entry is
    computed once and mirrored: the matrix is exactly symmetric.
    """
    obstacles = complex_obstacles(expression, point, names, method)
    found = coordinates(point, names)
    flat = np.array([float(np.asarray(point[c.name])[c.index]) for c in found])
    size = len(found)
    value = np.zeros((size, size))
    error = np.zeros((size, size))
    evaluations = 0
    notes = EstimateNotes()
    for i, first in enumerate(found):
        for j in range(i, size):
            obstacle = obstacles[first.name] or obstacles[found[j].name]
            with np.errstate(all="ignore"):
                if i == j:
                    function = along(compiled, point, first)
                    result = estimate(function, float(flat[i]), method, 2, None, obstacle)
                else:
                    result = _mixed_entry(compiled, point, names, flat, i, j, method, obstacle)
            value[i, j] = value[j, i] = result.value
            error[i, j] = error[j, i] = result.error
            evaluations += result.evaluations
            label = first.label if i == j else f"{first.label},{found[j].label}"
            notes.add(f"({label})", result)
    return AdaptiveHessian(
        value, error, evaluations, notes.warnings(point, method), bool(notes.untrusted)
    )


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
) -> Estimate:
    """``∂²f/∂x_i∂x_j`` from ``w(t)`` (see ``adaptive_hessian``), scaled back."""
    tries = [np.array([power_of_two(max(1.0, abs(x))) for x in flat])]
    if any(0 < abs(flat[k]) < 1 for k in (i, j)):
        small = tries[0].copy()
        for k in (i, j):
            if 0 < abs(flat[k]) < 1:
                small[k] = power_of_two(abs(flat[k]))
        tries.append(small)
    results = []
    for scales in tries:
        function = _mixed_line(compiled, point, names, len(flat), i, j, scales)
        result = estimate(function, 0.0, method, 2, None, obstacle)
        first, second = float(scales[i]), float(scales[j])
        results.append(
            replace(
                result,
                value=_unscaled(result.value, first, second),
                error=_unscaled(result.error, first, second),
                left=None if result.left is None else _unscaled(result.left, first, second),
                right=None if result.right is None else _unscaled(result.right, first, second),
            )
        )
        if result.is_kink or result.error <= _SOUND * abs(result.value):
            break
    # the error estimates are inf where nothing was sound, never NaN
    best = min(results, key=lambda result: result.error)
    return replace(best, evaluations=sum(result.evaluations for result in results))


def _unscaled(value: float, first: float, second: float) -> float:
    """``value / (first * second)`` for power-of-two scales, one at a time: as exact, and no
    product to underflow to 0 (2**-997 * 2**-997 at x = 1e-300) or overflow."""
    return value / first / second


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
    notes = kink_notes(batched_kinks(compiled, point, names, step))
    labels = tuple(coordinate.label for coordinate in coordinates(point, names))
    kinks = tuple(label for label in labels if label in notes.kink_values)
    matrix[_kink_mask(labels, kinks)] = math.nan
    warnings = notes.warnings(point, "central")
    return kinks, [warning + "; no second derivative involves them" for warning in warnings]


def _analytic_hessians(
    expression: Expression,
    points: Sequence[Point],
    compiled_at: Sequence[Compiled],
    names: tuple[str, ...],
    options: HessianOptions,
    columns: Mapping[str, Array] | None = None,
) -> tuple[Sequence[Array | None], Analytic]:
    """SymPy's Hessians, or forward-over-reverse AD's (NaN where not finite); ``columns``:
    the points' variables as columns, where they are all scalars (AD's pass then takes
    them all at once)."""

    def by_ad() -> Sequence[Array]:
        if columns is not None:
            matrices = ad_hessian_at_points(compiled_at[0], columns, names)
            matrices[~np.isfinite(matrices)] = np.nan
            return matrices  # type: ignore[no-any-return]
        found = []
        for point, compiled in zip(points, compiled_at):
            matrix = np.array(autodiff.hessian(compiled, point, names), dtype=np.float64)
            matrix[~np.isfinite(matrix)] = np.nan
            found.append(matrix)
        return found

    count = len(coordinates(points[0], names)) if points else 0
    outcome, symbolic = exact_side(
        options,
        count,
        lambda: analytic.hessians(expression, points, names, options.analytic_timeout),
        by_ad,
    )
    if outcome is None:
        return [None] * len(points), symbolic
    return outcome, symbolic
