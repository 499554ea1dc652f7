"""``diffcli descend``: gradient descent and its optimizers, SymPy's stationary points beside."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from ..catalog import DEFAULT_STEP, OPTIMIZERS
from ..cli import CONTEXT_SETTINGS, ExpressionCommand
from ._options import (
    PlotRequest,
    analytic_options,
    constants_option,
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
    short_help="Minimise EXPRESSION by gradient descent and its optimizers.",
    epilog="""\b
Examples:
  diffcli descend "x0**2 + x1**2" --from -3,4 --lr 0.1 --steps 100
  diffcli descend "x0**2 + x1**2" --from -3,4 --lr 0.1 --trace 10
  diffcli descend "(1-x)**2 + 100*(y-x**2)**2" --from -1,1 --optimizer adam --lr 0.02 \\
      --steps 5000 --grad analytic
  diffcli descend "x**2 + 10*y**2" --from 3,1 --lr 0.05 --steps 500 --compare
  diffcli descend "sum((W - T)**2)" --from 'W=[[1,2],[3,4]]' --set 'T=[[0,1],[1,0]]'
  diffcli descend "x0**2 + x1**2" --from -3,4 --lr 0.1 --steps 20 --plot path.png

\b
A run is 'diverged' (exit 1) at the first step where f, the point or the gradient is not
finite, or |f| > 1e10 * max(|f(start)|, 1).
""",
)
@click.argument("expression")
@click.option(
    "--from",
    "start",
    required=True,
    metavar="POINT",
    help="Where to start, as --at: -3,4 (x0, x1, … in order), x0=-3,x1=4, W=[[1,2],[3,4]].",
)
@constants_option
@click.option("--lr", type=float, default=0.01, show_default=True, help="Learning rate η (> 0).")
@click.option(
    "--steps",
    type=click.IntRange(min=0),
    default=100,
    show_default=True,
    metavar="N",
    help="The most updates to make (0: only evaluate the start).",
)
@click.option(
    "--tol",
    type=float,
    default=None,
    help=f"Stop when |∇f| falls below this (default: never; {1e-6:g} with --compare).",
)
@click.option(
    "--optimizer",
    type=click.Choice(OPTIMIZERS),
    default=None,
    help="Update rule (default: sgd, the primer's x ← x − η ∇f).",
)
@click.option(
    "--momentum",
    type=float,
    default=0.9,
    show_default=True,
    help="μ of momentum and nesterov, in [0, 1).",
)
@click.option("--beta1", type=float, default=0.9, show_default=True, help="β1 of adam, in [0, 1).")
@click.option(
    "--beta2", type=float, default=0.999, show_default=True, help="β2 of adam, in [0, 1)."
)
@click.option(
    "--rho",
    type=float,
    default=0.99,
    show_default=True,
    help="Decay of rmsprop's average of g², in [0, 1).",
)
@click.option(
    "--eps",
    type=float,
    default=1e-8,
    show_default=True,
    help="ε of adagrad, rmsprop and adam (> 0).",
)
@click.option(
    "--grad",
    type=click.Choice(("numerical", "analytic", "ad")),
    default="numerical",
    show_default=True,
    help="numerical: central differences (the primer's); analytic: SymPy's gradient; "
    "ad: reverse-mode automatic differentiation (exact, no SymPy).",
)
@click.option(
    "--h",
    "step",
    type=float,
    default=DEFAULT_STEP,
    show_default=True,
    help="Step h of the central differences of --grad numerical (> 0).",
)
@click.option(
    "--trace",
    type=click.IntRange(min=1),
    default=None,
    metavar="K",
    help="Print a row every K steps (default: none).",
)
@click.option(
    "--history",
    type=click.Path(dir_okay=False),
    default=None,
    metavar="FILE.csv",
    help="Write every step (step, coordinates, f, grad_norm) to a CSV file.",
)
@click.option(
    "--compare",
    is_flag=True,
    help="Run every optimizer from the same start with the same budget; one row each.",
)
@analytic_options
@output_options
@plot_options()
@terminal_options
@timeout_option
def descend(
    expression: str,
    start: str,
    constants: tuple[str, ...],
    lr: float,
    steps: int,
    tol: float | None,
    optimizer: str | None,
    momentum: float,
    beta1: float,
    beta2: float,
    rho: float,
    eps: float,
    grad: str,
    step: float,
    trace: int | None,
    history: str | None,
    compare: bool,
    analytic_timeout: float,
    analytic: bool | str,
    output_format: str,
    precision: int | None,
    plot: PlotRequest | None,
) -> None:
    """Minimise EXPRESSION by gradient descent from --from."""
    from ..api import descend as descend_from
    from ..expr.inputs import only_point, read_constants, read_points
    from ..render.descend import history_file, progress_bar
    from ..usecases.descent import layout_of

    parsed = expression_argument(expression)
    fixed = read_constants(parsed, list(constants))
    point = only_point(
        read_points(parsed, start, fixed, "start"), "start", "descend takes one start"
    )
    free = {name: value for name, value in point.items() if name not in fixed}
    layout = layout_of(parsed, point, fixed)
    # the history file is opened at the first step: options the API refuses leave no file
    with history_file(history, layout) as write, progress_bar(0 if compare else steps) as advance:
        report = descend_from(
            parsed,
            free,
            constants=fixed,
            lr=lr,
            steps=steps,
            tol=tol,
            optimizer=optimizer,
            momentum=momentum,
            beta1=beta1,
            beta2=beta2,
            rho=rho,
            eps=eps,
            grad=grad,
            h=step,
            trace=trace,
            compare=compare,
            path=plot is not None,
            on_step=_both(write, advance),
            analytic=analytic,
            analytic_timeout=analytic_timeout,
        )
    finish(report, output_format, precision, plot)


def _both(*callbacks: Callable[[Any], None] | None) -> Callable[[Any], None] | None:
    active = [callback for callback in callbacks if callback is not None]
    if not active:
        return None
    if len(active) == 1:
        return active[0]

    def call(record: Any) -> None:
        for callback in active:
            callback(record)

    return call
