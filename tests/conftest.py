"""Shared test helpers: run the CLI in-process and explain failures with both streams."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pytest
from click.testing import CliRunner

from diffcli.cli import cli


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


@pytest.fixture
def run() -> object:
    """``run(*args, expect=0)``: invoke the CLI and assert the exit code, explaining failures."""

    def _run(*args: str, expect: int = 0, columns: int = 80) -> Run:
        outcome = invoke(args, columns=columns)
        assert outcome.exit_code == expect, outcome.explain()
        return outcome

    return _run
