"""The errors diffcli raises, each carrying the exit code the command line returns for it."""

from __future__ import annotations

#: Exit codes, documented in the README. Click's own usage errors also exit with 2.
EXIT_EVALUATION = 1
EXIT_INPUT = 2
EXIT_INTERNAL = 3


class DiffcliError(Exception):
    """Base class: a problem the user can act on, reported as one message and an exit code."""

    exit_code = EXIT_INPUT

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def render(self) -> str:
        """The text shown on stderr (without the ``error:`` prefix)."""
        return self.message


class InputError(DiffcliError):
    """Bad input: a malformed option value, an unknown or missing variable. Exit code 2."""

    exit_code = EXIT_INPUT


class ParseError(InputError):
    """The expression text is not in the language; points at the offending column."""

    def __init__(self, message: str, text: str, column: int | None = None) -> None:
        super().__init__(message)
        self.text = text
        self.column = column

    def render(self) -> str:
        if self.column is None or not self.text or "\n" in self.text:
            return self.message
        column = min(max(self.column, 0), len(self.text))
        return f"{self.message} (column {column + 1})\n  {self.text}\n  {' ' * column}^"


class ShapeError(ParseError):
    """Operand shapes do not fit together (``x @ W: (2,) and (3, 3) do not align``)."""


class EvaluationError(DiffcliError):
    """The expression cannot be evaluated at the point asked for. Exit code 1."""

    exit_code = EXIT_EVALUATION
