"""``diffcli grad``: every partial derivative at once, numerical beside analytic."""

from __future__ import annotations

import math

import click

from ..cli import CONTEXT_SETTINGS, ExpressionCommand
from ..errors import EXIT_EVALUATION
from ..numerics import DEFAULT_STEP, METHODS
from ._options import analytic_options, expression_argument, output_options, read_points


@click.command(
    cls=ExpressionCommand,
    context_settings=CONTEXT_SETTINGS,
    short_help="Every partial derivative (the gradient).",
    epilog="""\b
Examples:
  diffcli grad "x0**2 + x1**2" --at 3,4 --at 0,2
  diffcli grad "x[0]**2 + x[1]**2" --at x=3,4
  diffcli grad "sum(x**2)" --at 3,4 --format json
  diffcli grad "x*y + sin(y)" --at x=1,y=2 --method forward --h 1e-6
""",
)
@click.argument("expression")
@click.option(
    "--at",
    "points",
    multiple=True,
    required=True,
    metavar="POINT",
    help="Where to take the gradient: 3,4 (x0, x1, … in order, or one vector), x0=3,x1=4, "
    "x=[3,4]. Repeatable.",
)
@click.option(
    "--method",
    type=click.Choice(METHODS),
    default="central",
    show_default=True,
    help="Difference quotient.",
)
@click.option(
    "--h", "step", type=float, default=DEFAULT_STEP, show_default=True, help="Step of the quotient."
)
@analytic_options
@output_options
def grad(
    expression: str,
    points: tuple[str, ...],
    method: str,
    step: float,
    analytic_timeout: float,
    no_analytic: bool,
    output_format: str,
    precision: int | None,
) -> None:
    """The gradient of EXPRESSION by every variable, numerically and analytically."""
    from ..gradients import GradOptions, gradient_report
    from ..render.grad import render_grad

    parsed = expression_argument(expression)
    report = gradient_report(
        parsed,
        read_points(parsed, points),
        GradOptions(method, step, not no_analytic, analytic_timeout),
    )
    render_grad(report, output_format, precision)
    if not all(math.isfinite(value) for row in report.results for _, value, _ in row.components()):
        raise SystemExit(EXIT_EVALUATION)
