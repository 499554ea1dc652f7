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
@constants_option
@coordinate_option
@analytic_options
@output_options
@plot_options()
@terminal_options
@timeout_option
def sweep(
    expression: str,
    point: str,
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

    report = sweep_of(
        expression_argument(expression),
        point,
        wrt=wrt,
        constants=list(constants),
        analytic=analytic,
        analytic_timeout=analytic_timeout,
    )
    finish(report, output_format, precision, plot)
