"""diffcli: derivatives from the command line, numerical beside analytic, safely parsed.

The Python API is loaded on first use, so that ``import diffcli`` stays cheap::

    from diffcli import derivative, gradient, hessian, sweep, descend

    derivative("0.01*x**2+0.1*x", at=5).results[0].numerical   # 0.1999999999990898
"""

from __future__ import annotations

import importlib

from ._version import __version__

#: ``typing.TYPE_CHECKING`` without importing ``typing`` (20 ms before Ctrl-C is handled).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .api import derivative, descend, gradient, graph, hessian, plot, sweep
    from .errors import DiffcliError, EvaluationError, InputError, ParseError
    from .expr.parsing import Expression, parse

_API = {
    "derivative": "diffcli.api",
    "gradient": "diffcli.api",
    "hessian": "diffcli.api",
    "sweep": "diffcli.api",
    "descend": "diffcli.api",
    "plot": "diffcli.api",
    "graph": "diffcli.api",
    "parse": "diffcli.expr.parsing",
    "Expression": "diffcli.expr.parsing",
    "DiffcliError": "diffcli.errors",
    "InputError": "diffcli.errors",
    "ParseError": "diffcli.errors",
    "EvaluationError": "diffcli.errors",
}

__all__ = [
    "DiffcliError",
    "EvaluationError",
    "Expression",
    "InputError",
    "ParseError",
    "__version__",
    "derivative",
    "descend",
    "gradient",
    "graph",
    "hessian",
    "parse",
    "plot",
    "sweep",
]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'diffcli' has no attribute {name!r}")
