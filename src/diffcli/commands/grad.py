"""``diffcli grad``: every partial derivative at once, numerical beside analytic."""

from __future__ import annotations

import click

from ..cli import CONTEXT_SETTINGS, ExpressionCommand
from ._methods import method_option
from ._options import (
    PlotRequest,
    analytic_options,
    constants_option,
    expression_argument,
    finish,
    output_options,
    plot_options,
    points_option,
    terminal_options,
    timeout_option,
    variables_option,
)


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
  diffcli grad "x*y + sin(y)" --at x=1,y=2 --wrt y
  diffcli grad "sin(x0)*x1" --at 0.7,-1.3 --method auto
  diffcli grad "cross_entropy(softmax(x @ W), t)" \\
      --at 'W=[[0.1,0.2,0.3],[0.4,0.5,0.6]]' --set 'x=[0.6,0.9]' --set 't=[0,0,1]'
  diffcli grad "mean_squared_error(sigmoid(x @ W), t)" --at 'W=[[1,2],[3,4]]' \\
      --set x=[0.5,-1] --set t=[0,1] --show "x @ W"
  diffcli grad "x0**2 + x1**2" --at -1,-1 --at -1,1 --at 1,-1 --at 1,1 --plot field.png
""",
)
@click.argument("expression")
@points_option("Where to take the gradient")
@constants_option
@variables_option
@click.option(
    "--show",
    "shown",
    multiple=True,
    metavar="EXPR",
    help='Also print the value of EXPR at each point, in its shape: --show "softmax(x @ W)". '
    "Repeatable.",
)
# "all" is accepted here only to be refused with a pointer to diff --method all
@method_option("grad", extra=("all",), hidden=("all",), note=".")
@click.option(
    "--h",
    "step",
    type=float,
    default=None,
    help="Step of the quotients (> 0) [default: 1e-4]; the largest step of richardson; the "
    "imaginary step of complex. Not for auto.",
)
@analytic_options
@output_options
@plot_options()
@terminal_options
@timeout_option
def grad(
    expression: str,
    points: tuple[str, ...],
    constants: tuple[str, ...],
    variables: tuple[str, ...],
    shown: tuple[str, ...],
    method: str,
    step: float | None,
    analytic_timeout: float,
    analytic: bool | str,
    output_format: str,
    precision: int | None,
    plot: PlotRequest | None,
) -> None:
    """The gradient of EXPRESSION by every variable not held fixed by --set (or by --wrt's).

    Numerically and analytically, each variable's gradient in its own shape, with the
    expression's value (the loss) and, for cross_entropy(y, t) or mean_squared_error(y, t),
    the predicted scores y.
    """
    from ..api import gradient
    from ..render.formats import check_shown

    check_shown(output_format, bool(shown))
    report = gradient(
        expression_argument(expression),
        list(points),
        wrt=variables,
        method=method,
        h=step,
        constants=list(constants),
        show=shown,
        analytic=analytic,
        analytic_timeout=analytic_timeout,
    )
    finish(report, output_format, precision, plot)
