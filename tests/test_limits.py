"""Time limits and interrupts: --analytic-timeout holds whatever SymPy does, --timeout stops a
whole command (exit 4), Ctrl-C ends any run (exit 130), a zero gradient ends a descent.

Every bound is checked with a wide margin against work that would take minutes or hours, so
no outcome depends on this machine's speed. Subprocesses are used only where the real process
matters (signals, the watchdog); each costs about half a second of start-up.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from diffcli.catalog import OPTIMIZERS
from diffcli.commands._time_limit import GRACE
from diffcli.engine import analytic
from diffcli.errors import EXIT_INTERRUPTED, EXIT_TIMEOUT
from tests.conftest import Run, invoke

#: Exact powers SymPy would work on for minutes, holding the interpreter lock.
HUGE = "x+(1/3)**100000000"
LIMIT = 0.2


def _timed(args: Sequence[str]) -> tuple[Run, float]:
    start = time.monotonic()
    outcome = invoke(args)
    return outcome, time.monotonic() - start


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["diff", HUGE, "--at", "1", "--analytic", "sympy"], "no analytic derivative"),
        (
            ["diff", "x+(1/3)^100000000", "--at", "1", "--analytic", "sympy"],
            "no analytic derivative",
        ),
        (["hessian", HUGE, "--at", "1", "--analytic", "sympy"], "no analytic Hessian"),
        (["descend", HUGE, "--from", "1", "--steps", "3"], "no analytic stationary points"),
        (  # held values enter SymPy's solver as exact fractions: 3/10 to the 100000000th
            ["descend", "x**2+t**100000000", "--from", "1", "--set", "t=0.3", "--steps", "3"],
            "no analytic stationary points",
        ),
    ],
)
def test_analytic_timeout_holds_whatever_sympy_does(args: list[str], expected: str) -> None:
    analytic.bounded(lambda: None, 0)  # SymPy loaded: this test times only the limit
    outcome, elapsed = _timed([*args, "--analytic-timeout", str(LIMIT)])
    assert outcome.exit_code == 0, outcome.explain()
    assert outcome.stderr == f"warning: {expected}: SymPy took longer than {LIMIT:g} s\n"
    assert elapsed < LIMIT + 1, outcome.explain()


def test_sweep_of_a_huge_power_is_bounded_too() -> None:
    outcome, elapsed = _timed(
        ["sweep", HUGE, "--at", "1", "--analytic", "sympy", "--analytic-timeout", str(LIMIT)]
    )
    assert outcome.exit_code == 0, outcome.explain()
    assert outcome.stderr.startswith(
        f"warning: no analytic derivative: SymPy took longer than {LIMIT:g} s\n"
    )
    assert elapsed < LIMIT + 1, outcome.explain()


def test_descend_with_sympys_gradient_refuses_past_the_limit() -> None:
    args = ["descend", HUGE, "--from", "1", "--grad", "analytic", "--analytic-timeout", str(LIMIT)]
    outcome, elapsed = _timed(args)
    assert outcome.exit_code == 2, outcome.explain()
    assert outcome.stderr == (
        "error: --grad analytic: no usable SymPy gradient (SymPy took longer than 0.2 s); "
        "use --grad numerical or a larger --analytic-timeout\n"
    )
    assert elapsed < LIMIT + 1, outcome.explain()


def test_a_job_holding_the_interpreter_lock_is_killed_at_the_limit() -> None:
    analytic.bounded(lambda: None, 0)  # SymPy loaded: the job itself meets the limit
    start = time.monotonic()
    outcome = analytic.bounded(lambda: pow(3, 10**10), LIMIT)
    assert (outcome.status, outcome.reason) == ("timed out", "SymPy took longer than 0.2 s")
    assert time.monotonic() - start < LIMIT + 1


def _raise(error: Exception) -> None:
    raise error


def _raise_without_a_message() -> None:
    raise NotImplementedError


def test_a_job_returns_its_value_or_why_it_has_none() -> None:
    assert analytic.bounded(lambda: {"f": [0.5, None]}, 5) == analytic.Bounded(
        {"f": [0.5, None]}, "ok"
    )
    assert analytic.bounded(lambda: math.sqrt(-1), 5) == analytic.Bounded(
        None, "failed", "SymPy gave no answer: math domain error"
    )
    assert analytic.bounded(_raise_without_a_message, 5) == analytic.Bounded(
        None, "failed", "SymPy gave no answer: NotImplementedError"
    )
    long_message = "x" * 500 + "\nsecond line"
    outcome = analytic.bounded(lambda: _raise(ValueError(long_message)), 5)
    assert outcome.reason == "SymPy gave no answer: " + "x" * 159 + "…"

    assert analytic.bounded(lambda: os._exit(0), 5) == analytic.Bounded(
        None, "failed", "SymPy's process ended without an answer"
    )


@pytest.mark.parametrize("seconds", [0, math.inf, 1e10])
def test_no_limit_or_a_very_long_one_waits_for_the_answer(seconds: float) -> None:
    # before: 1e10 s was an internal error (OverflowError: timestamp out of range)
    assert analytic.bounded(lambda: 12.0, seconds) == analytic.Bounded(12.0, "ok")


def test_without_fork_the_job_runs_in_a_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "fork")
    main_process = os.getpid()
    assert analytic.bounded(os.getpid, 5) == analytic.Bounded(main_process, "ok")
    release = threading.Event()
    try:
        late = analytic.bounded(release.wait, 0.05)
    finally:
        release.set()
    assert late == analytic.Bounded(None, "timed out", "SymPy took longer than 0.05 s")


INTERRUPTED_WAIT = """\
import os, signal, threading
from pathlib import Path
from diffcli.engine import analytic

signal.signal(signal.SIGINT, signal.default_int_handler)  # as diffcli does: Ctrl-C raises


def children():
    path = Path(f"/proc/{os.getpid()}/task/{threading.get_native_id()}/children")
    return {int(pid) for pid in path.read_text().split()}


before = children()
main_thread = threading.main_thread().ident
timer = threading.Timer(0.3, signal.pthread_kill, (main_thread, signal.SIGINT))
timer.start()
try:
    analytic.bounded(lambda: pow(3, 10**10), 0)
except KeyboardInterrupt:
    timer.join()
    print("interrupted", children() == before)
"""


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux's /proc")
def test_an_interrupted_wait_kills_the_sympy_process() -> None:
    # in a process of its own: the signal handling of a test runner's worker is not ours
    completed = subprocess.run(
        [sys.executable, "-c", INTERRUPTED_WAIT],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (completed.stdout, completed.returncode) == ("interrupted True\n", 0), completed.stderr


# Ctrl-C, in a real process: one line, exit 130, within a second, at any moment.


def _diffcli(*args: str, **options: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "diffcli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **options,
    )


def _wait_for(condition: Callable[[], bool], process: subprocess.Popen[str]) -> None:
    """Wait (at most a minute) until ``condition`` holds while ``process`` runs."""
    deadline = time.monotonic() + 60
    while not condition():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the moment to interrupt never came"
        time.sleep(0.02)


def _interrupt(process: subprocess.Popen[str]) -> tuple[str, str]:
    process.send_signal(signal.SIGINT)
    sent = time.monotonic()
    stdout, stderr = process.communicate(timeout=30)
    assert time.monotonic() - sent < 1, stderr
    assert (process.returncode, stderr) == (EXIT_INTERRUPTED, "error: interrupted\n")
    return stdout, stderr


def _child_processes(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux's /proc")
def test_ctrl_c_during_a_long_sympy_job() -> None:
    process = _diffcli("diff", HUGE, "--at", "1", "--analytic-timeout", "0")
    _wait_for(lambda: bool(_child_processes(process.pid)), process)
    (sympy_process,) = _child_processes(process.pid)
    _interrupt(process)
    with pytest.raises(ProcessLookupError):  # killed and reaped, not left running
        os.kill(sympy_process, 0)


def test_ctrl_c_during_a_long_numerical_job(tmp_path: Path) -> None:
    history = tmp_path / "steps.csv"
    args = ["x**2", "--from", "1", "--lr", "1e-9", "--steps", "1000000000", "--no-analytic"]
    process = _diffcli("descend", *args, "--history", str(history))
    _wait_for(history.exists, process)  # opened at the first step
    stdout, _ = _interrupt(process)
    assert stdout == ""


INTERRUPT_ON_IMPORT = """\
import builtins, os, signal, sys

real_import = builtins.__import__


def import_and_interrupt(name, *args, **kwargs):
    if name == {module!r}:
        os.kill(os.getpid(), signal.SIGINT)
    return real_import(name, *args, **kwargs)


builtins.__import__ = import_and_interrupt
sys.argv = ["diffcli", "diff", "x**2", "--at", "1", *{extra!r}]
from diffcli.__main__ import main

main()
"""


@pytest.mark.parametrize(
    ("module", "extra"),
    [
        ("click", ["--format=table"]),  # start-up: the command line is loading
        ("numpy", ["--format=table"]),  # the command has started and loads NumPy
        ("numpy", []),  # the plain spelling, before Click: SymPy's job loads NumPy
        ("rich.console", []),  # the plain spelling's table is about to be drawn
    ],
)
def test_ctrl_c_while_loading(module: str, extra: list[str]) -> None:
    # before: a traceback through importlib, at any moment of the first tenth of a second
    code = textwrap.dedent(INTERRUPT_ON_IMPORT.format(module=module, extra=extra))
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert (completed.returncode, completed.stdout, completed.stderr) == (
        EXIT_INTERRUPTED,
        "",
        "error: interrupted\n",
    )


def _interrupt_pending() -> None:  # pragma: no cover - runs in the child before exec
    """Block SIGINT and raise it: a Ctrl-C that arrives while Python itself starts."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    os.kill(os.getpid(), signal.SIGINT)


def test_ctrl_c_while_python_itself_starts() -> None:
    # before: Python's own handler is in place before any of diffcli's code runs, and a
    # Ctrl-C there printed a traceback through importlib (the first 10-35 ms of a run)
    completed = subprocess.run(
        [sys.executable, "-m", "diffcli", "diff", "x**2", "--at", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        preexec_fn=_interrupt_pending,
    )
    assert (completed.returncode, completed.stdout, completed.stderr) == (
        EXIT_INTERRUPTED,
        "",
        "error: interrupted\n",
    )


LAUNCHER = Path(__file__).resolve().parents[1] / "scripts" / "diffcli"


#: The launcher holds Ctrl-C back with GNU env's --block-signal.
needs_env_block_signal = pytest.mark.skipif(
    subprocess.run(["env", "--block-signal=INT", "true"], check=False).returncode != 0,
    reason="needs GNU env's --block-signal",
)


@needs_env_block_signal
def test_the_launcher_starts_python_with_ctrl_c_held_back(tmp_path: Path) -> None:
    # a stand-in for the console script beside the launcher reports its blocked signals; the
    # launcher is reached through a symbolic link from elsewhere on PATH, as pipx installs it
    installed = tmp_path / "venv" / "bin"
    installed.mkdir(parents=True)
    shutil.copy(LAUNCHER, installed / "diffcli")
    entry = installed / "diffcli-python"
    entry.write_text(
        f"#!{sys.executable}\n"
        "import signal, sys\n"
        "print(signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, []))\n"
        "print(*sys.argv[1:])\n"
    )
    entry.chmod(0o755)
    (tmp_path / "diffcli").symlink_to(installed / "diffcli")
    completed = subprocess.run(
        [str(tmp_path / "diffcli"), "diff", "x", "--at", "1"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert completed.stdout == "True\ndiff x --at 1\n"


def _ctrl_c_as_at_a_terminal() -> None:  # pragma: no cover - runs in the child before exec
    """SIGINT as a terminal gives it: a test run in the background inherits it ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@needs_env_block_signal
def test_ctrl_c_at_any_moment_of_start_up_prints_no_traceback(tmp_path: Path) -> None:
    # the launcher beside a console script as pip writes it, for this interpreter
    shutil.copy(LAUNCHER, tmp_path / "diffcli")
    entry = tmp_path / "diffcli-python"
    entry.write_text(
        f"#!{sys.executable}\nimport sys\nfrom diffcli.__main__ import main\nsys.exit(main())\n"
    )
    entry.chmod(0o755)
    launcher = tmp_path / "diffcli"
    for delay in [0.0, 0.005, 0.01, 0.015, 0.02, 0.03, 0.04, 0.06]:
        process = subprocess.Popen(
            [str(launcher), "diff", "x**2", "--at", "1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_ctrl_c_as_at_a_terminal,
        )
        time.sleep(delay)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
        # killed by the signal before the launcher's shell execs, or diffcli's line (never
        # lost: the run does not finish as if no Ctrl-C came)
        assert (process.returncode, stdout, stderr) in {
            (-signal.SIGINT, "", ""),
            (EXIT_INTERRUPTED, "", "error: interrupted\n"),
        }, (delay, stderr)


# --timeout: the whole command, exit 4.


def _matrix(size: int) -> str:
    row = "[" + ",".join(["1"] * size) + "]"
    return "W=[" + ",".join([row] * size) + "]"


@pytest.mark.parametrize(
    "args",
    [
        ["grad", "sum(W@W@W@W)", "--at", _matrix(250)],  # before: past 30 s
        ["hessian", "sum(x**2)", "--at", ",".join(["1"] * 300)],  # before: 8–17 s
        ["descend", "x**2", "--from", "1", "--lr", "1e-9", "--steps", "1000000000"],
    ],
    ids=["grad", "hessian", "descend"],
)
def test_timeout_stops_the_whole_command(args: list[str]) -> None:
    process = _diffcli(*args, "--timeout", "0.5")
    started = time.monotonic()
    _, stderr = process.communicate(timeout=120)
    assert (process.returncode, stderr) == (
        EXIT_TIMEOUT,
        "error: stopped after the --timeout of 0.5 s\n",
    )
    assert time.monotonic() - started < 0.5 + GRACE + 10  # 10 s: start-up on a busy machine


def test_the_watchdog_ends_a_command_the_clean_stop_cannot_reach() -> None:
    # SIGALRM blocked stands for a main thread inside one long C call
    code = textwrap.dedent(
        """\
        import signal, time
        from diffcli.commands._time_limit import time_limit

        with time_limit(0.2):
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
            time.sleep(60)
        """
    )
    start = time.monotonic()
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert (completed.returncode, completed.stderr) == (
        EXIT_TIMEOUT,
        "error: stopped after the --timeout of 0.2 s\n",
    )
    assert time.monotonic() - start < 0.2 + GRACE + 10


def test_timeout_in_process_restores_the_alarm() -> None:
    before = signal.getsignal(signal.SIGALRM)
    args = ["descend", "x**2", "--from", "1", "--lr", "1e-9", "--steps", "1000000000"]
    outcome, elapsed = _timed([*args, "--no-analytic", "--timeout", "0.3"])
    assert (outcome.exit_code, outcome.stdout, outcome.stderr) == (
        EXIT_TIMEOUT,
        "",
        "error: stopped after the --timeout of 0.3 s\n",
    )
    assert elapsed < 0.3 + GRACE
    assert signal.getsignal(signal.SIGALRM) == before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


@pytest.mark.parametrize("value", ["0", "inf", "60"])
def test_timeout_zero_or_infinite_or_unreached_changes_nothing(value: str) -> None:
    outcome = invoke(["diff", "0.01*x**2+0.1*x", "--at", "5", "-f", "value", "--timeout", value])
    assert (outcome.exit_code, outcome.stdout, outcome.stderr) == (0, "0.1999999999990898\n", "")


@pytest.mark.parametrize("command", ["diff", "grad", "hessian", "sweep", "descend"])
@pytest.mark.parametrize("value", ["nan", "-1"])
def test_timeout_refuses_nan_and_negatives(command: str, value: str) -> None:
    at = "--from" if command == "descend" else "--at"
    outcome = invoke([command, "x**2", at, "1", "--timeout", value])
    assert (outcome.exit_code, outcome.stdout) == (2, "")
    assert outcome.stderr == (
        f"error: Invalid value for '--timeout': must be 0 or more seconds, got {value!r} "
        f"(see 'diffcli {command} --help')\n"
    )


# A gradient of exactly 0 is convergence.


def test_descent_from_the_minimum_ends_at_once() -> None:
    outcome = invoke(["descend", "x**2", "--from", "0", "--steps", "1000000000", "-f", "json"])
    assert outcome.exit_code == 0, outcome.explain()
    document = json.loads(outcome.stdout)
    assert (document["status"], document["steps"]) == ("converged", 0)
    table = invoke(["descend", "x**2", "--from", "0", "--steps", "1000000000", "--no-analytic"])
    assert table.stdout == (
        "f = x**2\n"
        "sgd, lr = 0.01, numerical gradient (central difference, h = 0.0001)\n"
        "\n"
        "start     x=0\n"
        "final     x=0\n"
        "f(final)  0.0\n"
        "|∇f|      0.0\n"
        "status    converged after 0 steps (∇f = 0 exactly)\n"
        "analytic  n/a (--no-analytic)\n"
    )


@pytest.mark.parametrize(
    ("optimizer", "grad"),
    [*((name, "numerical") for name in OPTIMIZERS), ("adam", "analytic")],
)
def test_every_optimizer_stops_where_the_gradient_is_exactly_zero(
    optimizer: str, grad: str
) -> None:
    # relu(x) from 1, lr 0.75: x = 0.25, then -0.5, where the gradient is 0 on both sides
    args = ["descend", "relu(x)", "--from", "1", "--lr", "0.75", "--steps", "1000000000"]
    options = ["--optimizer", optimizer, "--grad", grad, "--no-analytic", "-f", "json"]
    if grad == "analytic":
        options.remove("--no-analytic")
    outcome = invoke([*args, *options])
    document = json.loads(outcome.stdout)
    assert document["status"] == "converged", outcome.explain()
    assert document["final"]["grad_norm"] == 0.0
    assert document["steps"] < 1000


def test_the_console_scripts_early_exit_code_is_the_interrupted_one() -> None:
    from diffcli import __main__, errors

    assert __main__.INTERRUPTED == errors.EXIT_INTERRUPTED
