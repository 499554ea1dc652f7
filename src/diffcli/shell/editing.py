"""The interactive prompt: prompt_toolkit's line editing, a bounded history file, completion."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import click
from prompt_toolkit import PromptSession
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.history import History
from prompt_toolkit.output.defaults import create_output

from .._version import __version__
from ..expr.functions import CONSTANTS, FUNCTIONS
from .names import ANS
from .session import SHELL_WORDS, Session

PROMPT = "diffcli> "
#: Lines of history kept across runs (older ones are dropped when the shell starts).
HISTORY_LINES = 1000
_TRAILING_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_DEFINITION_START = re.compile(r"\s*[A-Za-z_][A-Za-z0-9_]*\s*=(?!=)")


def history_path() -> Path:
    """Where the history is kept: the user data directory (``~/.local/share/diffcli`` on
    Linux, as ``platformdirs`` says, honouring ``XDG_DATA_HOME``)."""
    from platformdirs import user_data_path

    return user_data_path("diffcli") / "shell_history"


class BoundedFileHistory(History):
    """One line per entry in a text file, the last ``limit`` kept.

    The history is a convenience: a file that cannot be read or written (a read-only home)
    never stops the shell, the lines are then kept for this run only.
    """

    def __init__(self, path: Path, limit: int = HISTORY_LINES) -> None:
        self.path = path
        self.limit = limit
        super().__init__()

    def load_history_strings(self) -> Iterable[str]:
        try:
            lines = self.path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return []
        kept = lines[-self.limit :]
        if len(kept) < len(lines):
            self._write("".join(line + "\n" for line in kept), "w")
        return reversed(kept)  # newest first, as prompt_toolkit expects

    def store_string(self, string: str) -> None:
        if string.strip() and "\n" not in string:
            self._write(string + "\n", "a")

    def _write(self, text: str, mode: str) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open(mode, encoding="utf-8") as file:
                file.write(text)
        except OSError:
            pass  # kept in memory for this run (see the class's docstring)


class ShellCompleter(Completer):
    """Tab completes commands and the shell's words first, then a command's options, the
    choices of an option such as ``--method``, and in expressions the functions, constants
    and defined names."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterator[Completion]:
        before = document.text_before_cursor
        words = before.split()
        current = words.pop() if words and not before[-1].isspace() else ""
        if _DEFINITION_START.match(before):
            yield from self._names(current)
            return
        if not words:
            yield from _starting(current, (*self.session.commands, *SHELL_WORDS))
            return
        command = self.session.command(words[0])
        if command is None:
            return
        options = {
            spelling: parameter
            for parameter in command.params
            if isinstance(parameter, click.Option)
            for spelling in parameter.opts
        }
        previous = options.get(words[-1]) if len(words) > 1 else None
        if current.startswith("-"):
            yield from _starting(current, sorted(s for s in options if s.startswith("--")))
        elif previous is not None and isinstance(previous.type, click.Choice):
            yield from _starting(current, [str(choice) for choice in previous.type.choices])
        elif previous is not None and previous.name in ("points", "point", "start"):
            yield from _starting(current, (ANS,))
        else:
            yield from self._names(current)

    def _names(self, current: str) -> Iterator[Completion]:
        match = _TRAILING_NAME.search(current)
        prefix = match.group() if match else ""
        names = (*sorted(FUNCTIONS), *CONSTANTS, *self.session.names.definitions)
        if prefix or not current:
            yield from _starting(prefix, names)


def _starting(prefix: str, candidates: Iterable[str]) -> Iterator[Completion]:
    for candidate in candidates:
        if candidate.startswith(prefix) and candidate != prefix:
            yield Completion(candidate, start_position=-len(prefix))


def run_interactive(session: Session) -> int:
    """Read lines at a prompt until ``exit`` or Ctrl-D (status 0); Ctrl-C clears the line."""
    prompt = PromptSession[str](
        history=BoundedFileHistory(history_path()),
        completer=ShellCompleter(session),
        complete_while_typing=False,
        # the prompt on the terminal even when stdout is redirected (diffcli shell > out.txt)
        output=None if sys.stdout.isatty() else create_output(always_prefer_tty=True),
    )
    click.echo(f"diffcli {__version__}: diffcli commands without 'diffcli'; help, exit or Ctrl-D")
    while True:
        try:
            line = prompt.prompt(PROMPT)
        except KeyboardInterrupt:
            continue
        except EOFError:
            return 0
        if session.run(line) is None:
            return 0
