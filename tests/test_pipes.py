"""Output that cannot be written, and a reader that goes away (``| head -1``), in real processes.

These are the user's environment, not diffcli's bug: a full disk or a closed descriptor is one
``error: cannot write output: …`` line and exit 5; a closed pipe ends quietly with 141.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from diffcli.errors import EXIT_CANNOT_WRITE, EXIT_CLOSED_PIPE

DIFFCLI = [sys.executable, "-m", "diffcli"]
DEV_FULL = Path("/dev/full")
#: A run that prints a warning (the step vanished) and exits 0.
WARNS_AND_SUCCEEDS = (
    '$DIFFCLI diff "0.01*x**2+0.1*x" --at 5 --method forward --h 1e-50 -f value --no-analytic'
)
needs_dev_full = pytest.mark.skipif(not DEV_FULL.exists(), reason="no /dev/full here")


def shell(command: str) -> subprocess.CompletedProcess[str]:
    """Run ``command`` in sh with ``$DIFFCLI`` set to this interpreter's ``-m diffcli``."""
    return subprocess.run(
        ["sh", "-c", command],
        capture_output=True,
        text=True,
        timeout=60,
        env={"DIFFCLI": " ".join(DIFFCLI), "PATH": "/usr/bin:/bin", "COLUMNS": "80"},
    )


@needs_dev_full
def test_stdout_to_a_full_device_is_exit_5_in_one_line() -> None:
    # before: internal error (OSError: [Errno 28] No space left on device), exit 3
    done = shell('$DIFFCLI diff "x**2" --at 1 --no-analytic > /dev/full')
    assert (done.returncode, done.stderr) == (
        EXIT_CANNOT_WRITE,
        "error: cannot write output: No space left on device\n",
    )


@needs_dev_full
def test_help_to_a_full_device_is_exit_5_in_one_line() -> None:
    # before: exit 0, the help lost without a word
    done = shell("$DIFFCLI descend --help > /dev/full")
    assert (done.returncode, done.stderr) == (
        EXIT_CANNOT_WRITE,
        "error: cannot write output: No space left on device\n",
    )


def test_json_to_a_closed_stdout_is_exit_5_in_one_line() -> None:
    # before: internal error (AttributeError: 'NoneType' object has no attribute 'write')
    done = shell('$DIFFCLI diff "x**2" --at 1 --no-analytic -f json >&-')
    assert (done.returncode, done.stderr) == (
        EXIT_CANNOT_WRITE,
        "error: cannot write output: Bad file descriptor\n",
    )


@needs_dev_full
def test_history_to_a_full_device_is_exit_5_in_one_line() -> None:
    done = shell('$DIFFCLI descend "x**2" --from 1 --no-analytic --history /dev/full')
    assert (done.returncode, done.stderr) == (
        EXIT_CANNOT_WRITE,
        "error: cannot write output to --history '/dev/full': No space left on device\n",
    )
    assert done.stdout == ""  # the run stops before its report: it could not be kept


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="no /proc here")
def test_history_to_proc_self_mem_is_exit_5_in_one_line() -> None:
    done = shell('$DIFFCLI descend "x**2" --from 1 --no-analytic --history /proc/self/mem')
    assert (done.returncode, done.stderr) == (
        EXIT_CANNOT_WRITE,
        "error: cannot write output to --history '/proc/self/mem': Input/output error\n",
    )


def test_closed_stderr_keeps_the_exit_code_of_a_run_with_a_warning() -> None:
    # before: exit 1 (the warning could not be written, then neither could the error)
    command = WARNS_AND_SUCCEEDS
    done = shell(command + " 2>&-")
    assert (done.returncode, done.stdout) == (0, "0.0\n")
    assert shell(command).stderr.startswith("warning: at x=5 the step h=1e-50 vanished")


@needs_dev_full
def test_full_stderr_keeps_the_exit_code_of_a_run_with_a_warning() -> None:
    command = WARNS_AND_SUCCEEDS
    done = shell(command + " 2>/dev/full")
    assert (done.returncode, done.stdout) == (0, "0.0\n")


def test_closed_pipe_ends_quietly_with_141() -> None:
    # before: exit 1, the code documented as "cannot evaluate"
    process = subprocess.Popen(
        [*DIFFCLI, "sweep", "sin(x)", "--at", "1", "-f", "value", "--no-analytic", "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before anything is written
    process.wait(timeout=60)
    assert process.stderr.read().decode() == ""
    assert process.returncode == EXIT_CLOSED_PIPE


def test_head_1_ends_a_long_output_quietly_with_141() -> None:
    # 10,001 CSV rows (some 450 kB) outgrow a pipe: diffcli is still writing when head exits
    done = shell(
        '{ $DIFFCLI descend "x**2" --from 1 --steps 10000 --trace 1 -f csv --no-analytic; '
        'echo "diffcli exited $?" >&2; } | head -1'
    )
    assert (done.stdout, done.stderr) == (
        "step,x,f,grad_norm\n",
        f"diffcli exited {EXIT_CLOSED_PIPE}\n",
    )
