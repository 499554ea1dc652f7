"""Each start-up path loads only what it needs: checked in a fresh interpreter per path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("sympy", "numpy", "rich", "matplotlib", "mpmath", "platformdirs")
DIFF = ["diff", "0.01*x**2+0.1*x", "--at", "7"]

#: Each path: its arguments, whether the cache holds its answer first, what it must not load.
PATHS = {
    "version": (["--version"], False, HEAVY),
    "help": (["diff", "--help"], False, HEAVY),
    "cache hit, value": ([*DIFF, "-f", "value"], True, ("sympy", "rich", "matplotlib", "mpmath")),
    "cache hit, table": (DIFF, True, ("sympy", "matplotlib", "mpmath")),
    "cache hit, json": ([*DIFF, "-f", "json"], True, ("sympy", "rich", "matplotlib")),
    "no analytic": ([*DIFF, "--no-analytic", "-f", "value"], False, ("sympy", "rich", "mpmath")),
    "cache info": (["cache", "info"], False, HEAVY),
}


@pytest.fixture(scope="module")
def warm_cache(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment whose cache holds the answer to ``DIFFCLI``."""
    environment = {**os.environ, "DIFFCLI_CACHE_DIR": str(tmp_path_factory.mktemp("cache"))}
    command = [sys.executable, "-m", "diffcli", *DIFF, "-f", "value"]
    subprocess.run(command, check=True, capture_output=True, env=environment)
    assert list(Path(environment["DIFFCLI_CACHE_DIR"]).glob("*.json"))
    return environment


def loaded(args: list[str], environment: dict[str, str] | None) -> list[str]:
    """The heavy modules a fresh interpreter holds after running ``diffcli ARGS``."""
    code = (
        "import sys\n"
        "from diffcli.cli import cli\n"
        "try:\n"
        f"    cli.main(args={args!r}, prog_name='diffcli')\n"
        "except SystemExit as stop:\n"
        "    assert not stop.code, stop.code\n"
        "import json\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]), file=sys.stderr)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=environment
    )
    found: list[str] = json.loads(completed.stderr.strip().splitlines()[-1])
    return found


@pytest.mark.parametrize("name", PATHS)
def test_each_path_loads_no_module_it_does_not_need(name: str, warm_cache: dict[str, str]) -> None:
    args, after_a_miss, forbidden = PATHS[name]
    assert set(loaded(args, warm_cache if after_a_miss else None)) & set(forbidden) == set()
