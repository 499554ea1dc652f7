"""Benchmark: what ``--plot`` adds to a command, one process per call (matplotlib included).

Run by hand: ``python bench/plots.py [--repeats N]``. Goal (issue 14): a plot adds at most
1.5 s to its command. Each command runs with and without ``--plot``, the two alternating so
that load from other processes hits both alike; the medians and the median of the paired
differences, of wall time and of CPU time (which other processes' load disturbs less), are
printed as a Markdown table for docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_SECONDS = 1.5
#: The primer's grid over -2…2.5, one --at per point.
GRID = [item for a in range(-8, 11) for b in range(-8, 11) for item in ("--at", f"{a / 4},{b / 4}")]
COMMANDS = {
    "diff, two tangents": ["diff", "0.01*x**2+0.1*x", "--at", "5", "--at", "10"],
    "grad, 19x19 field": ["grad", "x0**2 + x1**2", *GRID, "--no-analytic"],
    "descend, 20 steps": ["descend", "x0**2 + x1**2", "--from", "-3,4", "--lr=0.1", "--steps=20"],
    "descend --compare": ["descend", "x0**2 + 10*x1**2", "--from", "-3,4", "--compare"],
    "sweep": ["sweep", "0.01*x**2+0.1*x", "--at", "5"],
}


def seconds(args: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one call in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "diffcli", *args], check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    options = parser.parse_args()
    print("| command | without --plot | with --plot (PNG) | added wall | added CPU |")
    print("| --- | --- | --- | --- | --- |")
    worst = 0.0
    with tempfile.TemporaryDirectory() as folder:
        target = str(Path(folder) / "figure.png")
        for name, args in COMMANDS.items():
            plain, plotted = [], []
            for _ in range(options.repeats):
                plain.append(seconds(args))
                plotted.append(seconds([*args, "--plot", target]))
            added = [statistics.median(p[i] - q[i] for p, q in zip(plotted, plain)) for i in (0, 1)]
            worst = max(worst, added[0])
            print(
                f"| {name} | {statistics.median(t[0] for t in plain):.2f} s | "
                f"{statistics.median(t[0] for t in plotted):.2f} s | {added[0]:.2f} s | "
                f"{added[1]:.2f} s |"
            )
    verdict = "within" if worst <= GOAL_SECONDS else "OVER"
    print(f"\nworst added wall time {worst:.2f} s: {verdict} the goal of {GOAL_SECONDS} s")


if __name__ == "__main__":
    main()
