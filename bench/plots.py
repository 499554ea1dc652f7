"""Benchmark: what ``--plot`` adds to a command, one process per call (matplotlib included).

Run by hand: ``python bench/plots.py [--repeats N]``. Goal (issue 14): a plot adds at most
1.5 s to its command. Each command runs with and without ``--plot``, the two alternating so
that load from other processes hits both alike; the medians and the median of the paired
differences are printed as a Markdown table for docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
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


def seconds(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "diffcli", *args], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    options = parser.parse_args()
    print("| command | without --plot | with --plot (PNG) | added (median of pairs) |")
    print("| --- | --- | --- | --- |")
    worst = 0.0
    with tempfile.TemporaryDirectory() as folder:
        target = str(Path(folder) / "figure.png")
        for name, args in COMMANDS.items():
            plain, plotted = [], []
            for _ in range(options.repeats):
                plain.append(seconds(args))
                plotted.append(seconds([*args, "--plot", target]))
            added = statistics.median(p - q for p, q in zip(plotted, plain))
            worst = max(worst, added)
            print(
                f"| {name} | {statistics.median(plain):.2f} s | "
                f"{statistics.median(plotted):.2f} s | {added:.2f} s |"
            )
    verdict = "within" if worst <= GOAL_SECONDS else "OVER"
    print(f"\nworst added time {worst:.2f} s: {verdict} the goal of {GOAL_SECONDS} s")


if __name__ == "__main__":
    main()
