"""Terminal settings of one command (colour, quiet), its Rich consoles, and its guarded streams."""

from __future__ import annotations

import errno
import functools
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import IO, TYPE_CHECKING, Any, Literal, NamedTuple

from .errors import EXIT_CANNOT_WRITE, EXIT_CLOSED_PIPE, DiffcliError

if TYPE_CHECKING:  # Rich is imported when a console is built, not for --help
    from rich.console import Console

ColorChoice = Literal["auto", "always", "never"]
#: ``--color``: auto colours a terminal unless ``NO_COLOR`` is set; always and never force.
COLOR_CHOICES: tuple[ColorChoice, ...] = ("auto", "always", "never")


class TerminalSettings(NamedTuple):
    """How one command talks to the terminal: ``--color`` and ``--quiet`` (a named tuple, not a
    dataclass: ``--help`` imports this module, and a tuple class is built faster)."""

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
    color = _current.get().color
    color_system: Literal["auto", "standard"] | None = "auto"
    if color == "never" or (color == "auto" and os.environ.get("NO_COLOR", "") != ""):
        color_system = None
    elif color == "always" and os.environ.get("TERM", "").lower() in ("dumb", "unknown"):
        color_system = "standard"  # Rich would detect none on a dumb terminal
    # markup=False: user text such as x=[3, 4] or a variable named like a style tag must be
    # printed as typed, never read as Rich markup.
    built: Console = _spelling_console()(
        file=sys.stderr if stderr else sys.stdout,
        highlight=False,
        soft_wrap=False,
        markup=False,
        color_system=color_system,
        force_terminal=True if color == "always" else None,
        no_color=False if color == "always" else None,
    )
    if built.width < MIN_WIDTH:
        built.width = UNKNOWN_WIDTH
    return built


#: A terminal narrower than this (``COLUMNS=0``, ``COLUMNS=1``, ``COLUMNS=20``) cannot hold a
#: table, nor even the ``numerical: 0.1999999999990898`` lines of the fallback blocks: its width
#: is taken as unknown. From this width on, tables too wide become those blocks.
MIN_WIDTH = 30
#: The width of a terminal whose width is unknown (Rich's, and a pipe's, default).
UNKNOWN_WIDTH = 80


@functools.cache
def _spelling_console() -> type[Console]:
    """Rich's console, writing symbols its encoding cannot carry in ASCII spellings.

    The text is respelt before Rich measures it, so a table stays aligned: ``|∇f|`` is laid
    out as ``|grad f|``.
    """
    from rich.console import Console
    from rich.text import Text

    class SpellingConsole(Console):
        def render_str(self, text: str, *args: Any, **kwargs: Any) -> Text:
            return super().render_str(spelled_for(text, self.encoding), *args, **kwargs)

    return SpellingConsole


#: ASCII spellings of the symbols diffcli prints (``∂f/∂x0`` → ``df/dx0``, ``∇f`` → ``grad f``,
#: ``∝`` → ``~``), used where the output encoding (``PYTHONIOENCODING=ascii``) cannot carry them.
ASCII_SPELLINGS = {
    "∂": "d",
    "∇": "grad ",
    "∝": "~",
    "…": "...",
    "×": "x",
    "·": "*",
    "²": "^2",
    "±": "+/-",
    "Σ": "sum",
    "β": "beta",
    "ε": "eps",
    "η": "eta",
    "μ": "mu",
    "ρ": "rho",
    "π": "pi",
    "←": "<-",
    "→": "->",
    "−": "-",
    "√": "sqrt",
    "∛": "cbrt",
    "≈": "~=",
    "≤": "<=",
    "≥": ">=",
    "─": "-",
    "├": "|",
    "└": "`",
    "│": "|",
    "—": "-",
    "\u0302": "^",  # the combining hat of m̂
}


def spelled_for(text: str, encoding: str | None) -> str:
    """``text`` as ``encoding`` can carry it: each symbol it cannot in its ASCII spelling, any
    other such character as a ``\\uXXXX`` escape."""
    try:
        text.encode(encoding or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return "".join(_spelled_char(char, encoding or "ascii") for char in text)
    return text


def _spelled_char(char: str, encoding: str) -> str:
    try:
        char.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        spelling = ASCII_SPELLINGS.get(char)
        if spelling is None:
            return char.encode("ascii", "backslashreplace").decode("ascii")
        return spelling
    return char


class OutputError(DiffcliError):
    """Standard output cannot be written (a full disk, a closed descriptor). Exit code 5."""

    exit_code = EXIT_CANNOT_WRITE


class ClosedPipe(Exception):
    """The reader of standard output went away (``| head -1``): the command ends quietly."""


class GuardedStream:
    """A text stream that respells what its encoding cannot carry (``spelled_for``) and
    reports a failed write as the user's environment, never as diffcli's bug.

    On standard output a failed write raises ``ClosedPipe`` (the reader is gone) or
    ``OutputError``; on standard error (``messages``) it is dropped: a message that cannot be
    shown must not change the outcome of the command. Either way later writes are dropped,
    and the descriptor is pointed at the null device so that Python's own flush at exit finds
    nothing left to fail (it would change the exit code to 120).
    """

    def __init__(self, stream: IO[str] | None, messages: bool) -> None:
        self.stream = stream
        self.messages = messages
        self.failed = stream is None

    @property
    def encoding(self) -> str:
        return getattr(self.stream, "encoding", None) or "utf-8"

    def write(self, text: str) -> int:
        if not isinstance(text, str):  # Click probes for a binary stream with write(b"")
            raise TypeError(f"write() takes text, not {type(text).__name__}")
        if self.stream is None and not self.messages:
            raise OutputError(f"cannot write output: {os.strerror(errno.EBADF)}")
        stream = self.stream
        if text and not self.failed and stream is not None:
            self.guarded(lambda: stream.write(spelled_for(text, self.encoding)))
        return len(text)

    def write_bytes(self, data: bytes) -> None:
        """Bytes for the buffer beneath (Click's, UTF-8), respelt for this stream's encoding."""
        stream = self.stream
        binary = getattr(stream, "buffer", None)
        if not data or self.failed or stream is None or binary is None:
            return
        text = data.decode("utf-8", "surrogateescape")
        encoded = spelled_for(text, self.encoding).encode(self.encoding, "surrogateescape")

        def write() -> None:
            stream.flush()  # what was written as text comes first
            binary.write(encoded)

        self.guarded(write)

    def flush(self) -> None:
        if not self.failed and self.stream is not None:
            self.guarded(self.stream.flush)

    @property
    def buffer(self) -> GuardedBuffer | None:
        """The bytes underneath, guarded too: Click writes its completion scripts there, and
        its help when it finds the stream's encoding ASCII."""
        if getattr(self.stream, "buffer", None) is None:
            return None
        return GuardedBuffer(self)

    def isatty(self) -> bool:
        return not self.failed and self.stream is not None and self.stream.isatty()

    def fileno(self) -> int:
        if self.stream is None:
            raise OSError(errno.EBADF, os.strerror(errno.EBADF))
        return self.stream.fileno()

    def writable(self) -> bool:
        return True

    def guarded(self, action: Callable[[], object]) -> None:
        """Run ``action``, a write or flush of the stream; a failure as the class says."""
        try:
            action()
        except (OSError, ValueError) as error:  # ValueError: a stream already closed
            self.failed = True
            self._discard()
            if self.messages:
                return
            if isinstance(error, BrokenPipeError):
                raise ClosedPipe from None
            reason = error.strerror if isinstance(error, OSError) else None
            raise OutputError(f"cannot write output: {reason or error}") from None

    def _discard(self) -> None:
        """Point the descriptor at the null device: what is still buffered goes nowhere."""
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, self.fileno())
            os.close(null)
        except (OSError, ValueError, AttributeError):
            pass  # no descriptor (a test runner's stream): nothing will flush it at exit


class GuardedBuffer:
    """The binary buffer under a ``GuardedStream``: Click writes help and completion scripts
    there, respelt and failing as the stream does."""

    def __init__(self, text: GuardedStream) -> None:
        self.text = text

    def write(self, data: bytes) -> int:
        self.text.write_bytes(data)
        return len(data)

    def flush(self) -> None:
        self.text.flush()


@contextmanager
def guarded_streams() -> Iterator[None]:
    """Standard output and error as ``GuardedStream``s until the block ends."""
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout = GuardedStream(stdout, messages=False)
    sys.stderr = GuardedStream(stderr, messages=True)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = stdout, stderr


def guarded_run(body: Callable[[], Any]) -> Any:
    """``body``'s result, run with the guarded streams and standard output flushed after it
    (a full disk shows there); ``EXIT_CLOSED_PIPE`` if the reader went away, quietly, as the
    shell reports ``yes | head -1``; an output error's exit code, after its line on stderr."""
    with guarded_streams():
        try:
            code = body()
            sys.stdout.flush()
        except ClosedPipe:
            code = EXIT_CLOSED_PIPE
        except OutputError as error:
            sys.stderr.write(f"error: {error.message}\n")
            sys.stderr.flush()
            code = error.exit_code
    return code


def warn(message: str) -> None:
    """One warning line on stderr, unless ``--quiet``."""
    if not _current.get().quiet:
        sys.stderr.write(f"warning: {message}\n")
