"""``diffcli sweep``: forward and central errors for h = 1e-1 … 1e-16, the primer's lesson."""

from __future__ import annotations

import click

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
@points_option("Where to sweep (one sweep a point)")
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
    from ..results import SweepsReport

    report = sweep_of(
        expression_argument(expression),
        points,
        wrt=wrt,
        constants=list(constants),
        analytic=analytic,
        analytic_timeout=analytic_timeout,
    )
    if plot is not None and isinstance(report, SweepsReport):
        raise click.UsageError(
            f"--plot draws the sweep at one point, not {len(report.sweeps):,}: "
            "give one --at for a figure"
        )
    finish(report, output_format, precision, plot)
