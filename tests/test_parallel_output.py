"""CSV and TSV formatted by two processes (``render/parallel.py``), in real processes: the same
bytes as one process, and no worker left behind however the command ends."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from diffcli.cli import cli
from diffcli.errors import EXIT_CLOSED_PIPE, EXIT_INTERRUPTED
from diffcli.expr import sources
from diffcli.render import BLOCK_ROWS
from diffcli.render.parallel import JOBS_VARIABLE
from diffcli.terminal import GuardedStream
from tests.conftest import invoke

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the worker is forked")

#: ``diffcli ARGS`` with each forked worker's pid appended to ``$WORKERS``; with
#: ``$FAILING_BLOCK`` set, the worker raises (``$HOW``: fails) or stops answering (stalls) when
#: it comes to that block, and is given up after half a second; with
#: ``$GROUP_POINTS``, a stream's points come in groups of at most that many.
RUN = """\
import os, sys
from diffcli.render import parallel
started = parallel._Worker.__init__

def recorded(worker, pid, reader):
    with open(os.environ["WORKERS"], "a") as workers:
        workers.write(f"{pid}\\n")
    started(worker, pid, reader)

parallel._Worker.__init__ = recorded
if "FAILING_BLOCK" in os.environ:
    import time
    import diffcli.render as render
    rows_text, parent = render._rows_text, os.getpid()
    parallel.PATIENCE = 0.5

    def failing(block, groups, start, *rest):
        if os.getpid() != parent and start == int(os.environ["FAILING_BLOCK"]) * render.BLOCK_ROWS:
            if os.environ["HOW"] == "stalls":
                time.sleep(3600)
            raise RuntimeError("the worker fails")
        return rows_text(block, groups, start, *rest)

    render._rows_text = failing
if "GROUP_POINTS" in os.environ:
    from diffcli.expr import sources
    sources.CHUNK_POINTS = int(os.environ["GROUP_POINTS"])
sys.argv[0] = "diffcli"
from diffcli.__main__ import main
main()
"""
#: 32,768 points: four full blocks of rows (two processes share four blocks or more).
POINTS = ["diff", "sin(x)*exp(-x**2)", "--at", "0:3.2768:1e-4", "--no-analytic"]


def _environment(workers: Path, **more: str) -> dict[str, str]:
    return {**os.environ, "WORKERS": str(workers), JOBS_VARIABLE: "2", **more}


def _run(
    args: list[str], workers: Path, stdin: Path | None = None, **more: str
) -> subprocess.CompletedProcess[bytes]:
    with open(stdin or os.devnull, "rb") as source:  # a file: read in as large pieces as asked
        return subprocess.run(
            [sys.executable, "-c", RUN, *args],
            stdin=source,
            capture_output=True,
            timeout=120,
            env=_environment(workers, **more),
            check=False,
        )


def _workers(workers: Path) -> list[int]:
    return [int(pid) for pid in workers.read_text().split()] if workers.exists() else []


def _assert_gone(pids: list[int]) -> None:
    for pid in pids:  # killed or ended, and waited for: no zombie left
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


@pytest.mark.parametrize(
    "options",
    [["-f", "csv"], ["-f", "tsv", "--precision", "6", "--fields", "x,numerical,status"]],
    ids=["csv", "tsv-precision-fields"],
)
def test_two_processes_write_the_bytes_one_process_writes(
    options: list[str], tmp_path: Path
) -> None:
    workers = tmp_path / "workers"
    done = _run([*POINTS, *options], workers)
    alone = invoke([*POINTS, *options])
    assert done.returncode == alone.exit_code == 0, done.stderr
    assert done.stdout.decode() == alone.stdout
    assert done.stderr.decode() == alone.stderr
    assert len(done.stdout.splitlines()) == 32_769
    assert len(_workers(workers)) == 1
    _assert_gone(_workers(workers))


def test_a_stream_of_several_groups_is_written_as_one_process_writes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # groups of 40,000 points (five blocks each: a worker each) and one of 5,000 (one block:
    # written by this process alone)
    lines = "".join(f"{k / 10_000!r}\n" for k in range(85_000))
    workers = tmp_path / "workers"
    args = ["diff", "x**3", "--at", "-", "-f", "csv", "--no-analytic", "-q"]
    points = tmp_path / "points"
    points.write_text(lines)
    done = _run(args, workers, stdin=points, GROUP_POINTS="40000")
    assert done.returncode == 0, done.stderr
    assert len(_workers(workers)) == 2
    _assert_gone(_workers(workers))
    monkeypatch.setattr(sources, "CHUNK_POINTS", 40_000)
    alone = CliRunner().invoke(cli, args, input=lines, catch_exceptions=False)
    assert alone.exit_code == 0
    assert len(alone.stdout.splitlines()) == 85_001
    assert done.stdout.decode() == alone.stdout


@pytest.mark.parametrize("how", ["fails", "stalls"])
def test_a_worker_that_fails_or_stalls_leaves_its_blocks_to_the_command(
    how: str, tmp_path: Path
) -> None:
    workers = tmp_path / "workers"
    done = _run([*POINTS, "-f", "csv"], workers, FAILING_BLOCK="3", HOW=how)
    alone = invoke([*POINTS, "-f", "csv"])
    assert done.returncode == 0, done.stderr
    assert (done.stdout.decode(), done.stderr.decode()) == (alone.stdout, alone.stderr)
    assert len(_workers(workers)) == 1
    _assert_gone(_workers(workers))


def test_head_1_ends_the_command_and_its_worker_quietly(tmp_path: Path) -> None:
    workers = tmp_path / "workers"
    command = '{ "$@"; echo "diffcli exited $?" >&2; } | head -1'
    done = subprocess.run(
        ["sh", "-c", command, "sh", sys.executable, "-c", RUN, *POINTS, "-f", "csv", "-q"],
        capture_output=True,
        text=True,
        timeout=120,
        env=_environment(workers),
        check=False,
    )
    assert (done.stdout, done.stderr) == (
        "x,value,method,step,numerical,analytic,abs_error,rel_error,evaluations,"
        "error_estimate,left,right,technique,status\n",
        f"diffcli exited {EXIT_CLOSED_PIPE}\n",
    )
    _assert_gone(_workers(workers))


def _with_its_worker(workers: Path) -> subprocess.Popen[bytes]:
    """The command writing ``POINTS``' CSV into a pipe nobody reads, once its worker runs
    (the command waits to write), in a process group of its own, as a terminal's job is."""
    process = subprocess.Popen(
        [sys.executable, "-c", RUN, *POINTS, "-f", "csv", "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_environment(workers),
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not _workers(workers):
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.02)
    return process


def test_ctrl_c_ends_the_command_and_its_worker(tmp_path: Path) -> None:
    workers = tmp_path / "workers"
    process = _with_its_worker(workers)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does: every process of the job
    stdout, stderr = process.communicate(timeout=30)
    assert (process.returncode, stderr) == (EXIT_INTERRUPTED, b"error: interrupted\n")
    assert len(stdout.splitlines()) < 32_769
    _assert_gone(_workers(workers))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the kernel's parent-death signal")
def test_a_command_killed_by_a_signal_it_does_not_catch_takes_its_worker(tmp_path: Path) -> None:
    # the worker ends too: the kernel's parent-death signal, or its next write into the pipe
    workers = tmp_path / "workers"
    process = _with_its_worker(workers)
    process.terminate()
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGTERM
    for pid in _workers(workers):  # killed by the kernel; whoever adopted it may reap it later
        stat = Path(f"/proc/{pid}/stat")
        deadline = time.monotonic() + 10
        while stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] not in "ZX":
            assert time.monotonic() < deadline, f"the worker {pid} still runs"
            time.sleep(0.02)


def test_few_blocks_and_jobs_1_are_written_by_one_process(tmp_path: Path) -> None:
    workers = tmp_path / "workers"
    rows = f"0:{3 * BLOCK_ROWS}:1", f"0:{4 * BLOCK_ROWS}:1"
    few, jobs_1 = (["diff", "x**2", "--at", at, "-f", "csv", "--no-analytic"] for at in rows)
    assert _run(few, workers).returncode == 0
    assert _run(jobs_1, workers, **{JOBS_VARIABLE: "1"}).returncode == 0
    assert _workers(workers) == []


@pytest.mark.parametrize(
    ("load", "forks"),
    [
        ("0.42 0.50 0.61 1/230 4242", True),  # nothing else runs now, nor did much of late
        ("0.42 0.50 0.61 2/230 4242", False),  # another task runs now
        ("2.10 1.50 0.61 1/230 4242", False),  # two CPUs' worth of work over the last minute
        ("", False),  # unreadable
    ],
)
def test_a_worker_is_forked_only_for_many_blocks_on_our_own_stdout_and_a_free_cpu(
    load: str, forks: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from diffcli.render import parallel

    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("one CPU: never a worker")
    (tmp_path / "loadavg").write_text(load)
    monkeypatch.setattr(parallel, "LOAD", str(tmp_path / "loadavg"))
    monkeypatch.delenv(JOBS_VARIABLE, raising=False)
    monkeypatch.setattr(sys, "stdout", GuardedStream(io.StringIO(), messages=False))
    assert not parallel._worth_forking(parallel.FEWEST_BLOCKS)  # a caller's stream
    monkeypatch.setattr(sys, "stdout", GuardedStream(sys.__stdout__, messages=False))
    assert parallel._worth_forking(parallel.FEWEST_BLOCKS) is forks
    assert not parallel._worth_forking(parallel.FEWEST_BLOCKS - 1)
    monkeypatch.setenv(JOBS_VARIABLE, "2")
    assert parallel._worth_forking(parallel.FEWEST_BLOCKS)
    monkeypatch.setenv(JOBS_VARIABLE, "1")
    assert not parallel._worth_forking(parallel.FEWEST_BLOCKS)
