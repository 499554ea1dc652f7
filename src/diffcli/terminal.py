"""Terminal settings of one command (colour, quiet) and the Rich consoles built from them."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # Rich is imported when a console is built, not for --help
    from rich.console import Console

ColorChoice = Literal["auto", "always", "never"]
#: ``--color``: auto colours a terminal unless ``NO_COLOR`` is set; always and never force.
COLOR_CHOICES: tuple[ColorChoice, ...] = ("auto", "always", "never")


@dataclass(frozen=True)
class TerminalSettings:
    """How one command talks to the terminal: ``--color`` and ``--quiet``."""

    color: ColorChoice = "auto"
    quiet: bool = False


#: The settings of the running command; a frozen default is safe to share.
_current: ContextVar[TerminalSettings] = ContextVar(
    "terminal",
    default=TerminalSettings(),  # noqa: B039
)


@contextmanager
def terminal_settings(settings: TerminalSettings) -> Iterator[None]:
    """Use ``settings`` for every console and warning until the block ends."""
    token = _current.set(settings)
    try:
        yield
    finally:
        _current.reset(token)


def console(stderr: bool = False) -> Console:
    """A Rich console for this call only, coloured as ``--color`` and ``NO_COLOR`` say.

    auto: escapes only on a terminal and only when ``NO_COLOR`` is unset or empty (Rich's own
    ``NO_COLOR`` handling drops colours but keeps bold). always: escapes even in a pipe or on a
    terminal that calls itself dumb. never: none.
    """
    from rich.console import Console

    color = _current.get().color
    color_system: Literal["auto", "standard"] | None = "auto"
    if color == "never" or (color == "auto" and os.environ.get("NO_COLOR", "") != ""):
        color_system = None
    elif color == "always" and os.environ.get("TERM", "").lower() in ("dumb", "unknown"):
        color_system = "standard"  # Rich would detect none on a dumb terminal
    # markup=False: user text such as x=[3, 4] or a variable named like a style tag must be
    # printed as typed, never read as Rich markup.
    return Console(
        file=sys.stderr if stderr else sys.stdout,
        highlight=False,
        soft_wrap=False,
        markup=False,
        color_system=color_system,
        force_terminal=True if color == "always" else None,
        no_color=False if color == "always" else None,
    )


def warn(message: str) -> None:
    """One warning line on stderr, unless ``--quiet``."""
    if not _current.get().quiet:
        sys.stderr.write(f"warning: {message}\n")
