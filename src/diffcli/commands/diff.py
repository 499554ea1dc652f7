"""``diffcli diff``: the derivative by one variable, numerical beside analytic."""

from __future__ import annotations

import click

from ..cli import CONTEXT_SETTINGS, ExpressionCommand
from ._methods import method_option
from ._one_point import DEFAULT_VALUE_QUERY, value_at_one_point
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
    rendered_plainly,
    terminal_options,
    timeout_option,
)


@click.command(
    cls=ExpressionCommand,
    context_settings=CONTEXT_SETTINGS,
    short_help="The derivative by one variable, numerical beside analytic.",
    epilog="""\b
Examples:
  diffcli diff "0.01*x**2+0.1*x" --at 5 --at 10
  diffcli diff "x0**2 + x1**2" --wrt x0 --at x0=3,x1=4
  diffcli diff "x[0]**2 + x[1]**2" --wrt "x[1]" --at 3,4
  diffcli diff "0.01*x**2+0.1*x" --at 5 --method forward --h 1e-50
  diffcli diff "-x^2" --at 1 --format json
  diffcli diff "cross_entropy(softmax(x @ W), t)" --wrt "W[0,1]" \\
      --at 'W=[[0.1,0.2,0.3],[0.4,0.5,0.6]]' --set x=[0.6,0.9] --set t=[0,0,1]
  diffcli diff "sin(x)" --at 1 --method all
  diffcli diff "sqrt(x)" --at 1e-6 --method auto
  diffcli diff "exp(x)" --at 0 --order 4 --method richardson
  diffcli diff "0.01*x**2+0.1*x" --at 5 --at 10 --plot tangents.png
""",
)
@click.argument("expression")
@points_option("Where to differentiate")
@constants_option
@coordinate_option
@method_option("diff", extra=("all",), note="; all: one row each.")
@click.option(
    "--h",
    "step",
    type=float,
    default=None,
    help="Step of a fixed-step quotient [default: 1e-4 for first derivatives]; the largest "
    "step of richardson; the imaginary step of complex.",
)
@click.option(
    "--order",
    type=int,
    default=1,
    show_default=True,
    metavar="N",
    help="Which derivative: 1 (f'), 2 (f''), … up to 6.",
)
@analytic_options
@output_options
@plot_options()
@terminal_options
@timeout_option
def diff(
    expression: str,
    points: tuple[str, ...],
    constants: tuple[str, ...],
    wrt: str | None,
    method: str,
    step: float | None,
    order: int,
    analytic_timeout: float,
    analytic: bool | str,
    output_format: str,
    precision: int | None,
    plot: PlotRequest | None,
) -> None:
    """Differentiate EXPRESSION numerically and analytically at each point."""
    parsed = expression_argument(expression)
    if (
        (output_format, precision, plot, constants, method, step, order) == DEFAULT_VALUE_QUERY
        and analytic in {"auto", "sympy"}
        and len(points) == 1
        and rendered_plainly()
        and value_at_one_point(parsed, points[0], wrt, analytic_timeout)
    ):
        return
    from ..api import derivative

    report = derivative(
        parsed,
        points,
        wrt=wrt,
        method=method,
        h=step,
        order=order,
        constants=list(constants),
        analytic=analytic,
        analytic_timeout=analytic_timeout,
    )
    finish(report, output_format, precision, plot)
