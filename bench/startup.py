"""Start-up cost of one diffcli call (run by hand): median wall time of fresh processes.

    python bench/startup.py [--runs N]

diffcli is started once per query, so every import costs every call. This measures the
commands a user types most, each in a new process, and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time

COMMANDS = [
    ["--version"],
    ["diff", "--help"],
    ["diff", "0.01*x**2+0.1*x", "--at", "5", "--no-analytic"],
    ["diff", "0.01*x**2+0.1*x", "--at", "5"],
    ["diff", "0.01*x**2+0.1*x", "--at", "5", "--format", "json"],
]


def median_seconds(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    arguments = parser.parse_args()
    executable = shutil.which("diffcli") or sys.exit("diffcli is not on PATH: pip install . first")
    baseline = median_seconds([sys.executable, "-c", "pass"], arguments.runs)
    print(f"python -c pass: {baseline * 1000:.0f} ms (median of {arguments.runs})\n")
    print("| command | median wall time |")
    print("| --- | --- |")
    for command in COMMANDS:
        seconds = median_seconds([executable, *command], arguments.runs)
        shown = " ".join(f'"{word}"' if "*" in word else word for word in command)
        print(f"| `diffcli {shown}` | {seconds * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
