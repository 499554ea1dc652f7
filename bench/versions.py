"""Two builds of diffcli side by side (run by hand): is the new one slower anywhere?

    python bench/versions.py OLD_PYTHON NEW_PYTHON [--runs N]

Each interpreter must have its own diffcli installed (e.g. a virtual environment made from a
checkout of the old commit). Whole commands run in fresh processes, alternating old and new so
that the shared machine's noise falls on both alike; each line gives the median wall times and
the ratio new/old (above 1.05: more than 5 % slower). Library benchmarks are compared by their
own reports: run `bench/gradient.py`, `bench/tensors.py` and `bench/descent.py` under each
interpreter, since each measures diffcli against a reference in the same process.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time

COMMANDS = [
    ["--version"],
    ["diff", "--help"],
    ["diff", "0.01*x**2+0.1*x", "--at", "5", "--no-analytic"],
    ["diff", "0.01*x**2+0.1*x", "--at", "5"],
    ["grad", "x0**2 + x1**2", "--at", "3,4", "--format", "json"],
    ["hessian", "x0**2*x1 + sin(x1)", "--at", "1.5,0.5"],
    ["sweep", "sin(x)", "--at", "1", "--no-analytic"],
    ["descend", "x0**2 + x1**2", "--from", "-3,4", "--lr", "0.1", "--no-analytic"],
]


def seconds(python: str, argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([python, "-m", "diffcli", *argv], check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("old", help="the interpreter with the old diffcli")
    parser.add_argument("new", help="the interpreter with the new diffcli")
    parser.add_argument("--runs", type=int, default=11)
    arguments = parser.parse_args()
    print("| command | old (median) | new (median) | new / old |")
    print("| --- | --- | --- | --- |")
    for argv in COMMANDS:
        old: list[float] = []
        new: list[float] = []
        for _ in range(arguments.runs):
            old.append(seconds(arguments.old, argv))
            new.append(seconds(arguments.new, argv))
        before, after = statistics.median(old), statistics.median(new)
        text = " ".join(argv)
        print(f"| `{text}` | {before * 1e3:.0f} ms | {after * 1e3:.0f} ms | {after / before:.2f} |")


if __name__ == "__main__":
    main()
