"""``diffcli sweep``: forward and central errors for h = 1e-1 … 1e-16, the primer's lesson."""

from __future__ import annotations

import click

from ..cli import CONTEXT_SETTINGS, ExpressionCommand
from ._options import analytic_options, expression_argument, output_options, read_points


@click.command(
    cls=ExpressionCommand,
    context_settings=CONTEXT_SETTINGS,
    epilog="""\b
Examples:
  diffcli sweep "0.01*x**2+0.1*x" --at 5
  diffcli sweep "sin(x)" --at 1 --format json
""",
)
@click.argument("expression")
@click.option(
    "--at",
    "point",
    required=True,
    metavar="POINT",
    help="Where to differentiate (one point): 5, x=5, x0=3,x1=4.",
)
@click.option(
    "--wrt",
    metavar="NAME",
    help="The variable to differentiate by: x0, x[1] (default: the only one).",
)
@analytic_options
@output_options
def sweep(
    expression: str,
    point: str,
    wrt: str | None,
    analytic_timeout: float,
    no_analytic: bool,
    output_format: str,
    precision: int | None,
) -> None:
    """Show how the step h decides the error: truncation falls, then rounding rises."""
    from ..render.sweep import render_sweep
    from ..usecases.sweep import sweep as run_sweep

    parsed = expression_argument(expression)
    (bound,) = read_points(parsed, [point])
    report = run_sweep(parsed, bound, wrt, not no_analytic, analytic_timeout)
    render_sweep(report, output_format, precision)
