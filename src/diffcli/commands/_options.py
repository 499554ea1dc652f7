"""Options shared by every command, stacked by decorators so all commands speak alike."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, cast

import click

from ..catalog import ANALYTIC_ENGINES, DEFAULT_TIMEOUT, FORMATS, PLOT_DPI, PLOT_SIZE
from ..terminal import COLOR_CHOICES, ColorChoice, TerminalSettings, terminal_settings

if TYPE_CHECKING:  # points needs NumPy: imported when a command runs, not for --help
    from ..expr.parsing import Expression

F = TypeVar("F", bound=Callable[..., Any])


class LazyChoice(click.Choice[str]):
    """A choice read from a registry each time it is needed, so that an entry registered at
    run time is listed and accepted; those in ``hidden`` are accepted but not listed."""

    def __init__(self, hidden: Sequence[str] = ()) -> None:
        self.hidden = tuple(hidden)
        super().__init__(self.current())

    def current(self) -> tuple[str, ...]:
        """The choices now."""
        raise NotImplementedError

    @property
    def choices(self) -> tuple[str, ...]:
        return self.current()

    @choices.setter
    def choices(self, value: Sequence[str]) -> None:
        """Click's constructor assigns the choices; they stay those of the registry."""

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str | None:
        return f"[{'|'.join(c for c in self.choices if c not in self.hidden)}]"


class FormatChoice(LazyChoice):
    """``--format``: the built-in formats, and any registered since ``render.formats`` was
    imported (``--help`` alone imports no output code)."""

    def current(self) -> tuple[str, ...]:
        formats = sys.modules.get("diffcli.render.formats")
        registered = tuple(getattr(formats, "REGISTRY", ()))
        return (*FORMATS, *(name for name in registered if name not in FORMATS))


#: ``--fields``, as the command being run read it; ``finish`` passes it to the renderer.
_FIELDS: ContextVar[tuple[str, ...]] = ContextVar("fields", default=())


def output_options(function: F) -> F:
    """``--format``, ``--precision`` and ``--fields``: the command body runs with the fields
    chosen, which ``finish`` hands to the renderer."""

    @functools.wraps(function)
    def with_fields(*args: Any, fields: str | None, **kwargs: Any) -> Any:
        token = _FIELDS.set(_read_fields(fields))
        try:
            return function(*args, **kwargs)
        finally:
            _FIELDS.reset(token)

    wrapped = click.option(
        "--fields",
        metavar="A,B,…",
        default=None,
        help="Only these columns (csv, tsv, jsonl) or keys of each result (json), in this "
        "order, e.g. x,numerical.",
    )(with_fields)
    wrapped = click.option(
        "--precision",
        type=click.IntRange(1, 17),
        default=None,
        metavar="N",
        help="Show values to N significant digits, in every format (default: in full, the "
        "shortest text that reads back as the same double).",
    )(wrapped)
    wrapped = click.option(
        "--format",
        "-f",
        "output_format",
        type=FormatChoice(),
        default="table",
        show_default=True,
        help="table for people; json, jsonl (a JSON object per row), csv, tsv or value "
        "(numbers only) for scripts.",
    )(wrapped)
    return cast(F, wrapped)


def _read_fields(text: str | None) -> tuple[str, ...]:
    """``a,b`` as ``("a", "b")``; a blank name is refused."""
    if text is None:
        return ()
    fields = tuple(field.strip() for field in text.split(","))
    if not all(fields):
        raise click.BadParameter(f"{text!r}: an empty field name", param_hint="'--fields'")
    return fields


def terminal_options(function: F) -> F:
    """``--color`` and ``-q/--quiet``: the command body runs under these terminal settings."""

    @functools.wraps(function)
    def with_terminal_settings(*args: Any, color: ColorChoice, quiet: bool, **kwargs: Any) -> Any:
        with terminal_settings(TerminalSettings(color=color, quiet=quiet)):
            return function(*args, **kwargs)

    wrapped = click.option(
        "--quiet",
        "-q",
        is_flag=True,
        help="No warnings on stderr (errors are still reported).",
    )(with_terminal_settings)
    wrapped = click.option(
        "--color",
        type=click.Choice(COLOR_CHOICES),
        default="auto",
        show_default=True,
        help="Colour and bold in tables: auto (on a terminal, unless NO_COLOR is set), "
        "always, never.",
    )(wrapped)
    return cast(F, wrapped)


if TYPE_CHECKING:
    _FloatParam = click.ParamType[float]
    _SizeParam = click.ParamType[tuple[float, float]]
else:  # older Click's ParamType is not subscriptable at run time
    _FloatParam = _SizeParam = click.ParamType


class _Seconds(_FloatParam):
    """A time limit: a number of seconds, 0 or more (inf means none); nan is refused."""

    name = "seconds"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        if not seconds >= 0:  # also refuses nan
            self.fail(f"must be 0 or more seconds, got {value!r}", param, ctx)
        return seconds


_SECONDS = _Seconds()


def analytic_options(command: F) -> F:
    """``--analytic sympy|ad|auto``, ``--analytic-timeout``, ``--no-analytic`` (passed on as
    the API's one ``analytic`` keyword: False for ``--no-analytic``, which an explicit
    ``--analytic`` contradicts: a usage error) and ``--no-cache``."""

    @functools.wraps(command)
    def with_analytic(*args: Any, analytic: str, no_analytic: bool, **kwargs: Any) -> Any:
        source = click.get_current_context().get_parameter_source("analytic")
        if no_analytic and source is not click.core.ParameterSource.DEFAULT:
            raise click.UsageError(
                f"--no-analytic contradicts --analytic {analytic}: give one of them"
            )
        return command(*args, analytic=False if no_analytic else analytic, **kwargs)

    function = click.option(
        "--analytic",
        type=click.Choice(ANALYTIC_ENGINES),
        default="auto",
        show_default=True,
        help="Where the exact values come from: sympy (formulas), ad (automatic "
        "differentiation, no SymPy), auto (SymPy, AD where SymPy has no answer).",
    )(cast(F, with_analytic))
    function = click.option(
        "--no-cache",
        is_flag=True,
        expose_value=False,
        callback=_use_cache,
        help="Neither read nor store SymPy's answers on disk (see 'diffcli cache').",
    )(function)
    function = click.option(
        "--no-analytic",
        is_flag=True,
        help="Skip the analytic side: numerical values only (faster start).",
    )(function)
    function = click.option(
        "--analytic-timeout",
        type=_SECONDS,
        default=DEFAULT_TIMEOUT,
        show_default=True,
        metavar="SECONDS",
        help="Give up on the analytic side after this long (0: no limit).",
    )(function)
    return function


def _use_cache(ctx: click.Context, param: click.Parameter, no_cache: bool) -> None:
    """Set, for this command, whether SymPy's answers are read and stored on disk."""
    from ..engine.cache import ENABLED

    ENABLED.set(not no_cache)


def timeout_option(function: F) -> F:
    """``--timeout SECONDS``: the whole command stops past this long, with exit code 4."""

    @functools.wraps(function)
    def within_time_limit(*args: Any, timeout: float | None, **kwargs: Any) -> Any:
        if timeout is None:  # no limit: the timer's module is not even loaded
            return function(*args, **kwargs)
        from ._time_limit import time_limit

        with time_limit(timeout):
            return function(*args, **kwargs)

    wrapped = click.option(
        "--timeout",
        type=_SECONDS,
        default=None,
        metavar="SECONDS",
        help="Stop the whole command after this long, with exit code 4 (default: no limit; "
        "0 or inf: none).",
    )(within_time_limit)
    return cast(F, wrapped)


def points_option(what: str, group: int | None = None) -> Callable[[F], F]:
    """``--at POINT`` (repeatable: one result per point; ``-``: read them from stdin) and
    ``--points FILE``; ``what`` starts the help. Points from a stream reach the command in
    groups as they arrive (of at most ``group`` points), the command running once per group
    (``streamed``)."""

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def with_points(
            *args: Any, points: tuple[str, ...], points_file: str | None, **kwargs: Any
        ) -> Any:
            source = _stream_source(points, points_file)
            if source is None:
                return function(*args, points=points, **kwargs)
            return streamed(function, args, kwargs, *source, group)

        wrapped = click.option(
            "--points",
            "points_file",
            type=click.Path(exists=True, dir_okay=False, allow_dash=True),
            default=None,
            metavar="FILE",
            help="Read the points from FILE (-: stdin), one a line as --at writes them, or "
            "CSV/TSV under a header naming the variables; # comments and blank lines skipped.",
        )(with_points)
        wrapped = click.option(
            "--at",
            "points",
            multiple=True,
            metavar="POINT",
            help=f"{what}: 3,4 (x0, x1, … in order, or one vector), x0=3,x1=4, x=[3,4], "
            "W=[[1,2],[3,4]], pi/4; a range 0:20:0.1 (as numpy.arange), ranges of several "
            "variables make a grid; - reads points from stdin. Repeatable.",
        )(wrapped)
        return cast(F, wrapped)

    return decorate


def _stream_source(points: tuple[str, ...], points_file: str | None) -> tuple[str, str] | None:
    """(file name or -, parameter) when the points come from a stream; None for ``--at``'s."""
    if points_file is not None:
        if points:
            raise click.UsageError("give the points by --at or by --points, not both")
        return points_file, "points"
    if "-" in points:
        if len(points) > 1:
            raise click.UsageError("--at - reads every point from stdin: give no other --at")
        return "-", "at"
    if not points:
        raise click.UsageError("Missing option '--at'.")
    return None


class _Stream:
    """The state of a command run once per group of streamed points."""

    def __init__(self) -> None:
        self.groups_written = 0
        self.failure: BaseException | None = None


_STREAM: ContextVar[_Stream | None] = ContextVar("stream", default=None)


def streamed(
    function: Callable[..., Any],
    args: Any,
    kwargs: dict[str, Any],
    name: str,
    parameter: str,
    most: int | None = None,
) -> None:
    """Run the command once per group of points read from ``name`` (- for stdin; at most
    ``most`` points a group), writing each group's rows as it comes (one report at the end
    for table and json, and with ``--plot``: a figure shows every point); the exit code is
    the worst of the groups'."""
    from ..engine.analytic import answers_kept
    from ..engine.reference import stream_of_points
    from ..errors import InputError, param
    from ..expr.inputs import read_constants
    from ..expr.points import PointColumns
    from ..expr.sources import PointReader
    from ..render.formats import REGISTRY

    expression = expression_argument(kwargs["expression"])
    fixed = read_constants(expression, list(kwargs.get("constants", ())))
    source = "<stdin>" if name == "-" else name
    reader = PointReader(expression, fixed, source, parameter)
    try:
        opened = click.open_file(name, "rb")
    except OSError as error:  # unreadable, or gone since Click checked it
        raise InputError(
            f"{param(parameter)} {name!r}: cannot read it ({error.strerror})"
        ) from None
    with opened as stream, stream_of_points():
        groups = (
            group.without(fixed)
            if isinstance(group, PointColumns)
            else [
                {key: value for key, value in point.items() if key not in fixed} for point in group
            ]
            for group in reader.chunks(stream, most)
        )
        nothing = InputError(f"{param(parameter)} {name!r}: no points (no line but blanks and #)")
        # a figure shows every point at once: with --plot the command waits for them all
        if not REGISTRY[kwargs["output_format"]].streams or kwargs.get("plot_target") is not None:
            every = [point for group in groups for point in group]
            if not every:
                raise nothing
            function(*args, points=every, **kwargs)
            return
        state = _Stream()
        token = _STREAM.set(state)
        try:
            with answers_kept():
                for group in groups:
                    function(*args, points=group, **kwargs)
                    state.groups_written += 1
        finally:
            _STREAM.reset(token)
    if not state.groups_written:
        raise nothing
    if state.failure is not None:
        raise state.failure


def coordinate_option(function: F) -> F:
    """``--wrt NAME``: the one coordinate to differentiate by (``diff``, ``sweep``)."""
    return click.option(
        "--wrt",
        metavar="NAME",
        help="The variable to differentiate by: x0, x[1], W[0,2] (default: the only one "
        "not held by --set).",
    )(function)


def variables_option(function: F) -> F:
    """``--wrt NAME`` (repeatable): the variables to differentiate by (``grad``, ``hessian``)."""
    return click.option(
        "--wrt",
        "variables",
        multiple=True,
        metavar="NAME",
        help="A variable to differentiate by, whole (W, not W[0,1]); the others keep their "
        "--at values. Repeatable (default: every variable not held by --set).",
    )(function)


def constants_option(function: F) -> F:
    """``--set NAME=VALUE`` (repeatable): values held fixed, never differentiated."""
    return click.option(
        "--set",
        "constants",
        multiple=True,
        metavar="NAME=VALUE",
        help="Hold a variable fixed (not differentiated): t=[0,0,1], x=[[1,2],[3,4]]. Repeatable.",
    )(function)


def expression_argument(text: str) -> Expression:
    """Parse the expression argument (a leading space marks one that began with '-')."""
    from ..expr.parsing import parse

    return parse(text.removeprefix(" "))


#: Hears every report a command finishes: the shell keeps the last one's value as ``ans``.
report_listener: ContextVar[Callable[[Any], None] | None] = ContextVar(
    "report_listener", default=None
)


def rendered_plainly() -> bool:
    """Whether ``finish`` would only render the report: no ``--fields``, no stream of points,
    no shell keeping the report as ``ans`` (a command may then answer without a report)."""
    return not _FIELDS.get() and _STREAM.get() is None and report_listener.get() is None


class PlotRequest(NamedTuple):
    """Where and how to draw a command's figure: ``--plot FILE`` (or ``-o``), ``--dpi``,
    ``--size`` (a named tuple: ``--help`` imports this module without dataclasses)."""

    target: str
    option: str
    dpi: int
    size: tuple[float, float] | None

    def draw(self, report: Any) -> None:
        """Draw ``report``'s figure and write it (an unwritable file: InputError)."""
        from ..render.plots import figure, save

        save(figure(report, self.size), self.target, self.dpi, self.option)


class _Size(_SizeParam):
    """``--size WxH``: a figure's width and height in inches."""

    name = "size"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[float, float]:
        if isinstance(value, tuple):
            return cast(tuple[float, float], value)
        try:
            width, height = (float(part) for part in str(value).lower().split("x"))
        except ValueError:
            self.fail(f"{value!r}: write WIDTHxHEIGHT in inches, e.g. 8x6", param, ctx)
        if not (0 < width <= 100 and 0 < height <= 100):
            self.fail(f"{value!r}: each side must be above 0 and at most 100 inches", param, ctx)
        return width, height


def _plot_format(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Refuse a file format no plot is written in before anything is computed, and ``-`` where
    standard output carries the command's own output."""
    if value == "-" and param.opts[0] == "--plot":
        raise click.BadParameter(
            "standard output carries the command's output: name a file (diffcli plot -o - "
            "writes a figure there)",
            ctx,
            param,
        )
    if value is not None:
        from ..errors import InputError
        from ..render.plots import plot_format

        try:
            plot_format(value, param.opts[0])
        except InputError as error:
            message = str(error).removeprefix(f"{param.opts[0]} ")
            raise click.BadParameter(message, ctx, param) from None
    return value


def plot_options(target: str = "--plot") -> Callable[[F], F]:
    """``--plot FILE`` (or ``target`` ``--output``: ``-o/--output FILE``, required), ``--dpi``
    and ``--size``; the command receives them as ``plot``, a ``PlotRequest`` or None."""
    output = target == "--output"

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def with_plot(
            *args: Any,
            plot_target: str | None,
            dpi: int,
            size: tuple[float, float] | None,
            **kwargs: Any,
        ) -> Any:
            request = None
            if plot_target is not None:
                request = PlotRequest(plot_target, target, dpi, size)
            return function(*args, plot=request, **kwargs)

        wrapped = click.option(
            "--size",
            type=_Size(),
            default=None,
            metavar="WxH",
            help="The figure's width and height in inches "
            f"[default: {PLOT_SIZE[0]}x{PLOT_SIZE[1]}].",
        )(with_plot)
        wrapped = click.option(
            "--dpi",
            type=click.IntRange(10, 1200),
            default=PLOT_DPI,
            show_default=True,
            metavar="N",
            help="Dots per inch of the figure (a PNG of WxH inches is W·N × H·N pixels).",
        )(wrapped)
        names = ("--output", "-o") if output else ("--plot",)
        wrapped = click.option(
            *names,
            "plot_target",
            required=output,
            callback=_plot_format,
            metavar="FILE",
            help="Draw the figure to FILE: .png, .svg or .pdf by its extension; - writes PNG "
            "to standard output (not a terminal)."
            + ("" if output else " The normal output still prints."),
        )(wrapped)
        return cast(F, wrapped)

    return decorate


def finish(
    report: Any, output_format: str, precision: int | None, plot: PlotRequest | None = None
) -> None:
    """Render a report (and draw its figure if asked), then end with the exit code its
    statuses imply (and why, if it says)."""
    from ..errors import EvaluationError
    from ..render.formats import render
    from ..results import exit_code

    listener = report_listener.get()
    if listener is not None:
        listener(report)
    stream = _STREAM.get()
    continued = stream is not None and stream.groups_written > 0
    render(report, output_format, precision, _FIELDS.get(), continued)
    if plot is not None:
        plot.draw(report)
    code = exit_code(report)
    if code:
        explanation: str | None = getattr(report, "failure", None)
        # after the output: the run is shown, then the failure
        failure = EvaluationError(explanation) if explanation else SystemExit(code)
        if stream is None:
            raise failure
        stream.failure = stream.failure or failure
    if stream is not None:
        sys.stdout.flush()  # each group's answers as soon as they are known
