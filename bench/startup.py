"""Start-up cost of one diffcli call against qalc and bare Python (run by hand).

    python bench/startup.py [--runs N]

diffcli is started once per query, so every import costs every call. Each round runs every
command once, in a new process, in turn (paired and alternating, so that a busy machine
slows all of them alike); the table gives each command's median wall and CPU time (user +
system of the child) over the rounds, and its ratio to the reference the issue names. A
"first" query runs with an empty cache directory (SymPy derives); a "repeated" one with the
cache holding its answer (no SymPy). The table format runs under a pseudo-terminal, as a
user at a terminal sees it. diffcli's modules are compiled first and the commands run with
bytecode caching on, as after ``pip install`` (``PYTHONDONTWRITEBYTECODE`` would make every
run compile diffcli's sources again).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import pty
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field

QUERY = ["diff", "0.01*x**2+0.1*x", "--at", "5"]
QALC = ["qalc", "-t", "diff(0.01x^2+0.1x, x, 1, 5)"]


@dataclass
class Command:
    """One command measured: its words, how it runs, the reference it is compared with."""

    label: str
    argv: list[str]
    reference: str = ""
    goal: float | None = None
    terminal: bool = False
    before: Callable[[], None] = lambda: None
    cache: str | None = None
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


def run_once(command: Command, environment: dict[str, str]) -> None:
    command.before()
    if command.cache:
        environment = {**environment, "DIFFCLI_CACHE_DIR": command.cache}
    start_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    if command.terminal:
        _run_in_terminal(command.argv, environment)
    else:
        subprocess.run(command.argv, check=True, capture_output=True, env=environment)
    command.wall.append(time.perf_counter() - start)
    end_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    command.cpu.append(
        end_cpu.ru_utime - start_cpu.ru_utime + end_cpu.ru_stime - start_cpu.ru_stime
    )


def _run_in_terminal(argv: list[str], environment: dict[str, str]) -> None:
    """Run with stdout on a pseudo-terminal, reading everything it prints."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(argv, stdout=follower, stderr=follower, env=environment)
    os.close(follower)
    while True:
        try:
            if not os.read(leader, 1 << 16):
                break
        except OSError:
            break
    os.close(leader)
    if process.wait() != 0:
        raise SystemExit(f"{' '.join(argv)} failed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    arguments = parser.parse_args()
    executable = shutil.which("diffcli") or sys.exit("diffcli is not on PATH: pip install . first")
    cold = tempfile.mkdtemp(prefix="diffcli-cold-")
    warm = tempfile.mkdtemp(prefix="diffcli-warm-")
    environment = {**os.environ, "DIFFCLI_CACHE_DIR": warm, "COLUMNS": "100"}
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    package = os.path.dirname(importlib.util.find_spec("diffcli").origin or "")
    subprocess.run([sys.executable, "-m", "compileall", "-q", package], check=True)
    subprocess.run([executable, *QUERY], check=True, capture_output=True, env=environment)

    def empty_cold_cache() -> None:
        shutil.rmtree(cold, ignore_errors=True)

    python = sys.executable
    commands = [
        Command("`python -c pass`", [python, "-c", "pass"]),
        Command('`python -c "import click"`', [python, "-c", "import click"]),
        Command('`python -c "import sympy, numpy"`', [python, "-c", "import sympy, numpy"]),
        Command(
            '`python -c "import rich.console, rich.table"`',
            [python, "-c", "import rich.console, rich.table"],
            "qalc",
        ),
        Command("`diffcli --version`", [executable, "--version"], "click", 1.2),
        Command("`diffcli diff --help`", [executable, "diff", "--help"], "click", 1.2),
        Command(
            "first query, table",
            [executable, *QUERY],
            "sympy",
            1.1,
            True,
            empty_cold_cache,
            cold,
        ),
        Command(
            "first query, `-f value`",
            [executable, *QUERY, "-f", "value"],
            "sympy",
            1.1,
            False,
            empty_cold_cache,
            cold,
        ),
        Command("repeated query, table", [executable, *QUERY], "qalc", 2.5, True),
        Command(  # the same table by the full path (Click, NumPy), which declines no spelling
            "repeated query, table, `--format=table`",
            [executable, *QUERY, "--format=table"],
            "qalc",
            None,
            True,
        ),
        Command("repeated query, `-f value`", [executable, *QUERY, "-f", "value"], "qalc", 1.5),
        Command("`--no-analytic -f value`", [executable, *QUERY, "--no-analytic", "-f", "value"]),
    ]
    if shutil.which("qalc"):
        commands.insert(0, Command(f"`{' '.join(QALC)}`", QALC))
    for _ in range(arguments.runs):
        for command in commands:
            run_once(command, environment)
    references = {
        "qalc": commands[0] if shutil.which("qalc") else None,
        "click": next(c for c in commands if "import click" in c.label),
        "sympy": next(c for c in commands if "import sympy" in c.label),
    }
    print(f"median of {arguments.runs} paired rounds; CPU = user + system of the process\n")
    print("| command | wall | CPU | wall / reference | CPU / reference | goal |")
    print("| --- | --- | --- | --- | --- | --- |")
    for command in commands:
        wall, cpu = statistics.median(command.wall), statistics.median(command.cpu)
        reference = references.get(command.reference)
        ratios = ["", ""]
        if reference is not None:
            ratios = [
                f"{wall / statistics.median(reference.wall):.2f}× {command.reference}",
                f"{cpu / statistics.median(reference.cpu):.2f}× {command.reference}",
            ]
        goal = f"≤ {command.goal}×" if command.goal else ""
        print(
            f"| {command.label} | {wall * 1000:.0f} ms | {cpu * 1000:.0f} ms | "
            f"{ratios[0]} | {ratios[1]} | {goal} |"
        )
    shutil.rmtree(cold, ignore_errors=True)
    shutil.rmtree(warm, ignore_errors=True)


if __name__ == "__main__":
    main()
