"""Processes a command forks (SymPy's child, the CSV worker): what each does the same way.

The parent holds back ``DEFERRED`` while it forks, so that an exception raised at that moment
cannot leave a child it does not know of; the child then takes the signals' default actions
(``as_child``), dies with its parent (``end_with_parent``), and writes its answer whole into a
pipe (``write_all``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterable

#: The signals held back while a child is forked (Ctrl-C, ``--timeout``'s alarm).
DEFERRED = (signal.SIGINT, signal.SIGALRM)
#: Linux's prctl option: a signal the kernel sends a process when its parent dies.
_PR_SET_PDEATHSIG = 1


def as_child(mask: Iterable[int]) -> None:  # pragma: no cover - runs in the child
    """In a child just forked: Ctrl-C and the alarm end it (their default actions), and the
    signal mask is the parent's from before the fork (a Ctrl-C held back ends it now)."""
    with contextlib.suppress(ValueError):  # forked from a thread: not the main thread
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def end_with_parent(parent: int) -> None:  # pragma: no cover - runs in the child
    """On Linux, have the kernel kill this process when its parent dies (a parent killed by a
    signal it does not catch cannot end its child on the way out)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request
        os._exit(0)


def write_all(descriptor: int, data: bytes) -> None:  # pragma: no cover - runs in the child
    """Every byte of ``data`` into ``descriptor`` (a pipe takes a part at a time)."""
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]
