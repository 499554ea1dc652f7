"""``diffcli graph``: the computational graph at a point, each node's value and adjoint."""

from __future__ import annotations

import click

from ..catalog import FORMATS
from ..cli import CONTEXT_SETTINGS, ExpressionCommand
from ._options import (
    constants_option,
    expression_argument,
    finish,
    terminal_options,
    timeout_option,
)


@click.command(
    cls=ExpressionCommand,
    context_settings=CONTEXT_SETTINGS,
    short_help="The computational graph: each node's value and adjoint.",
    epilog="""\b
Examples:
  diffcli graph "x0**2 + x1**2" --at 3,4
  diffcli graph "cross_entropy(softmax(x @ W), t)" --at "W=[[0.1,0.2,0.3],[0.4,0.5,0.6]]" \\
      --set x=[0.6,0.9] --set t=[0,0,1]
  diffcli graph "sin(x)*exp(x)" --at 1 --format json
  diffcli graph "sin(x)*exp(x)" --at 1 --format dot | dot -Tsvg > graph.svg
""",
)
@click.argument("expression")
@click.option(
    "--at",
    "point",
    required=True,
    metavar="POINT",
    help="Where to evaluate (one point): 5, x=5, x0=3,x1=4, W=[[1,2],[3,4]].",
)
@constants_option
@click.option(
    "--format",
    "-f",
    "output_format",
    type=click.Choice((*FORMATS, "dot")),
    default="table",
    show_default=True,
    help="table: the tree; json (every node, values in full), dot (Graphviz), or the "
    "flat formats (a row per node).",
)
@click.option(
    "--precision",
    type=click.IntRange(1, 17),
    default=None,
    metavar="N",
    help="Show values to N significant digits (default: in full).",
)
@terminal_options
@timeout_option
def graph(
    expression: str,
    point: str,
    constants: tuple[str, ...],
    output_format: str,
    precision: int | None,
) -> None:
    """Show EXPRESSION's computational graph at a point: every node's operation, its value
    from the forward pass and its adjoint ∂f/∂node from the backward pass (reverse-mode
    automatic differentiation, the primer's backpropagation); leaves are the variables."""
    from ..api import graph as graph_of

    report = graph_of(expression_argument(expression), point, constants=list(constants))
    if output_format == "dot":
        from ..render.graph import write_dot

        write_dot(report, precision)
        return
    finish(report, output_format, precision)
