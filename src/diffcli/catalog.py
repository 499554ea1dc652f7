"""The names and defaults the command line offers, free of NumPy so that ``--help`` is fast.

Each value has exactly one home here; the numerical modules import it from this module.
The differentiation methods live in ``engine.registry``.
"""

from __future__ import annotations

#: The primer's step, ``h = 1e-4``.
DEFAULT_STEP = 1e-4
#: How long SymPy may take by default (``--analytic-timeout``), in seconds.
DEFAULT_TIMEOUT = 5.0
#: The update rules of ``descend``.
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
#: Output formats every command speaks: the names of ``render.formats.REGISTRY``'s built-in
#: classes (a test keeps them equal), here so that ``--help`` needs no output code.
FORMATS = ("table", "json", "jsonl", "csv", "tsv", "value")
#: An adaptive Hessian costs milliseconds per entry (n(n+1)/2 of them): past this many
#: coordinates, refuse.
MAX_ADAPTIVE_HESSIAN_COORDINATES = 20
#: What ``plot`` draws of two variables (one variable is always a curve).
PLOT_KINDS = ("contour", "surface", "heatmap")
#: The file formats a plot is written in, by the file name's extension.
PLOT_FORMATS = ("png", "svg", "pdf")
#: A figure's size in inches (matplotlib's default) and its dots per inch.
PLOT_SIZE = (6.4, 4.8)
PLOT_DPI = 100
#: Where the analytic side's values come from (``--analytic``); see ``options.AnalyticChoice``.
ANALYTIC_ENGINES = ("auto", "sympy", "ad")
#: ``sweep`` holds 16 rows of every point until it writes them: at most this many points in one
#: command, and a stream's points reach it in groups of at most ``SWEEP_GROUP_POINTS``.
SWEEP_MOST_POINTS = 10_000
SWEEP_GROUP_POINTS = 4_096
