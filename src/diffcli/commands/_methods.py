"""``--method`` and ``--h`` for the commands that differentiate, read from the method registry."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from ..engine import registry

F = TypeVar("F", bound=Callable[..., Any])


class MethodChoice(click.Choice[str]):
    """The methods a command offers, read from the registry each time they are needed, so
    that a method registered at run time is listed and accepted.

    ``extra`` choices are accepted after the registry's; those in ``hidden`` are not listed.
    """

    def __init__(self, command: str, extra: Sequence[str] = (), hidden: Sequence[str] = ()):
        self.command = command
        self.extra = tuple(extra)
        self.hidden = tuple(hidden)
        super().__init__(self.choices)

    @property
    def choices(self) -> tuple[str, ...]:
        return (*registry.names(self.command), *self.extra)

    @choices.setter
    def choices(self, value: Sequence[str]) -> None:
        """Click's constructor assigns the choices; they stay those of the registry."""

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str | None:
        return f"[{'|'.join(c for c in self.choices if c not in self.hidden)}]"


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
