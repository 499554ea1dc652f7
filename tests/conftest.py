"""Shared test helpers: run the CLI in-process and explain failures with both streams."""

from __future__ import annotations

import functools
import inspect
import math
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner

from diffcli.cli import cli

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class Run:
    """What one command printed and returned."""

    exit_code: int
    stdout: str
    stderr: str

    def explain(self) -> str:
        return (
            f"exit {self.exit_code}\n--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"
        )


def invoke(args: Sequence[str], columns: int = 80, env: dict[str, str] | None = None) -> Run:
    """Run ``diffcli ARGS`` at a fixed terminal width, as a pipe would see it."""
    runner = CliRunner()
    environment = {"COLUMNS": str(columns), "NO_COLOR": "1", "TERM": "dumb"}
    environment.update(env or {})
    result = runner.invoke(
        cli, list(args), env=environment, catch_exceptions=False, prog_name="diffcli"
    )
    return Run(result.exit_code, result.stdout, result.stderr)


@pytest.fixture(autouse=True)
def _cache_directory(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Every test gets an empty analytic cache of its own, never the user's, switched on (a
    command run with --no-cache earlier in this process switched it off)."""
    from diffcli.engine import cache

    monkeypatch.setenv("DIFFCLI_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    token = cache.ENABLED.set(True)
    yield
    cache.ENABLED.reset(token)


#: SymPy's time under the default limit in tests: a machine busy with other work can take more
#: than the default 5 s to import SymPy in a forked child and derive, and the answer would then
#: come from AD instead, changing a pinned output.
PATIENT_SECONDS = 120.0


@pytest.fixture(autouse=True)
def _sympy_has_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """SymPy jobs under the default limit get ``PATIENT_SECONDS`` (a test of a limit sets its
    own, or holds the work back with ``sympy_never_finishes``)."""
    from diffcli.catalog import DEFAULT_TIMEOUT
    from diffcli.engine import analytic

    original = analytic.bounded

    @functools.wraps(original)
    def patient(work: Callable[[], Any], seconds: float) -> Any:
        return original(work, PATIENT_SECONDS if seconds == DEFAULT_TIMEOUT else seconds)

    monkeypatch.setattr(analytic, "bounded", patient)


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[Figure]:
    """The figures commands draw, caught before they are saved (and then saved as usual)."""
    from diffcli.render import plots

    figures: list[Figure] = []
    save = plots.save

    def catch(figure: Figure, target: str, dpi: int, option: str) -> None:
        figures.append(figure)
        save(figure, target, dpi, option)

    monkeypatch.setattr(plots, "save", catch)
    return figures


@pytest.fixture
def run() -> object:
    """``run(*args, expect=0)``: invoke the CLI and assert the exit code, explaining failures."""

    def _run(*args: str, expect: int = 0, columns: int = 80) -> Run:
        outcome = invoke(args, columns=columns)
        assert outcome.exit_code == expect, outcome.explain()
        return outcome

    return _run


@pytest.fixture
def sympy_never_finishes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make every SymPy job outlast its time limit, whatever this machine's speed.

    The real ``analytic.bounded`` still runs (its child process or thread, its wait, its
    message); only the work inside it is held back until the test ends (a child never sees the
    release and is killed at the limit), so a timeout test cannot pass or fail by how fast
    SymPy happens to be today.
    """
    from diffcli.engine import analytic

    released = threading.Event()
    original = inspect.unwrap(analytic.bounded)  # the real limit, not ``_sympy_has_time``'s

    def held_back(work: Callable[[], Any], seconds: float) -> Any:
        if not 0 < seconds < math.inf:  # no limit: holding the work back would hang the test
            return original(work, seconds)

        def blocked() -> None:
            released.wait()

        return original(blocked, seconds)

    monkeypatch.setattr(analytic, "bounded", held_back)
    yield
    released.set()
