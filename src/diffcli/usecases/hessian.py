"""``hessian``: second derivatives by every pair of coordinates, numerical beside analytic."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..catalog import MAX_ADAPTIVE_HESSIAN_COORDINATES
from ..engine import analytic, autodiff, registry
from ..engine.autodiff.derivatives import hessian_at_points as ad_hessian_at_points
from ..engine.coordinates import BatchFunction, along, along_line, coordinates
from ..engine.estimate import (
    NOISY,
    Estimate,
    estimate,
    noise_at_points,
    real_noise,
)
from ..engine.kernel import SecondDifferences, hessian_at_points, second_differences
from ..engine.kinks import batched_kinks, kink_suspects
from ..engine.methods.fixed_step import columns_function, halving_bounds, out_of_range
from ..engine.methods.richardson import power_of_two
from ..engine.quotients import EPSILON, trusted
from ..errors import InputError, param
from ..expr.compiling import Compiled
from ..expr.parsing import Expression
from ..expr.points import Array, Point
from ..options import HessianOptions
from ..results import Analytic, HessianReport, HessianRow, HessianRows
from .exact import exact_side
from .notes import (
    MAX_POINT_WARNINGS,
    EstimateNotes,
    capped,
    kink_notes,
    large_step_warnings,
    short_point,
    step_too_large,
    step_warnings,
    untrusted_reason,
    untrusted_values_warning,
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
                coarse = second_differences(compiled, point, names, options.step)
                fine = second_differences(compiled, point, names, options.step / 2)
            numerical = coarse.values
            vanished = step_warnings(point, names, "central", options.step)
            large = large_step_warnings(point, names, options.step)
            warnings += vanished + large
            kinks: tuple[str, ...] = ()
            if kink_suspects(expression):
                kinks, notes = _clear_kinks(numerical, compiled, point, names, options.step)
                warnings += notes
            if not np.all(np.isfinite(numerical) | _kink_mask(labels, kinks)):
                warnings.append(
                    f"at {short_point(point)} some second differences are not finite: "
                    "the expression is not finite within h of the point"
                )
            entries: list[tuple[int, int]] = []
            if not (large or vanished):
                judged = _judged_at_point(compiled, point, names, coarse, fine, options.step)
                entries = judged.untrusted(0, _kink_mask(labels, kinks))
                if entries:
                    warnings.append(judged.warning(short_point(point), 0, labels, entries))
            # a far too large step leaves finite but meaningless entries: say so in the row
            finite = np.all(np.isfinite(numerical))
            status = "unreliable" if (large or entries) and not kinks and finite else ""
            rows.append(
                HessianRow(
                    point, labels, numerical, None, _evaluations(size), kinks=kinks, status=status
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
        coarse = hessian_at_points(compiled, columns, names, step)
        fine = hessian_at_points(compiled, columns, names, step / 2)
    matrices = coarse.values
    judged = _JudgedHessian(coarse, fine, step)
    _measure_noise(judged, compiled, columns, names)
    finite = np.isfinite(matrices).all(axis=(1, 2))
    flagged = ~finite
    for name in names:
        value = columns[name]
        flagged |= (value + step == value) | (value - step == value)
        flagged |= step_too_large(step, value)
    statuses: dict[int, str] = {}
    for index in np.flatnonzero(flagged).tolist():
        point = points[index]
        large = large_step_warnings(point, names, step)
        warnings += step_warnings(point, names, "central", step) + large
        if not finite[index]:
            warnings.append(
                f"at {short_point(point)} some second differences are not finite: "
                "the expression is not finite within h of the point"
            )
        elif large:
            statuses[index] = "unreliable"
    # the other points with an entry that cannot be trusted: a warning for the first few
    untrusted = np.flatnonzero(~flagged & ~judged.trusted.all(axis=(1, 2))).tolist()
    statuses.update(dict.fromkeys(untrusted, "unreliable"))
    written = [
        judged.warning(short_point(points[index]), index, names, judged.untrusted(index))
        for index in untrusted[:MAX_POINT_WARNINGS]
    ]
    warnings += capped(written, total=len(untrusted))
    evaluations = _evaluations(len(names))
    return compiled, HessianRows(points, columns, names, matrices, evaluations, statuses)


def _judged_at_point(
    compiled: Compiled,
    point: Point,
    names: tuple[str, ...],
    coarse: SecondDifferences,
    fine: SecondDifferences,
    step: float,
) -> _JudgedHessian:
    """The central Hessian at one point judged, f's noise measured where it decides."""
    judged = _JudgedHessian(coarse, fine, step)
    found = coordinates(point, names)

    def line(k: int) -> tuple[BatchFunction, float]:
        value = float(np.asarray(point[found[k].name])[found[k].index])
        return along(compiled, point, found[k]), value

    judged.checked_lines(line, 0)
    return judged


def _measure_noise(
    judged: _JudgedHessian,
    compiled: Compiled,
    columns: dict[str, Array],
    names: tuple[str, ...],
) -> None:
    """``judged.distrust_noisy`` with f's noise along each coordinate, measured at once at
    the points where an entry in that coordinate's row is trusted only as zero."""
    noise = np.zeros(judged.noise.shape)
    for k, name in enumerate(names):
        which = np.flatnonzero(judged.zero_only[:, k, :].any(axis=1))
        if which.size:
            chosen = {other: column[which] for other, column in columns.items()}
            function = columns_function(compiled, chosen, name)
            with np.errstate(all="ignore"):
                noise[which, k] = noise_at_points(function, chosen[name])
    judged.distrust_noisy(noise)


def _evaluations(size: int) -> int:
    """What the central Hessian of ``size`` coordinates costs: f at the point and at 2n²
    moved points, at h and again at h/2 (its error estimate)."""
    return 2 * (1 + 2 * size * size)


class _JudgedHessian:
    """Which entries of central Hessians can be trusted: ``fixed_step``'s rule (the gap to
    the same differences at h/2, and the rounding of f's values), entry by entry."""

    def __init__(self, coarse: SecondDifferences, fine: SecondDifferences, step: float) -> None:
        """``coarse`` at h, ``fine`` at h/2: one matrix, or one per point."""
        self.values = np.asarray(coarse.values)
        self.rounding = np.asarray(coarse.rounding)
        self.step = step
        with np.errstate(all="ignore"):
            gap = np.abs(self.values - fine.values)
            truncation = gap / (1 - 2.0**-2)
            unusable = out_of_range(self.values, truncation, self.rounding)
            self.errors, likely = halving_bounds(truncation, self.rounding, unusable)
            # h = 1e-4 leaves second differences near their rounding limit: the bound
            # 8ε|f|/h² (2ε per value) is 1.6e-6 of sin''(2) = 0.91, the error made 2.8e-7.
            # The gap to h/2 measures the rounding made: at h/2 it is four times h's, so a gap
            # within the rounding of values rounded once (ε/2 each) at both steps is about
            # three times h's error; the rest of the gap is truncation
            once = ROUNDED_ONCE * (self.rounding + fine.rounding)
            rounding_made = np.maximum(
                np.minimum(gap, once) / ROUNDING_GAP, ROUNDED_ONCE * self.rounding
            )
            made = rounding_made + np.maximum(gap - once, 0.0) / (1 - 2.0**-2)
            self.likely = np.where(unusable, likely, made)
            # zero to within rounding is judged by the bound, as for every method
            found = trusted(self.values, self.likely, 0.0) | trusted(
                self.values, likely, self.rounding
            )
            #: the entries of the size of f's rounding, whose value says nothing where f is
            #: noisy (``distrust_noisy``)
            self.zero_only = found & (np.abs(self.values) <= self.rounding)
        self.trusted = np.asarray(found | ~np.isfinite(self.values))
        self.noise = np.zeros(self.values.shape[:-1])

    def distrust_noisy(self, noise: Array) -> None:
        """Distrust the entries trusted only as zero where f's values are noisy along either
        coordinate (``noise``: f's relative noise along each coordinate, ``values``' shape
        without the last axis): a flat-looking f of 1e8 (``sin(x0) + x0`` at 1e8) rounds
        away its change over h, and its differences are 0 at every step."""
        self.noise = noise
        noisy = noise > NOISY * EPSILON
        either = noisy[..., :, np.newaxis] | noisy[..., np.newaxis, :]
        self.trusted = self.trusted & ~(self.zero_only & either)

    def checked_lines(
        self, lines: Callable[[int], tuple[BatchFunction, float]], index: int
    ) -> None:
        """``distrust_noisy`` for matrix ``index`` of the points (0 for a single matrix),
        measuring f's noise (``real_noise``) along the coordinates of its zero-only entries;
        ``lines(k)``: f along coordinate k at that point, and the coordinate's value."""
        zero_only = self.zero_only if self.zero_only.ndim == 2 else self.zero_only[index]
        wanted = np.flatnonzero(zero_only.any(axis=0))
        if not wanted.size:
            return
        noise = np.array(self.noise, dtype=np.float64)
        row = noise if noise.ndim == 1 else noise[index]
        for k in wanted.tolist():
            with np.errstate(all="ignore"):
                row[k] = real_noise(*lines(k))[0]
        self.distrust_noisy(noise)

    def untrusted(self, index: int, cleared: Array | None = None) -> list[tuple[int, int]]:
        """The entries (i <= j) of matrix ``index`` (0 for a single matrix) not trusted,
        other than where ``cleared`` (kinks)."""
        trusted_here = self.trusted if self.trusted.ndim == 2 else self.trusted[index]
        if cleared is not None:
            trusted_here = trusted_here | cleared
        return [(int(i), int(j)) for i, j in zip(*np.nonzero(~trusted_here)) if i <= j]

    def warning(
        self, where: str, index: int, labels: tuple[str, ...], entries: list[tuple[int, int]]
    ) -> str:
        """The warning naming ``entries`` of matrix ``index`` and why they are not trusted."""
        reasons: dict[str, None] = {}
        names = []
        for i, j in entries:
            key = (i, j) if self.values.ndim == 2 else (index, i, j)
            names.append(f"({labels[i]})" if i == j else f"({labels[i]},{labels[j]})")
            noise = self.noise if self.values.ndim == 2 else self.noise[index]
            estimate = Estimate(
                float(self.values[key]),
                float(self.errors[key]),
                0,
                self.step,
                "central",
                rounding=float(self.rounding[key]),
                noise=float(max(noise[i], noise[j])),
                likely_error=float(self.likely[key]),
            )
            reasons[untrusted_reason(estimate)] = None
        return untrusted_values_warning(where, "central", names, reasons, _TRY_AUTO)


#: The share of the rounding bound (2ε per value) that values rounded once (ε/2) reach.
ROUNDED_ONCE = 0.25

#: A gap between second differences at h and h/2 made by rounding alone is about this many
#: times the error at h (the error at h/2 being four times it, of either sign: 3 to 5).
ROUNDING_GAP = 3.0

#: What the warning on an untrusted central Hessian suggests.
_TRY_AUTO = "; try --method auto (an adaptive estimate of each entry)"


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
                # the rounding part and the most likely error are in w's units too: left
                # scaled, a zero to within rounding of w would be judged against a bound
                # a_i a_j times too small
                rounding=_unscaled(result.rounding, first, second),
                likely_error=None
                if result.likely_error is None
                else _unscaled(result.likely_error, first, second),
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
