"""``diffcli sweep``: forward and central errors for h = 1e-1 … 1e-16, the primer's lesson."""

from __future__ import annotations

import click

from ..catalog import SWEEP_GROUP_POINTS
from ..cli import CONTEXT_SETTINGS, ExpressionCommand
from ._options import (
    PlotRequest,
    analytic_options,
    constants_option,
    coordinate_option,
    expression_argument,
    finish,
    output_options,
    plot_options,
    points_option,
    terminal_options,
    timeout_option,
)


@click.command(
    cls=ExpressionCommand,
    context_settings=CONTEXT_SETTINGS,
    short_help="Errors of forward and central differences as the step h shrinks.",
    epilog="""\b
Examples:
  diffcli sweep "0.01*x**2+0.1*x" --at 5
  diffcli sweep "sin(x)" --at 1 --format json
  diffcli sweep "x0**2 * x1" --at x0=3,x1=4 --wrt x1
  diffcli sweep "a*exp(x)" --at x=1 --set a=2
  diffcli sweep "0.01*x**2+0.1*x" --at 5 --plot sweep.svg
  diffcli sweep "sin(x)" --at 0:3:0.5 -f csv
""",
)
@click.argument("expression")
@points_option("Where to sweep (one sweep a point)", group=SWEEP_GROUP_POINTS)
@constants_option
@coordinate_option
@analytic_options
@output_options
@plot_options()
@terminal_options
@timeout_option
def sweep(
    expression: str,
    points: tuple[str, ...],
    constants: tuple[str, ...],
    wrt: str | None,
    analytic_timeout: float,
    analytic: bool | str,
    output_format: str,
    precision: int | None,
    plot: PlotRequest | None,
) -> None:
    """Show how the step h decides the error: truncation falls, then rounding rises."""
    from ..api import sweep as sweep_of

    parsed = expression_argument(expression)
    if plot is not None:  # refused before any work: a figure shows one point's sweep
        from ..expr.inputs import read_constants, read_points

        count = len(read_points(parsed, points, read_constants(parsed, list(constants))))
        if count > 1:
            raise click.UsageError(
                f"--plot draws the sweep at one point, not {count:,}: give one --at for a figure"
            )
    report = sweep_of(
        parsed,
        points,
        wrt=wrt,
        constants=list(constants),
        analytic=analytic,
        analytic_timeout=analytic_timeout,
    )
    finish(report, output_format, precision, plot)
