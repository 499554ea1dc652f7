"""The console script (``diffcli-python``, run by the ``diffcli`` launcher) and ``python -m
diffcli``: Ctrl-C is handled from the start.

Loading the command line takes a tenth of a second or more (Click; NumPy and SymPy once a
command runs). A Ctrl-C in that time ends the run as at any other moment: one line,
``error: interrupted``, exit code 130, never a traceback. So this module imports nothing
heavy before the handler is in place: not even ``errors`` (its ``re``), whose
``EXIT_INTERRUPTED`` the exit code below equals (a test checks it).

``diff EXPRESSION --at POINT -f value`` typed plainly, with the answer in the cache, is
answered before the command line is loaded (``commands/_one_point.py``): a repeated query in a
shell loop costs little more than Python's own start.

Python itself installs a Ctrl-C handler that raises KeyboardInterrupt before any of this code
runs, so the launcher (``scripts/diffcli``) starts Python with SIGINT blocked: a Ctrl-C in
Python's own start-up stays pending until ``main`` has its handler in place and lets it
through.
"""

from __future__ import annotations

import os
import signal
import sys

#: ``errors.EXIT_INTERRUPTED``, written out: importing it would widen the unguarded start.
INTERRUPTED = 130


def _interrupted_while_starting(signum: int, frame: object) -> None:
    """Before the command line is loaded nothing needs cleaning up: leave at once."""
    os.write(2, b"error: interrupted\n")
    os._exit(INTERRUPTED)


def main() -> None:
    """Console-script entry point."""
    signal.signal(signal.SIGINT, _interrupted_while_starting)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # held back by the launcher
    from .commands._one_point import answer

    answered = answer(sys.argv[1:])  # a repeated plain query: no Click, NumPy or SymPy
    if answered is not None:
        # nothing is left to clean up (the answer is written and flushed, a cache entry renamed
        # into place, SymPy's child gone), and Python's own teardown of the modules SymPy loads
        # on a first query costs a tenth of a second
        os._exit(answered)
    from .cli import main as run_command_line

    run_command_line()


if __name__ == "__main__":
    main()
