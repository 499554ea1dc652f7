"""diffcli: derivatives from the command line, numerical beside analytic, safely parsed.

The library API is loaded on first use, so that ``import diffcli`` stays cheap::

    from diffcli import parse, differentiate, DiffOptions
    from diffcli.expr.points import bind, read_bindings
"""

from __future__ import annotations

import importlib
from typing import Any

from ._version import __version__

_API = {
    "parse": "diffcli.expr.parsing",
    "Expression": "diffcli.expr.parsing",
    "compile_expression": "diffcli.expr.compiling",
    "differentiate": "diffcli.usecases.diff",
    "DiffOptions": "diffcli.usecases.diff",
    "DiffcliError": "diffcli.errors",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'diffcli' has no attribute {name!r}")
