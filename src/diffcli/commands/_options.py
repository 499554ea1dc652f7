"""Options shared by every command, stacked by decorators so all commands speak alike."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from ..parsing import Expression, parse
from ..points import Point, bind, read_bindings
from ..render import FORMATS

F = TypeVar("F", bound=Callable[..., Any])


def output_options(function: F) -> F:
    """``--format`` and ``--precision``."""
    function = click.option(
        "--precision",
        type=click.IntRange(1, 17),
        default=None,
        metavar="N",
        help="Show values to N significant digits (default: in full, as Python's repr).",
    )(function)
    function = click.option(
        "--format",
        "-f",
        "output_format",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="table for people; json, csv, tsv or value (numbers only) for scripts.",
    )(function)
    return function


def analytic_options(function: F) -> F:
    """``--analytic-timeout`` and ``--no-analytic``."""
    function = click.option(
        "--no-analytic",
        is_flag=True,
        help="Skip SymPy: numerical values only (faster start).",
    )(function)
    function = click.option(
        "--analytic-timeout",
        type=click.FloatRange(min=0),
        default=5.0,
        show_default=True,
        metavar="SECONDS",
        help="Give up on the analytic side after this long (0: no limit).",
    )(function)
    return function


def expression_argument(text: str) -> Expression:
    """Parse the expression argument (a leading space marks one that began with '-')."""
    return parse(text.removeprefix(" "))


def read_points(expression: Expression, texts: Sequence[str]) -> list[Point]:
    """Every ``--at`` matched to the expression's variables."""
    return [bind(read_bindings(text), expression) for text in texts]
