"""Many points, whole processes side by side (run by hand): diffcli against the primer's loop
and scipy.differentiate, each writing CSV to a file.

    python bench/points.py [--sizes 10000 100000] [--runs 3]

For each size n, the points 0, 10/n, 20/n, … below 10 of ``sin(x)*exp(-x**2)``. The runs are
paired: each round runs every case once, in turn, so a busy machine slows all alike; the
table shows each case's median wall time over the rounds. The per-point cost is the time at n
points through ``--at -`` minus the time at one point, divided by n. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXPRESSION = "sin(x)*exp(-x**2)"

#: The primer's per-point loop, writing x and its numerical derivative (both in full).
PRIMER_LOOP = """
import sys
import numpy as np
sys.path.insert(0, {bench!r})
from primer import numerical_diff
f = lambda x: np.sin(x) * np.exp(-x**2)
with open({out!r}, "w") as out:
    out.write("x,numerical\\n")
    for x in np.arange(0.0, 10.0, {step!r}):
        out.write(f"{{x!r}},{{numerical_diff(f, x)!r}}\\n")
"""

#: scipy.differentiate.derivative over the whole array at once, then its own CSV write.
SCIPY = """
import numpy as np
from scipy.differentiate import derivative
x = np.arange(0.0, 10.0, {step!r})
result = derivative(lambda x: np.sin(x) * np.exp(-x**2), x)
with open({out!r}, "w") as out:
    out.write("x,numerical\\n")
    out.writelines(f"{{a!r}},{{b!r}}\\n" for a, b in zip(x.tolist(), result.df.tolist()))
"""


def cases(diffcli: str, size: int, work: Path) -> dict[str, list[str]]:
    step = 10 / size
    points = work / f"points-{size}.txt"
    if not points.exists():
        points.write_text("".join(f"{k * step!r}\n" for k in range(size)))
    at = f"0:10:{step!r}"
    bench = str(Path(__file__).resolve().parent)
    out = str(work / "out.csv")
    shell = ["sh", "-c"]
    return {
        "primer loop, x and f'(x)": [
            sys.executable,
            "-c",
            PRIMER_LOOP.format(bench=bench, out=out, step=step),
        ],
        "scipy.differentiate, vectorised": [
            sys.executable,
            "-c",
            SCIPY.format(out=out, step=step),
        ],
        "diffcli --at range, every column": [
            *shell,
            f'{diffcli} diff "{EXPRESSION}" --at {at} -f csv > {out}',
        ],
        "diffcli --at range, --no-analytic": [
            *shell,
            f'{diffcli} diff "{EXPRESSION}" --at {at} -f csv --no-analytic > {out}',
        ],
        "diffcli --at range, --fields x,numerical": [
            *shell,
            f'{diffcli} diff "{EXPRESSION}" --at {at} -f csv --no-analytic '
            f"--fields x,numerical > {out}",
        ],
        "diffcli --at - (stdin), --no-analytic": [
            *shell,
            f'{diffcli} diff "{EXPRESSION}" --at - -f csv --no-analytic < {points} > {out}',
        ],
        "diffcli --at - (stdin), one point": [
            *shell,
            f'echo 1 | {diffcli} diff "{EXPRESSION}" --at - -f csv --no-analytic > {out}',
        ],
    }


def seconds(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    diffcli = shutil.which("diffcli") or sys.exit("diffcli is not on PATH: pip install . first")
    with tempfile.TemporaryDirectory() as directory:
        for size in arguments.sizes:
            chosen = cases(diffcli, size, Path(directory))
            times: dict[str, list[float]] = {name: [] for name in chosen}
            for _ in range(arguments.runs):
                for name, argv in chosen.items():
                    times[name].append(seconds(argv))
            medians = {name: statistics.median(found) for name, found in times.items()}
            loop = medians["primer loop, x and f'(x)"]
            print(f"\n### {size:,} points (median of {arguments.runs} paired rounds)\n")
            print("| case | median wall time | primer loop / case |")
            print("| --- | --- | --- |")
            for name, median in medians.items():
                print(f"| {name} | {median:.2f} s | {loop / median:.2f}× |")
            streamed = medians["diffcli --at - (stdin), --no-analytic"]
            one = medians["diffcli --at - (stdin), one point"]
            per_point = (streamed - one) / size * 1e6
            print(
                f"\nper-point cost through --at -: {per_point:.1f} µs; primer loop: "
                f"{loop / size * 1e6:.1f} µs per point, start-up included"
            )


if __name__ == "__main__":
    main()
