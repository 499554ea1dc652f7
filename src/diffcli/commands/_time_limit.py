"""``--timeout``: a whole command stops past its time limit, cleanly or by a watchdog.

At the limit a timer (SIGALRM, POSIX) raises in the main thread, wherever it is; the command
unwinds (SymPy's child process is killed on the way) and ends with one ``error:`` line and exit
code 4. A long NumPy call only sees that exception once it returns, so a watchdog thread ends
the process ``GRACE`` seconds later if the clean stop has not come by then (output already
flushed stays written). Without SIGALRM (Windows) the watchdog alone stops the command.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import threading
import time
from collections.abc import Iterator
from types import FrameType

from ..errors import EXIT_TIMEOUT, DiffcliError

#: How long the clean stop may take before the watchdog ends the process, in seconds.
GRACE = 1.0
#: The longest single wait or timer, in seconds; longer limits wait again (the platform
#: refuses timeouts such as 1e10 s).
_LONGEST_WAIT = 3600.0


class CommandTimedOut(DiffcliError):
    """The command ran past ``--timeout``. Exit code 4."""

    exit_code = EXIT_TIMEOUT


class _Expired(BaseException):
    """Raised in the main thread at the limit. Not an Exception, so that no ``except
    Exception`` on the way (a row that cannot be evaluated) takes it for a failure."""


def stopped(seconds: float) -> str:
    """The message of a command stopped at its limit."""
    return f"stopped after the --timeout of {seconds:g} s"


@contextlib.contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Stop the body past ``seconds`` (None, 0 or inf: no limit).

    Raises:
        CommandTimedOut: the body ran past ``seconds``.
    """
    if seconds is None or not 0 < seconds < math.inf:
        yield
        return
    end = time.monotonic() + seconds
    done = threading.Event()
    threading.Thread(
        target=_watchdog, args=(end + GRACE, done, stopped(seconds)), daemon=True
    ).start()
    timer = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    previous: object = None
    if timer:

        def expire(signum: int, frame: FrameType | None) -> None:
            left = end - time.monotonic()
            if left > 0:  # a limit longer than one timer: wait again
                signal.setitimer(signal.ITIMER_REAL, min(left, _LONGEST_WAIT))
                return
            raise _Expired

        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, min(seconds, _LONGEST_WAIT))
    try:
        yield
    except _Expired:
        raise CommandTimedOut(stopped(seconds)) from None
    finally:
        if timer:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)  # type: ignore[arg-type]
        done.set()


def _watchdog(end: float, done: threading.Event, message: str) -> None:
    """End the process at ``end`` unless ``done`` is set first."""
    while not done.wait(min(max(0.0, end - time.monotonic()), _LONGEST_WAIT)):
        if time.monotonic() >= end:
            os.write(2, f"error: {message}\n".encode())
            os._exit(EXIT_TIMEOUT)
