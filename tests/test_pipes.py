"""A reader that stops early (``| head``) ends diffcli quietly, without a traceback."""

from __future__ import annotations

import subprocess
import sys


def test_closed_pipe_is_not_an_internal_error():
    script = (
        "import sys; from diffcli.cli import main; "
        "sys.argv = ['diffcli', 'sweep', 'sin(x)', '--at', '1', '-f', 'value']; main()"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before anything is written
    process.wait(timeout=60)
    error = process.stderr.read().decode()
    assert "Traceback" not in error
    assert "internal error" not in error
    assert process.returncode in (0, 1)
