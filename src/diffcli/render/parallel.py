"""Blocks of output written in order, formatted by two processes when there are many of them.

A command's CSV or TSV of many rows is formatted a block at a time, each block on its own
(``emit_column_block``), so a forked worker can format every other block while this process
formats the rest; the worker hands its blocks back through a pipe, in order, and only this
process writes to standard output. The output is byte for byte what one process writes.

The worker is forked only when the output is this process's own standard output (the command
line, not a test runner's or a caller's stream), when there are ``FEWEST_BLOCKS`` blocks or
more, and when a CPU of ours has nothing else to run (``_cpu_free``: on a busy machine a second
process gets no more CPU time, since Linux shares it between sessions, and costs a tenth more
work).
``DIFFCLI_JOBS=1`` never forks (the reference), ``DIFFCLI_JOBS=2`` forks whatever the load.
The worker never writes to standard output, runs no clean-up of this process (it leaves by
``os._exit``) and touches no cache. If it cannot be forked, or ends (or stalls for
``PATIENCE`` seconds) without handing back a block, this process formats the rest itself.
Ctrl-C reaches both (the worker dies of it); on any way out this process kills the worker and
waits for it, so none outlives the command.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator

from ..children import DEFERRED, as_child, end_with_parent, write_all

#: ``DIFFCLI_JOBS=1``: format every block in this process (the reference; no fork).
JOBS_VARIABLE = "DIFFCLI_JOBS"
#: Linux's load averages and count of runnable tasks (``_cpu_free``).
LOAD = "/proc/loadavg"
#: Fewer blocks than this are formatted here alone: the fork would cost more than it saves.
FEWEST_BLOCKS = 4
#: The pipe's capacity asked for (Linux; its usual ceiling for an unprivileged process).
PIPE_SIZE = 1 << 20
#: Seconds without a byte from the worker after which this process formats the rest itself (a
#: block takes it some milliseconds; more than this, on the busiest machine, means it is stuck).
PATIENCE = 10.0
#: Bytes of the length sent before each block.
_LENGTH_BYTES = 8


def write_in_order(
    count: int, block: Callable[[int], bytes], write: Callable[[bytes], None]
) -> None:
    """``write(block(0))``, ``write(block(1))``, … up to ``count`` blocks, in order; the odd
    blocks formatted by a forked worker when that is worth it (see the module).

    The worker is forked once the first block is made: everything formatting imports is
    imported by then, so the worker imports nothing (a module another thread was importing
    at the fork could never finish importing in it).
    """
    if not count:
        return
    first = block(0)
    with _forked(count, block) if _worth_forking(count) else contextlib.nullcontext() as worker:
        write(first)
        for index in range(1, count):
            handed = worker.next_block() if worker is not None and index % 2 else None
            write(block(index) if handed is None else handed)


def _worth_forking(count: int) -> bool:
    """Whether to fork a worker for ``count`` blocks (see the module)."""
    jobs = os.environ.get(JOBS_VARIABLE, "").strip()
    if count < FEWEST_BLOCKS or jobs == "1" or not hasattr(os, "fork"):
        return False
    underneath = getattr(sys.stdout, "stream", sys.stdout)  # beneath the guarded stream
    if underneath is None or underneath is not sys.__stdout__:
        return False
    return jobs == "2" or _cpu_free()


def _cpu_free() -> bool:
    """Whether a CPU of ours has nothing else to run: nothing runnable beside this process
    now (the kernel's count in ``/proc/loadavg``) and, over the last minute, fewer tasks
    than CPUs on average (the load average: commands run one after another, a worker each,
    keep it below two on an otherwise idle machine of two CPUs). False where either cannot
    be read."""
    try:
        cpus = len(os.sched_getaffinity(0))
        with open(LOAD, "rb") as load:
            fields = load.read().split()
        running, average = int(fields[3].split(b"/")[0]), float(fields[0])
    except (OSError, AttributeError, IndexError, ValueError):
        return False
    return running < cpus and average < cpus


@contextlib.contextmanager
def _forked(count: int, block: Callable[[int], bytes]) -> Iterator[_Worker | None]:
    """A worker formatting the odd blocks until the ``with`` block ends, however it ends
    (then killed if still running, and waited for); None if it cannot be started."""
    try:
        reader, writer = os.pipe()
    except OSError:
        yield None
        return
    with contextlib.suppress(OSError, AttributeError):  # Linux only; a smaller pipe works
        import fcntl

        fcntl.fcntl(writer, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
    # Ctrl-C and the alarm wait until the worker is held: an exception raised in the child
    # before its handlers are reset would run this process's way out there, and one raised
    # here before the ``try`` below would leave the worker running.
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, DEFERRED)
    parent = os.getpid()
    try:
        with warnings.catch_warnings():
            # Python 3.12+ warns of fork in a process with threads; the worker only
            # formats numbers and leaves through os._exit.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
    except OSError:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        os.close(reader)
        os.close(writer)
        yield None
        return
    if pid == 0:  # pragma: no cover - the worker; coverage cannot follow it
        _work(count, block, reader, writer, mask, parent)
    os.close(writer)
    worker = _Worker(pid, reader)
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        yield worker
    finally:
        worker.end()


class _Worker:
    """The forked process formatting the odd blocks, sending each with its length first."""

    def __init__(self, pid: int, reader: int) -> None:
        self.pid = pid
        self.pipe = os.fdopen(reader, "rb", buffering=0)
        self.ended = False

    def next_block(self) -> bytes | None:
        """The worker's next block; None once it has ended without sending one (this
        process formats the rest)."""
        if self.ended:
            return None
        header = self._read(_LENGTH_BYTES)
        data = None if header is None else self._read(int.from_bytes(header, "little"))
        if data is None:
            self.end()
        return data

    def _read(self, size: int) -> bytes | None:
        """Exactly ``size`` bytes from the pipe, or None if it ends first or the worker
        sends nothing for ``PATIENCE`` seconds (stuck: it is then killed)."""
        data = bytearray(size)
        view = memoryview(data)
        filled = 0
        while filled < size:
            if not select.select([self.pipe], [], [], PATIENCE)[0]:
                return None
            got = self.pipe.readinto(view[filled:])
            if not got:
                return None
            filled += got
        return bytes(data)

    def end(self) -> None:
        """Kill the worker if it still runs, wait for it, close the pipe (once)."""
        if self.ended:
            return
        self.ended = True
        self.pipe.close()
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


def _work(
    count: int,
    block: Callable[[int], bytes],
    reader: int,
    writer: int,
    mask: Iterable[int],
    parent: int,
) -> None:  # pragma: no cover - runs in the worker
    """The worker's whole life: the odd blocks into the pipe, then ``os._exit``, whatever
    happens (an exception ends it without a word: this process formats what is missing). It
    dies with this process, however that ends (``end_with_parent``)."""
    try:
        as_child(mask)
        end_with_parent(parent)
        os.close(reader)
        for index in range(1, count, 2):
            data = block(index)
            write_all(writer, len(data).to_bytes(_LENGTH_BYTES, "little"))
            write_all(writer, data)
    finally:
        os._exit(0)
