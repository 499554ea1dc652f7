"""One shell session: each line run through the same Click commands, in this process.

A line is a definition (``f = x**2``), one of the shell's own words (``names``, ``ans``,
``help``, ``exit``) or a diffcli command without ``diffcli``, split by the shell's quoting
rules (``shlex``) and handed to the command group exactly as a separate process would get it,
so output, messages and exit codes are the same.
"""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Iterable
from typing import Any

import click

from ..cli import cli, flag
from ..commands._options import report_listener
from ..errors import EXIT_INPUT, DiffcliError, InputError
from .answer import Answer, answer_of, known
from .names import ANS, Namespace
from .words import command_arguments

#: Lines the shell answers itself; none of them can name an expression.
SHELL_WORDS = ("names", ANS, "help", "exit", "quit")
EXIT_INTERRUPTED = 130
_DEFINITION = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)(.*)\Z", re.DOTALL)

HELP = f"""\
Type a diffcli command without 'diffcli':  diff x**2 --at 3
  f = EXPRESSION    name an expression; later expressions may use f (diff f + sin(x) --at 1)
  names             the names defined, and ans
  ans               the last result: diff's derivative, grad's gradient, hessian's matrix,
                    descend's final point; use it as --at ans, --from ans or --set NAME=ans
  help              this text; COMMAND --help for a command's options
  exit, quit        leave (or Ctrl-D); Ctrl-C stops a running computation
Commands: {", ".join(c for c in cli.list_commands(click.Context(cli)) if c != "shell")}
"""


class Session:
    """The names and the last answer of one shell, and the commands its lines run."""

    def __init__(self) -> None:
        self.context = click.Context(cli, info_name="diffcli")
        self.commands = tuple(cli.list_commands(self.context))
        self.names = Namespace(reserved=(*self.commands, *SHELL_WORDS))
        self.answer: Answer | None = None

    def command(self, name: str) -> click.Command | None:
        """The command a line's first word names, if any."""
        return cli.get_command(self.context, name) if name in self.commands else None

    def run(self, line: str) -> int | None:
        """Run one line; its exit code, or None when it asks to leave (``exit``)."""
        try:
            return self._run(line)
        except DiffcliError as error:
            _error_line(error.render(flag))
            return error.exit_code

    def _run(self, line: str) -> int | None:
        definition = _DEFINITION.match(line)
        if definition:
            name, text = definition.groups()
            self.names.define(name, " ".join(_split(text)))
            return 0
        words = _split(line)
        if not words:
            return 0
        first, rest = words[0], words[1:]
        if first in SHELL_WORDS:
            if rest:
                raise InputError(f"{first} takes nothing after it")
            return self._shell_word(first)
        if first == "shell":
            raise InputError("this is the shell already: type exit or press Ctrl-D to leave")
        command = self.command(first)
        if command is not None:
            rest = command_arguments(command, rest, self.names, self.answer)
        return self._invoke([first, *rest])

    def _shell_word(self, word: str) -> int | None:
        if word in ("exit", "quit"):
            return None
        if word == "help":
            sys.stdout.write(HELP)
        elif word == "names":
            for name, expression in self.names.definitions.items():
                sys.stdout.write(f"{name} = {expression}\n")
            if self.answer is not None:
                sys.stdout.write(f"{ANS} = {self.answer}\n")
        else:
            sys.stdout.write(f"{known(self.answer)}\n")
        return 0

    def _invoke(self, arguments: list[str]) -> int:
        reports: list[Any] = []
        token = report_listener.set(reports.append)
        try:
            code: Any = cli.main(arguments, prog_name="diffcli", standalone_mode=False)
        except SystemExit as stop:  # a command that ends with its statuses' exit code
            code = stop.code
        except KeyboardInterrupt:  # Ctrl-C outside the command's own handler
            _error_line("interrupted")
            code = EXIT_INTERRUPTED
        finally:
            report_listener.reset(token)
            sys.stdout.flush()
            sys.stderr.flush()
        exit_code = _exit_code(code)
        answer = answer_of(reports[-1]) if exit_code == 0 and reports else None
        if answer is not None:
            self.answer = answer
        return exit_code


def run_batch(session: Session, lines: Iterable[str], keep_going: bool) -> int:
    """Run ``lines`` in order, skipping blank lines and ``#`` comments; the worst exit code.

    The first line that fails stops the run unless ``keep_going``; ``exit`` stops it too.
    """
    worst = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        code = session.run(line)
        if code is None:
            break
        worst = max(worst, code)
        if code and not keep_going:
            _error_line(f"stopped at line {number}; --keep-going runs every line")
            break
    return worst


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text, comments=True)
    except ValueError as error:  # No closing quotation
        raise InputError(f"cannot split the line into words: {str(error).lower()}") from None


def _exit_code(code: Any) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    return EXIT_INPUT


def _error_line(message: str) -> None:
    click.echo(f"error: {message}", err=True)
