"""``--method`` and ``--h`` for the commands that differentiate, read from the method registry."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from ..engine import registry
from ._options import LazyChoice

F = TypeVar("F", bound=Callable[..., Any])


class MethodChoice(LazyChoice):
    """The methods a command offers, read from the registry each time they are needed, so
    that a method registered at run time is listed and accepted.

    ``extra`` choices are accepted after the registry's; those in ``hidden`` are not listed.
    """

    def __init__(self, command: str, extra: Sequence[str] = (), hidden: Sequence[str] = ()):
        self.command = command
        self.extra = tuple(extra)
        super().__init__(hidden)

    def current(self) -> tuple[str, ...]:
        return (*registry.names(self.command), *self.extra)


def method_option(
    command: str, extra: Sequence[str] = (), hidden: Sequence[str] = (), note: str = ""
) -> Callable[[F], F]:
    """``--method``: the registry's methods for ``command`` (default ``central``), with the
    registry's help; ``note`` ends the help."""
    return click.option(
        "--method",
        type=MethodChoice(command, extra, hidden),
        default="central",
        show_default=True,
        help=registry.help_text(command) + note,
    )
