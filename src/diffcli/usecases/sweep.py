"""``sweep``: the errors of forward and central differences as h runs from 1e-1 to 1e-16."""

from __future__ import annotations

import math

import numpy as np

from ..engine import registry
from ..engine.coordinates import along
from ..engine.estimate import estimate
from ..expr.parsing import Expression
from ..expr.points import Point, format_point, format_scalar, shortened
from ..options import DiffOptions, SweepOptions
from ..results import SweepReport, SweepRow, absolute_error
from .diff import differentiate
from .prepare import check_finite, compile_scalar, resolve_coordinate

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
    settings = DiffOptions(
        wrt=options.wrt,
        analytic=options.analytic,
        analytic_timeout=options.analytic_timeout,
        constants=options.constants,
    )
    report = differentiate(expression, [point], settings)
    coordinate = resolve_coordinate(expression, [point], options.wrt, options.constants)
    compiled = compile_scalar(expression, {name: np.shape(v) for name, v in point.items()})
    check_finite(compiled, expression, point)
    function = along(compiled, point, coordinate)
    x = float(np.asarray(point[coordinate.name])[coordinate.index])
    warnings = [w for w in report.warnings if not w.startswith("at ")]
    reference = report.results[0].analytic
    source = "ad" if report.analytic.source == "ad" else "analytic"
    # at a kink there is no derivative to measure the quotients against (diff warned of it)
    kink = report.results[0].is_kink
    if reference is None and not kink:
        with np.errstate(all="ignore"):
            best = estimate(function, x, "auto")
        reference = best.value if math.isfinite(best.value) else None
        source = "auto"
        warnings.append(
            "no analytic value: the errors are measured against the auto estimate "
            f"{best.value!r} (estimated error {best.error:.3g})"
        )
    rows: list[SweepRow] = []
    swept = registry.names("sweep")
    with np.errstate(all="ignore"):
        for step in STEPS:
            # the report's columns: the methods the registry gives ``sweep``, in its order
            forward, central = (estimate(function, x, name, 1, step).value for name in swept)
            rows.append(
                SweepRow(
                    step,
                    forward,
                    absolute_error(forward, reference),
                    central,
                    absolute_error(central, reference),
                    "kink" if kink else "",
                )
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
    return SweepReport(
        expression.text,
        coordinate.label,
        point,
        reference,
        source,
        tuple(rows),
        _best([(row.step, row.forward_error) for row in rows]),
        _best([(row.step, row.central_error) for row in rows]),
        EXPLANATION,
        tuple(warnings),
    )


def _best(errors: list[tuple[float, float | None]]) -> float | None:
    finite = [(error, step) for step, error in errors if error is not None and math.isfinite(error)]
    return min(finite)[1] if finite else None
