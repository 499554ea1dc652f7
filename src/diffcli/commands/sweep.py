"""``diffcli sweep``: forward and central errors for h = 1e-1 … 1e-16, the primer's lesson."""

from __future__ import annotations

import click

from ..cli import CONTEXT_SETTINGS, ExpressionCommand
from ._options import (
    analytic_options,
    constants_option,
    coordinate_option,
    expression_argument,
    output_options,
    read_constants,
    read_points,
    terminal_options,
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
@terminal_options
def sweep(
    expression: str,
    point: str,
    constants: tuple[str, ...],
    wrt: str | None,
    analytic_timeout: float,
    no_analytic: bool,
    output_format: str,
    precision: int | None,
) -> None:
    """Show how the step h decides the error: truncation falls, then rounding rises."""
    from ..render.formats import render
    from ..usecases.prepare import choose_coordinate
    from ..usecases.sweep import sweep as run_sweep

    parsed = expression_argument(expression)
    fixed = read_constants(parsed, constants)
    (bound,) = read_points(parsed, [point], fixed)
    if fixed:  # the one coordinate left free by --set, named as --wrt would name it
        wrt = choose_coordinate(parsed, bound, wrt, tuple(fixed)).label
    report = run_sweep(parsed, bound, wrt, not no_analytic, analytic_timeout)
    render(report, output_format, precision)
