"""``diffcli hessian``: the matrix of second derivatives, numerical beside analytic."""

from __future__ import annotations

import click

from ..catalog import MAX_ADAPTIVE_HESSIAN_COORDINATES
from ..cli import CONTEXT_SETTINGS, ExpressionCommand
from ._methods import method_option
from ._options import (
    analytic_options,
    constants_option,
    expression_argument,
    finish,
    output_options,
    points_option,
    terminal_options,
    timeout_option,
    variables_option,
)


@click.command(
    cls=ExpressionCommand,
    context_settings=CONTEXT_SETTINGS,
    short_help="Every second derivative (the Hessian).",
    epilog="""\b
Examples:
  diffcli hessian "x0**2*x1 + sin(x1)" --at 1.5,0.5
  diffcli hessian "exp(x0)*x1**3" --at x0=0,x1=2 --format json
  diffcli hessian "sum(x**2)" --at 3,4 --h 1e-3
  diffcli hessian "exp(x0)*x1**3" --at 0.3,2 --method auto
  diffcli hessian "x*y**2 + z" --at x=1,y=2,z=3 --wrt x --wrt y
""",
)
@click.argument("expression")
@points_option("Where to take the Hessian")
@method_option(
    "hessian",
    note=f" (adaptive: every entry with an error estimate, at most "
    f"{MAX_ADAPTIVE_HESSIAN_COORDINATES} coordinates).",
)
@click.option(
    "--h",
    "step",
    type=float,
    default=None,
    help="Step of the central second differences (> 0) [default: 1e-4]. Only for --method central.",
)
@constants_option
@variables_option
@analytic_options
@output_options
@terminal_options
@timeout_option
def hessian(
    expression: str,
    points: tuple[str, ...],
    constants: tuple[str, ...],
    variables: tuple[str, ...],
    method: str,
    step: float | None,
    analytic_timeout: float,
    analytic: bool | str,
    output_format: str,
    precision: int | None,
) -> None:
    """The Hessian of EXPRESSION (second and mixed central differences, or adaptive with
    error estimates) beside SymPy's."""
    from ..api import hessian as hessian_of

    report = hessian_of(
        expression_argument(expression),
        list(points),
        wrt=variables,
        method=method,
        h=step,
        constants=list(constants),
        analytic=analytic,
        analytic_timeout=analytic_timeout,
    )
    finish(report, output_format, precision)
