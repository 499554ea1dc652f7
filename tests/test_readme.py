"""The README's console examples are real: each one is run and its output compared."""

from __future__ import annotations

import json
import pathlib
import re
import shlex

import pytest

from tests.conftest import invoke

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def console_examples() -> list[tuple[str, str, str]]:
    """(command, expected stdout, expected stderr) for every ``$ diffcli`` line."""
    examples = []
    for block in re.findall(r"```console\n(.*?)```", README.read_text(), re.DOTALL):
        command: str | None = None
        stdout: list[str] = []
        stderr: list[str] = []
        in_error = False
        lines = iter(block.splitlines())
        for line in lines:
            while line.startswith("$ ") and line.endswith("\\"):
                line = line[:-1] + next(lines).strip()
            if line.startswith("$ "):
                if command is not None:
                    examples.append((command, "".join(stdout), "".join(stderr)))
                command, stdout, stderr, in_error = line[2:], [], [], False
            elif line.startswith("error:") or in_error:
                in_error = True
                stderr.append(line + "\n")
            elif line.startswith("warning:"):
                stderr.append(line + "\n")
            else:
                stdout.append(line + "\n")
        if command is not None:
            examples.append((command, "".join(stdout), "".join(stderr)))
    return examples


EXAMPLES = console_examples()


def test_the_readme_has_examples():
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize(("command", "stdout", "stderr"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_readme_example(command, stdout, stderr):
    words = shlex.split(command)
    assert words[0] == "diffcli"
    outcome = invoke(words[1:])
    assert outcome.stdout == stdout, outcome.explain()
    assert outcome.stderr == stderr, outcome.explain()


def test_readme_diff_json_is_the_real_output():
    text = README.read_text()
    block = text[text.index("`diff`, the JSON is:") :]
    start = block.index("```json\n") + len("```json\n")
    documented = json.loads(block[start : block.index("\n```", start)])
    outcome = invoke(["diff", "x0**2 + x1**2", "--wrt", "x0", "--at", "x0=3,x1=4", "-f", "json"])
    assert json.loads(outcome.stdout) == documented
