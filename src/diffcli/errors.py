"""The errors diffcli raises, each carrying the exit code the command line returns for it."""

from __future__ import annotations

import re
from collections.abc import Callable

#: Exit codes, documented in the README. Click's own usage errors also exit with 2.
EXIT_EVALUATION = 1
EXIT_INPUT = 2
EXIT_INTERNAL = 3
EXIT_TIMEOUT = 4
EXIT_CANNOT_WRITE = 5
EXIT_INTERRUPTED = 130
EXIT_CLOSED_PIPE = 141


#: Marks a parameter's name inside a message; ``quoted`` user text can never hold it (repr).
_MARK = "\x1f"
_PARAMETER = re.compile(f"{_MARK}([a-z_0-9]+){_MARK}")


def param(name: str) -> str:
    """A parameter's name inside an error message.

    The library's message says ``h must be a positive number``; the command line spells the
    same parameter as its flag, ``--h must be a positive number`` (see ``DiffcliError.render``).
    """
    return f"{_MARK}{name}{_MARK}"


def _as_is(name: str) -> str:
    return name


class DiffcliError(Exception):
    """Base class: a problem the user can act on, reported as one message and an exit code.

    ``message`` names parameters as the Python API does (``h``, ``analytic_timeout``);
    ``render(spell)`` lets the command line name them as flags instead.
    """

    exit_code = EXIT_INPUT

    def __init__(self, message: str) -> None:
        self.template = message
        self.message = _PARAMETER.sub(lambda match: match.group(1), message)
        super().__init__(self.message)

    def render(self, spell: Callable[[str], str] = _as_is) -> str:
        """The text shown on stderr (without ``error:``), each parameter named by ``spell``."""
        return _PARAMETER.sub(lambda match: spell(match.group(1)), self.template)


class InputError(DiffcliError):
    """Bad input: a malformed option value, an unknown or missing variable. Exit code 2."""

    exit_code = EXIT_INPUT


class ParseError(InputError):
    """The expression text is not in the language; points at the offending column."""

    def __init__(self, message: str, text: str, column: int | None = None) -> None:
        super().__init__(message)
        self.text = text
        self.column = column

    def render(self, spell: Callable[[str], str] = _as_is) -> str:
        message = super().render(spell)
        if self.column is None or not self.text or "\n" in self.text:
            return message
        column = min(max(self.column, 0), len(self.text))
        excerpt, under = _excerpt(self.text, column)
        return f"{message} (column {column + 1})\n  {excerpt}\n  {' ' * under}^"


#: The most of the expression an error shows around its caret (a 10,000-character expression
#: stays a short line).
EXCERPT_WIDTH = 70


def _excerpt(text: str, column: int) -> tuple[str, int]:
    """The part of ``text`` around ``column`` an error shows, ``...`` where it is cut, and the
    caret's column in it."""
    if len(text) <= EXCERPT_WIDTH:
        return text, column
    start = min(max(column - EXCERPT_WIDTH // 2, 0), len(text) - EXCERPT_WIDTH)
    end = start + EXCERPT_WIDTH
    before = "..." if start > 0 else ""
    after = "..." if end < len(text) else ""
    return before + text[start:end] + after, column - start + len(before)


class ShapeError(ParseError):
    """Operand shapes do not fit together (``x @ W: (2,) and (3, 3) do not align``)."""


class EvaluationError(DiffcliError):
    """The expression cannot be evaluated at the point asked for. Exit code 1."""

    exit_code = EXIT_EVALUATION
