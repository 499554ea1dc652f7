"""Many points, whole processes side by side (run by hand): diffcli against the primer's loop
and scipy.differentiate, each writing CSV to a file.

    python bench/points.py [--sizes 100000 1000000] [--runs 3] [--stream 10000000]

For each size n, the points 0, 10/n, 20/n, … below 10 of ``sin(x)*exp(-x**2)``. The runs are
paired: each round runs every case once, in turn, so a busy machine slows all alike; the
table shows each case's median wall time and peak RSS over the rounds and the ratio of the
primer's loop's time to the case's. The per-point cost is the time at n points through
``--at -`` minus the time at one point, divided by n. ``--stream N`` also pipes N points
into ``diffcli diff --at - -f csv`` once and reports its time and peak RSS. Every column is
also run with ``DIFFCLI_JOBS=1`` (one process formats the CSV) and ``DIFFCLI_JOBS=2`` (two,
whatever the load); the other cases choose as a user's command does.

The package's sources are compiled to bytecode first (``python -m compileall``), as an
installed copy's are: where ``PYTHONDONTWRITEBYTECODE`` is set (this machine sets it) an
editable install would otherwise compile them again in every run, while NumPy and SciPy come
with their bytecode. Python reads bytecode that exists even with that variable set.

``--grad`` measures ``grad "x0**2 + x1**2"`` instead, on the primer's grid for its gradient
figure (``x0=-2:2.5:0.25,x1=-2:2.5:0.25``, 324 points) and on a grid of 10^5 points
(``x0=0:10:0.025,x1=0:2.5:0.01``), paired against a hand-written NumPy loop calling the
primer's ``numerical_gradient`` at each point of the same meshgrid (flattened), writing the
point and its gradient. ``--formatting`` measures only the CSV writing of each size's report,
in this process, with one process and with two (``DIFFCLI_JOBS=1`` and ``2``, in turn): wall
time and CPU time of the command and of its worker. Prints Markdown.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
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
    if not points.exists():  # line by line: this process stays small, its children too
        with points.open("w") as lines:
            for k in range(size):
                lines.write(f"{k * step!r}\n")
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
            f'exec {diffcli} diff "{EXPRESSION}" --at {at} -f csv > {out}',
        ],
        "diffcli --at range, every column, DIFFCLI_JOBS=1 (one process)": [
            *shell,
            f'DIFFCLI_JOBS=1 exec {diffcli} diff "{EXPRESSION}" --at {at} -f csv > {out}',
        ],
        "diffcli --at range, every column, DIFFCLI_JOBS=2 (two, whatever the load)": [
            *shell,
            f'DIFFCLI_JOBS=2 exec {diffcli} diff "{EXPRESSION}" --at {at} -f csv > {out}',
        ],
        "diffcli --at range, --no-analytic": [
            *shell,
            f'exec {diffcli} diff "{EXPRESSION}" --at {at} -f csv --no-analytic > {out}',
        ],
        "diffcli --at range, --fields x,numerical": [
            *shell,
            f'exec {diffcli} diff "{EXPRESSION}" --at {at} -f csv --no-analytic '
            f"--fields x,numerical > {out}",
        ],
        "diffcli --at - (stdin), --no-analytic": [
            *shell,
            f'exec {diffcli} diff "{EXPRESSION}" --at - -f csv --no-analytic < {points} > {out}',
        ],
        "diffcli --at - (stdin), one point": [
            *shell,
            f'echo 1 | {diffcli} diff "{EXPRESSION}" --at - -f csv --no-analytic > {out}',
        ],
    }


#: The primer's ``numerical_gradient`` at each point of a meshgrid, writing x0, x1 and the
#: gradient (in full), as a user of the primer would.
GRADIENT_LOOP = """
import sys
import numpy as np
sys.path.insert(0, {bench!r})
from primer import numerical_gradient
f = lambda x: x[0]**2 + x[1]**2
x0, x1 = np.meshgrid(np.arange({first}), np.arange({second}))
with open({out!r}, "w") as out:
    out.write("x0,x1,numerical.x0,numerical.x1\\n")
    for point in np.array([x0.flatten(), x1.flatten()]).T:
        g0, g1 = numerical_gradient(f, point.copy()).tolist()
        out.write(f"{{float(point[0])!r}},{{float(point[1])!r}},{{g0!r}},{{g1!r}}\\n")
"""

#: The grids of ``--grad``: each axis's range as ``START:STOP:STEP``.
GRADIENT_GRIDS = {
    "the primer's grid, 324 points": ("-2:2.5:0.25", "-2:2.5:0.25"),
    "10^5 points": ("0:10:0.025", "0:2.5:0.01"),
}


def gradient_cases(diffcli: str, grid: tuple[str, str], work: Path) -> dict[str, list[str]]:
    first, second = grid
    out = str(work / "out.csv")
    bench = str(Path(__file__).resolve().parent)
    at = f"x0={first},x1={second}"
    command = f'exec {diffcli} grad "x0**2 + x1**2" --at {at} -f csv'
    ranges = {"first": first.replace(":", ", "), "second": second.replace(":", ", ")}
    return {
        "primer numerical_gradient loop": [
            sys.executable,
            "-c",
            GRADIENT_LOOP.format(bench=bench, out=out, **ranges),
        ],
        "diffcli grad, every column": ["sh", "-c", f"{command} > {out}"],
        "diffcli grad, --no-analytic": ["sh", "-c", f"{command} --no-analytic > {out}"],
        "diffcli grad, the loop's four columns": [
            "sh",
            "-c",
            f"{command} --no-analytic --fields x0,x1,numerical.x0,numerical.x1 > {out}",
        ],
        "diffcli grad, --no-analytic -f value": [
            "sh",
            "-c",
            f"{command.replace('-f csv', '-f value')} --no-analytic > {out}",
        ],
    }


def gradient_runs(diffcli: str, runs: int, work: Path) -> None:
    """``--grad``: each grid's cases, paired, against the primer's loop."""
    for title, grid in GRADIENT_GRIDS.items():
        chosen = gradient_cases(diffcli, grid, work)
        times: dict[str, list[float]] = {name: [] for name in chosen}
        peaks: dict[str, list[float]] = {name: [] for name in chosen}
        for _ in range(runs):
            for name, argv in chosen.items():
                elapsed, peak = measured(argv)
                times[name].append(elapsed)
                peaks[name].append(peak)
        medians = {name: statistics.median(found) for name, found in times.items()}
        loop = medians["primer numerical_gradient loop"]
        print(f"\n### grad, {title} (median of {runs} paired rounds)\n")
        print("| case | median wall time | peak RSS | primer loop / case |")
        print("| --- | --- | --- | --- |")
        for name, median in medians.items():
            print(f"| {name} | {median:.2f} s | {max(peaks[name]):.0f} MB | {loop / median:.2f}× |")


def measured(argv: list[str]) -> tuple[float, float]:
    """The wall time (s) and peak RSS (MB, the largest of the process and its children).

    Its warnings go to a file: a pipe nobody reads until the end would fill (64 KiB) and
    stop a stream that warns per group of points."""
    with tempfile.TemporaryFile() as messages:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=messages)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        if status != 0:
            messages.seek(0)
            sys.exit(f"failed: {argv}\n{messages.read().decode(errors='replace')[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


def stream_run(diffcli: str, size: int, work: Path) -> None:
    """``size`` points made by awk, piped into ``diffcli diff --at - -f csv``, once."""
    out = work / "streamed.csv"
    command = (
        f"awk 'BEGIN {{ for (k = 0; k < {size}; k++) printf \"%.17g\\n\", k / {size} * 10 }}' | "
        f'{diffcli} diff "{EXPRESSION}" --at - -f csv --no-analytic > {out}'
    )
    seconds, peak = measured(["sh", "-c", command])
    lines = sum(1 for _ in out.open("rb"))
    print(
        f"\n{size:,} points streamed (awk | diffcli diff --at - -f csv --no-analytic, "
        f"every column): {seconds:.1f} s, peak RSS {peak:.0f} MB, {lines - 1:,} rows written"
    )


def formatting_runs(size: int, runs: int, work: Path) -> None:
    """``--formatting``: the CSV of one report of ``size`` points written to a file, in this
    process, by one process (``DIFFCLI_JOBS=1``) and by two (``DIFFCLI_JOBS=2``), in turn:
    wall time and CPU time of the command and of its worker (medians)."""
    import diffcli
    from diffcli.render.formats import render
    from diffcli.terminal import guarded_streams

    report = diffcli.derivative(EXPRESSION, at=f"0:10:{10 / size!r}")
    results: dict[str, list[tuple[float, float, float]]] = {"1": [], "2": []}
    output = os.open(work / "formatted.csv", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    saved = os.dup(1)
    os.dup2(output, 1)  # the command's own standard output: the worker may be forked
    try:
        with guarded_streams(), open(os.devnull, "w") as messages:
            sys.stderr = messages  # the report's warnings
            for _ in range(runs):
                for jobs in results:
                    os.environ["DIFFCLI_JOBS"] = jobs
                    os.lseek(1, 0, os.SEEK_SET)
                    before = [
                        resource.getrusage(who)
                        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
                    ]
                    start = time.perf_counter()
                    render(report, "csv", None)
                    sys.stdout.flush()
                    elapsed = time.perf_counter() - start
                    after = [
                        resource.getrusage(who)
                        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
                    ]
                    own, worker = (
                        end.ru_utime + end.ru_stime - begin.ru_utime - begin.ru_stime
                        for begin, end in zip(before, after)
                    )
                    results[jobs].append((elapsed, own, worker))
    finally:
        os.dup2(saved, 1)
        os.environ.pop("DIFFCLI_JOBS")
    print(f"\n### CSV of {size:,} points, formatted and written (median of {runs} rounds)\n")
    print("| DIFFCLI_JOBS | wall time | CPU, command | CPU, worker |")
    print("| --- | --- | --- | --- |")
    for jobs, found in results.items():
        wall, own, worker = (max(statistics.median(values), 0.0) for values in zip(*found))
        print(f"| {jobs} | {wall:.2f} s | {own:.2f} s | {worker:.2f} s |")
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")


def compiled_package() -> None:
    """The diffcli package's sources compiled to bytecode (``__pycache__``, git-ignored)."""
    spec = importlib.util.find_spec("diffcli")
    if spec is None or spec.origin is None:
        sys.exit("diffcli is not importable here: run the bench in the project's environment")
    package = str(Path(spec.origin).parent)
    subprocess.run([sys.executable, "-m", "compileall", "-q", package], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--stream", type=int, default=0, metavar="N")
    parser.add_argument("--grad", action="store_true", help="grad on two grids instead")
    parser.add_argument(
        "--formatting", action="store_true", help="only the CSV writing, one process and two"
    )
    arguments = parser.parse_args()
    diffcli = shutil.which("diffcli") or sys.exit("diffcli is not on PATH: pip install . first")
    compiled_package()
    with tempfile.TemporaryDirectory() as directory:
        if arguments.grad:
            gradient_runs(diffcli, arguments.runs, Path(directory))
            return
        if arguments.formatting:
            for size in arguments.sizes:
                formatting_runs(size, arguments.runs, Path(directory))
            return
        for size in arguments.sizes:
            chosen = cases(diffcli, size, Path(directory))
            times: dict[str, list[float]] = {name: [] for name in chosen}
            peaks: dict[str, list[float]] = {name: [] for name in chosen}
            for _ in range(arguments.runs):
                for name, argv in chosen.items():
                    elapsed, peak = measured(argv)
                    times[name].append(elapsed)
                    peaks[name].append(peak)
            medians = {name: statistics.median(found) for name, found in times.items()}
            loop = medians["primer loop, x and f'(x)"]
            scipy = medians["scipy.differentiate, vectorised"]
            print(f"\n### {size:,} points (median of {arguments.runs} paired rounds)\n")
            print("| case | median wall time | peak RSS | primer loop / case | scipy / case |")
            print("| --- | --- | --- | --- | --- |")
            for name, median in medians.items():
                print(
                    f"| {name} | {median:.2f} s | {max(peaks[name]):.0f} MB | "
                    f"{loop / median:.2f}× | {scipy / median:.2f}× |"
                )
            streamed = medians["diffcli --at - (stdin), --no-analytic"]
            one = medians["diffcli --at - (stdin), one point"]
            per_point = (streamed - one) / size * 1e6
            print(
                f"\nper-point cost through --at -: {per_point:.1f} µs; primer loop: "
                f"{loop / size * 1e6:.1f} µs per point, start-up included"
            )
        if arguments.stream:
            stream_run(diffcli, arguments.stream, Path(directory))


if __name__ == "__main__":
    main()
