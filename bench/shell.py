"""``diffcli shell``'s speed (run by hand): one answer after the first, and batch vs processes.

    python bench/shell.py [--answers N] [--lines N] [--processes N]

1. Each kind of query runs once (imports, SymPy's first use), then ``--answers`` times at new
   points in the same session; the median time of those answers is printed (goal: ≤ 50 ms).
2. The same ``--lines`` lines (``diff "0.01*x**2+0.1*x" --at K``, K = 1, 2, …) run as one
   ``diffcli shell`` fed by a pipe, and as one ``diffcli diff`` process each (goal: the shell
   in ≤ 1/20 of the time). Both outputs are compared. ``--processes M`` times only the first M
   processes and scales their time to all the lines (a full run of 1,000 takes ~15 minutes).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shlex
import shutil
import statistics
import subprocess
import sys
import time

#: One line of each kind, ``{k}`` replaced by the answer's number (a new point each time).
KINDS = {
    "diff": "diff 0.01*x**2+0.1*x --at {k}",
    "diff --no-analytic": "diff 0.01*x**2+0.1*x --at {k} --no-analytic",
    "grad": "grad x0**2 + x1**2 --at {k},4",
    "hessian": "hessian x0**2*x1 + sin(x1) --at {k},0.5",
    "sweep": "sweep sin(x) --at {k}",
    "descend (100 steps)": "descend x0**2 + x1**2 --from -3,{k} --lr 0.1",
}
BATCH_LINE = 'diff "0.01*x**2+0.1*x" --at {k}'


def answer_times(answers: int) -> dict[str, tuple[float, float]]:
    """Each kind's first answer and the median of the next ``answers``, in seconds."""
    from diffcli.shell.session import Session

    session = Session()
    measured: dict[str, tuple[float, float]] = {}
    for kind, line in KINDS.items():
        times = []
        for k in range(1, answers + 2):
            start = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                code = session.run(line.format(k=k))
            times.append(time.perf_counter() - start)
            assert code == 0, line
        measured[kind] = (times[0], statistics.median(times[1:]))
    return measured


def batch_against_processes(lines: int, processes: int) -> tuple[float, float, int]:
    """Seconds for ``lines`` lines in one shell, seconds for ``processes`` separate processes."""
    executable = shutil.which("diffcli") or sys.exit("diffcli is not on PATH: pip install . first")
    typed = [BATCH_LINE.format(k=k) for k in range(1, lines + 1)]
    start = time.perf_counter()
    batch = subprocess.run(
        [executable, "shell"],
        input="".join(line + "\n" for line in typed),
        capture_output=True,
        text=True,
        check=True,
    )
    batch_seconds = time.perf_counter() - start
    outputs = []
    start = time.perf_counter()
    for line in typed[:processes]:
        separate = subprocess.run(
            [executable, *shlex.split(line)], capture_output=True, text=True, check=True
        )
        outputs.append(separate.stdout)
    process_seconds = time.perf_counter() - start
    assert batch.stdout.startswith("".join(outputs)), "the shell's output differs"
    return batch_seconds, process_seconds, processes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--answers", type=int, default=20)
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=None)
    arguments = parser.parse_args()

    print(f"one answer in a session: first, then the median of {arguments.answers} more\n")
    print("| query | first | median after |")
    print("| --- | --- | --- |")
    for kind, (first, median) in answer_times(arguments.answers).items():
        print(f"| `{kind}` | {first * 1000:.0f} ms | {median * 1000:.1f} ms |")

    lines = arguments.lines
    processes = min(arguments.processes or lines, lines)
    batch, separate, timed = batch_against_processes(lines, processes)
    all_processes = separate * lines / timed
    scaled = "" if timed == lines else f" (the first {timed} timed, scaled to {lines})"
    print(f"\n{lines} lines of `{BATCH_LINE}`:")
    print(f"  diffcli shell < lines: {batch:.1f} s")
    print(f"  {lines} processes: {all_processes:.1f} s{scaled}")
    print(f"  ratio: 1/{all_processes / batch:.0f}")


if __name__ == "__main__":
    main()
