"""``diffcli plot``: the graph of an expression, a curve of one variable or a map of two."""

from __future__ import annotations

import click

from ..catalog import PLOT_KINDS
from ..cli import CONTEXT_SETTINGS, ExpressionCommand
from ._options import (
    PlotRequest,
    constants_option,
    expression_argument,
    plot_options,
    terminal_options,
)


@click.command(
    cls=ExpressionCommand,
    context_settings=CONTEXT_SETTINGS,
    short_help="The graph of f: a curve, contour lines, a surface or a heatmap.",
    epilog="""\b
Examples:
  diffcli plot "0.01*x**2+0.1*x" --range 0:20 -o function.png
  diffcli plot "x0**2 + x1**2" --range -3:3 --kind surface -o surface.png
  diffcli plot "sin(x)*y" --range x=-pi:pi --range y=0:1 --kind heatmap -o map.svg
  diffcli plot "log(x)" -o log.pdf
  diffcli plot "a*x**2" --set a=3 -o - > parabola.png

\b
Without --range a variable runs over -5…5; a single variable whose f is undefined on one
side of 0 (log, sqrt) runs over 0…10 or -10…0 instead. Where f is undefined the curve breaks,
and a warning says where.
""",
)
@click.argument("expression")
@click.option(
    "--range",
    "ranges",
    multiple=True,
    metavar="[NAME=]START:STOP",
    help="The interval of every variable (-3:3), or of one (x1=0:1). Repeatable.",
)
@click.option(
    "--kind",
    type=click.Choice(PLOT_KINDS),
    default=None,
    help="How to draw two variables [default: contour]; one variable is a curve.",
)
@constants_option
@plot_options("--output")
@terminal_options
def plot(
    expression: str,
    ranges: tuple[str, ...],
    kind: str | None,
    constants: tuple[str, ...],
    plot: PlotRequest | None,
) -> None:
    """Draw EXPRESSION over --range to a PNG, SVG or PDF file (-o)."""
    from ..api import plot as samples_of
    from ..terminal import warn

    assert plot is not None  # -o is required
    samples = samples_of(
        expression_argument(expression), range=list(ranges), kind=kind, constants=list(constants)
    )
    for message in samples.warnings:
        warn(message)
    plot.draw(samples)
