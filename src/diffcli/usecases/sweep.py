"""``sweep``: the errors of forward and central differences as h runs from 1e-1 to 1e-16."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..catalog import SWEEP_MOST_POINTS
from ..engine import registry
from ..engine.coordinates import along
from ..engine.estimate import estimate
from ..engine.methods.fixed_step import values_at_steps
from ..errors import InputError, param
from ..expr.compiling import Compiled
from ..expr.parsing import Expression
from ..expr.points import Point, format_point, format_scalar, shortened
from ..options import DiffOptions, SweepOptions
from ..results import SweepReport, SweepRow, SweepsReport, absolute_error
from .diff import differentiate
from .notes import about_one_point, capped
from .prepare import check_finite, compile_scalar, resolve_coordinate, shapes_key

#: The steps of the sweep: 1e-1, 1e-2, …, 1e-16.
STEPS = tuple(10.0**-k for k in range(1, 17))
EXPLANATION = (
    "The error first falls as h shrinks because the truncation error does (∝ h forward, "
    "∝ h² central); past the best h it rises because f(x+h) and f(x) agree in more and more "
    "digits, so rounding (≈ ε·|f|/h) takes over."
)


def sweep(
    expression: Expression,
    point: Point,
    options: SweepOptions = SweepOptions(),
) -> SweepReport:
    """Forward and central differences at every step of ``STEPS``, against a reference.

    The reference is the exact derivative (SymPy's, or AD's: ``reference_source`` ``ad``);
    without one (``analytic`` False, a timeout, a
    failure) it is the ``auto`` estimate, and the report says so.

    Raises:
        InputError: a bad ``wrt`` or an expression that is not a scalar.
        EvaluationError: the expression has no finite value at the point.
    """
    (report,) = _sweeps(expression, [point], options)
    return report


def sweeps(
    expression: Expression,
    points: Sequence[Point],
    options: SweepOptions = SweepOptions(),
) -> SweepsReport:
    """``sweep`` at each of ``points``, in order: the exact derivative found once for all of
    them (as ``diff`` finds it across points), each point's quotients from one evaluation.

    Raises:
        InputError: a bad ``wrt``, an expression that is not a scalar, or more than
            ``SWEEP_MOST_POINTS`` points.
        EvaluationError: the expression has no finite value at one of the points.
    """
    if len(points) > SWEEP_MOST_POINTS:
        raise InputError(
            f"{param('at')}: sweep takes at most {SWEEP_MOST_POINTS:,} points in one command "
            f"(16 rows each), got {len(points):,}: stream them (--at - or --points) to csv, "
            "tsv, jsonl or value"
        )
    reports = _sweeps(expression, points, options)
    shared: dict[str, None] = {}  # the derivation's, the same at every point: each given once
    own: list[str] = []  # each point's: the first few written, the rest counted
    estimated = 0  # points measured against the auto estimate (each sweep's JSON says so)
    for report in reports:
        for warning in report.warnings:
            if warning.startswith(_NO_ANALYTIC):
                estimated += 1
            elif about_one_point(warning):
                own.append(warning)
            else:
                shared[warning] = None
    if estimated:
        shared[
            f"{_NO_ANALYTIC} at {estimated:,} of the {len(reports):,} points "
            "(each sweep's reference and its estimated error: -f json)"
        ] = None
    warnings = (*shared, *capped(own))
    return SweepsReport(expression.text, reports[0].variable, tuple(reports), warnings)


#: How the warning of a sweep measured against the ``auto`` estimate begins.
_NO_ANALYTIC = "no analytic value: the errors are measured against the auto estimate"


def _sweeps(
    expression: Expression, points: Sequence[Point], options: SweepOptions
) -> list[SweepReport]:
    """One sweep report per point."""
    settings = DiffOptions(
        wrt=options.wrt,
        analytic=options.analytic,
        analytic_timeout=options.analytic_timeout,
        constants=options.constants,
    )
    report = differentiate(expression, points, settings)
    coordinate = resolve_coordinate(expression, points, options.wrt, options.constants)
    # diff's warnings about its own quotients at each point are not the sweep's
    shared = [w for w in report.warnings if not about_one_point(w)]
    source = "ad" if report.analytic.source == "ad" else "analytic"
    swept = registry.names("sweep")  # the report's columns, in the registry's order
    compiled_by_shapes: dict[Any, Compiled] = {}
    reports = []
    for point, result in zip(points, report.results):
        key = shapes_key(point)
        if key not in compiled_by_shapes:
            compiled_by_shapes[key] = compile_scalar(expression, dict(key))
        compiled = compiled_by_shapes[key]
        check_finite(compiled, expression, point)
        function = along(compiled, point, coordinate)
        x = float(np.asarray(point[coordinate.name])[coordinate.index])
        warnings = list(shared)
        reference = result.analytic
        reference_source = source
        # at a kink there is no derivative to measure the quotients against (diff warned of it)
        kink = result.is_kink
        if reference is None and not kink:
            with np.errstate(all="ignore"):
                best = estimate(function, x, "auto")
            reference = best.value if math.isfinite(best.value) else None
            reference_source = "auto"
            warnings.append(f"{_NO_ANALYTIC} {best.value!r} (estimated error {best.error:.3g})")
        with np.errstate(all="ignore"):
            forwards, centrals = (values_at_steps(function, x, name, STEPS) for name in swept)
        rows = tuple(
            SweepRow(
                step,
                forward,
                absolute_error(forward, reference),
                central,
                absolute_error(central, reference),
                "kink" if kink else "",
            )
            for step, forward, central in zip(STEPS, forwards.tolist(), centrals.tolist())
        )
        overflowed = [
            format_scalar(row.step)
            for row in rows
            if not (math.isfinite(row.forward) and math.isfinite(row.central))
        ]
        if overflowed:
            warnings.append(
                f"at {shortened(format_point(point))} a quotient is not finite for h = "
                f"{', '.join(overflowed)}: the expression is not finite within h of the point"
            )
        reports.append(
            SweepReport(
                expression.text,
                coordinate.label,
                point,
                reference,
                reference_source,
                rows,
                _best([(row.step, row.forward_error) for row in rows]),
                _best([(row.step, row.central_error) for row in rows]),
                EXPLANATION,
                tuple(warnings),
            )
        )
    return reports


def _best(errors: list[tuple[float, float | None]]) -> float | None:
    finite = [(error, step) for step, error in errors if error is not None and math.isfinite(error)]
    return min(finite)[1] if finite else None
