"""The ``diffcli`` command group: lazy sub-commands, one place where errors become exit codes."""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any

import click

from ._version import __version__
from .errors import EXIT_INTERNAL, EXIT_INTERRUPTED, DiffcliError
from .terminal import ClosedPipe, guarded_run

#: Sub-commands, imported only when used: every import costs every call. Listed in the order a
#: learner meets them, which is the order of ``diffcli --help``.
COMMANDS = {
    "diff": "diffcli.commands.diff:diff",
    "sweep": "diffcli.commands.sweep:sweep",
    "grad": "diffcli.commands.grad:grad",
    "hessian": "diffcli.commands.hessian:hessian",
    "descend": "diffcli.commands.descend:descend",
    "plot": "diffcli.commands.plot:plot",
    "graph": "diffcli.commands.graph:graph",
    "shell": "diffcli.commands.shell:shell",
    "cache": "diffcli.commands.cache:cache",
}

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class HelpContext(click.Context):
    """Click's context, whose help formatter reads the terminal's width as Click does, without
    importing ``shutil`` for it (5 ms of every ``--help``)."""

    def make_formatter(self) -> click.HelpFormatter:
        from click import formatting

        width = self.terminal_width
        if width is None:
            width = formatting.FORCED_WIDTH
        if width is None:
            width = max(min(_terminal_columns(), self.max_content_width or 80) - 2, 50)
        return self.formatter_class(width=width, max_width=self.max_content_width)


def _terminal_columns() -> int:
    """The terminal's width as ``shutil.get_terminal_size().columns`` gives it: ``COLUMNS``
    if a positive number, else standard output's terminal, else 80."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        columns = 0
    return columns or 80


class ExpressionCommand(click.Command):
    """A command whose first argument is an expression, which may begin with a minus sign.

    ``diffcli diff "-x" --at 1`` must work as typed: in the expression's place (before any
    other argument that is not an option's value), an argument that starts with a single
    ``-`` and is none of the command's options is the expression. ``--name`` stays an option
    (an unknown one is refused, with Click's suggestion), and after the expression every
    ``-`` argument is an option again.
    """

    context_class = HelpContext

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not ctx.resilient_parsing:
            self._refuse_help_with_a_value(ctx, args)
        takes_value: set[str] = set()
        flags: set[str] = set(ctx.help_option_names)
        #: Option spellings -> the option, for those that take one value (not repeatable).
        single: dict[str, click.Option] = {}
        for param in self.get_params(ctx):
            if isinstance(param, click.Option):
                names = [*param.opts, *param.secondary_opts]
                (flags if param.is_flag or param.count else takes_value).update(names)
                if not (param.is_flag or param.count or param.multiple):
                    single.update(dict.fromkeys(param.opts, param))
        seen: set[str] = set()
        fixed: list[str] = []
        expecting_value = False
        expression_given = False
        for position, argument in enumerate(args):
            if expecting_value:
                fixed.append(argument)
                expecting_value = False
                continue
            if argument == "--":
                fixed.extend(args[position:])
                break
            name = argument.split("=", 1)[0]
            if not argument.startswith("-") or argument == "-":
                expression_given = True
            elif name in takes_value:
                expecting_value = "=" not in argument
                option = single.get(name)
                if option is not None and option.opts[0] in seen:
                    # Click would keep the last value and drop the others silently
                    raise click.UsageError(
                        f"{option.opts[0]} is given more than once; {ctx.command_path} takes one",
                        ctx,
                    )
                if option is not None:
                    seen.add(option.opts[0])
            elif not expression_given and _is_expression(argument):
                argument = " " + argument  # not an option: an expression such as ---x
                expression_given = True
            elif not (argument.startswith("--") or name in flags):
                waits = _short_options(argument, takes_value, flags)
                if waits is None and not expression_given:
                    argument = " " + argument  # not an option: an expression such as -x**2
                    expression_given = True
                expecting_value = bool(waits)
            fixed.append(argument)
        try:
            return super().parse_args(ctx, fixed)
        except click.UsageError as error:
            if error.ctx is None:  # Click's "requires an argument" comes without one
                error.ctx = ctx  # so the line ends with the command's --help hint
            raise

    def _refuse_help_with_a_value(self, ctx: click.Context, args: list[str]) -> None:
        """``-h 1e-3`` means the step, not help: refuse it rather than print help and exit 0."""
        for position, argument in enumerate(args):
            if argument == "--":
                return
            value = argument[2:].removeprefix("=") if argument.startswith("-h") else None
            if argument == "-h" and position + 1 < len(args):
                value = args[position + 1]
            if value is None or not _is_number(value):
                continue
            takes_step = any(isinstance(p, click.Option) and "--h" in p.opts for p in self.params)
            hint = f"for the step write --h {value}" if takes_step else "it takes no value"
            raise click.UsageError(f"-h is help; {hint}", ctx)


class DiffcliGroup(click.Group):
    """Loads sub-commands on demand and turns every failure into one line and an exit code."""

    context_class = HelpContext

    def list_commands(self, ctx: click.Context) -> list[str]:
        others = sorted(set(super().list_commands(ctx)) - set(COMMANDS))
        return [*COMMANDS, *others]

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError:
            import difflib  # only for a mistyped command

            close = difflib.get_close_matches(args[0], self.list_commands(ctx), n=1)
            if close and not args[0].startswith("-"):
                message = f"no command {args[0]!r}; did you mean {close[0]!r}?"
                raise click.UsageError(message, ctx) from None
            raise

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS:
            module_name, attribute = COMMANDS[cmd_name].split(":")
            command: click.Command = getattr(importlib.import_module(module_name), attribute)
            return command
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DiffcliError as error:
            _error_line(error.render(flag))
            ctx.exit(error.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except ClosedPipe:
            raise  # the reader went away (| head): ended quietly by main
        except KeyboardInterrupt:
            _error_line("interrupted")
            ctx.exit(EXIT_INTERRUPTED)
        except Exception as error:  # never a traceback: report, and exit with a distinct code
            _error_line(f"internal error ({type(error).__name__}: {error}); please report it")
            ctx.exit(EXIT_INTERNAL)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        code = guarded_run(lambda: self._run(args, prog_name, complete_var, **extra))
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)

    def _run(
        self,
        args: Sequence[str] | None,
        prog_name: str | None,
        complete_var: str | None,
        **extra: Any,
    ) -> Any:
        """Click's main, with every Click exception turned into one line and its exit code."""
        try:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as error:
            # plain `diffcli`: the help a user was looking for, on stdout
            sys.stdout.write(error.ctx.get_help() + "\n" if error.ctx else "")
            return 0
        except click.UsageError as error:
            hint = ""
            if error.ctx is not None:
                hint = f" (see '{error.ctx.command_path} --help')"
            _error_line(error.format_message() + hint)
            return error.exit_code
        except click.ClickException as error:
            _error_line(error.format_message())
            return error.exit_code
        except click.Abort as error:
            if isinstance(error.__cause__, KeyboardInterrupt):
                raise error.__cause__ from None  # Ctrl-C while Click parsed: see main()
            _error_line("aborted")
            return 1


def _is_expression(argument: str) -> bool:
    """Whether an argument starting with ``--`` cannot be an option (``---x``, ``--x**2``): no
    option has three dashes or anything but letters, digits and dashes before its ``=``."""
    name = argument.split("=", 1)[0]
    return argument.startswith("--") and (
        argument.startswith("---") or not name[2:].replace("-", "").isalnum()
    )


def _short_options(argument: str, takes_value: set[str], flags: set[str]) -> bool | None:
    """How Click reads ``-abc``: None if it is not a cluster of short options; else whether
    its last option waits for its value in the next argument (``-qf json``, not ``-fjson``)."""
    for index, letter in enumerate(argument[1:], start=2):
        if "-" + letter in takes_value:
            return index == len(argument)  # the rest of the cluster is its value
        if "-" + letter not in flags:
            return None
    return False


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


#: The API's parameters whose flag is not ``--`` + the name with dashes.
_FLAGS = {
    "start": "--from",
    "constants": "--set",
    "analytic": "--no-analytic",
    "on_step": "--history",
    "expression": "EXPRESSION",
}


def flag(parameter: str) -> str:
    """The command line's spelling of an API parameter: ``h`` → ``--h``, ``start`` → ``--from``."""
    return _FLAGS.get(parameter, "--" + parameter.replace("_", "-"))


def _error_line(message: str) -> None:
    lines = [line if len(line) <= 300 else line[:299] + "…" for line in message.splitlines()]
    message = "\n".join(lines)
    sys.stderr.write(f"error: {message}\n")
    sys.stderr.flush()


@click.group(
    cls=DiffcliGroup,
    context_settings=CONTEXT_SETTINGS,
    epilog="""\b
Examples:
  diffcli diff "0.01*x**2+0.1*x" --at 5
  diffcli diff "x0**2 + x1**2" --wrt x0 --at x0=3,x1=4
  diffcli diff "sin(x)" --at pi/4 --format json
  diffcli sweep "0.01*x**2+0.1*x" --at 5
  diffcli grad "x0**2 + x1**2" --at 3,4
  diffcli hessian "x0**2*x1 + sin(x1)" --at 1.5,0.5
  diffcli descend "x0**2 + x1**2" --from -3,4 --lr 0.1 --steps 100

Exit codes: 0 success (warnings may have been printed); 1 cannot evaluate at a point, a
numerical result is not finite, or a descent diverged; 2 bad input; 3 internal error;
4 stopped by --timeout; 5 cannot write output; 130 interrupted; 141 the reader of the output
went away (| head).

\b
Shell completion (bash; write zsh_source or fish_source for zsh or fish):
  eval "$(_DIFFCLI_COMPLETE=bash_source diffcli)"
""",
)
@click.version_option(__version__, "-V", "--version", prog_name="diffcli")
def cli() -> None:
    """Derivatives from the command line: numerical beside analytic, safely parsed."""


def main() -> None:
    """Run the command line (the console script's body, see ``__main__``).

    From here on Ctrl-C raises KeyboardInterrupt, so that SymPy's child process is killed on
    the way out; wherever it lands, the run ends with ``error: interrupted`` and exit code 130.
    The process then ends without Python's own teardown (``os._exit``), after flushing.
    """
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        code = cli.main(prog_name="diffcli", standalone_mode=False)
    except KeyboardInterrupt:
        _error_line("interrupted")
        code = EXIT_INTERRUPTED
    with contextlib.suppress(Exception):  # what was printed stays printed, if it can
        sys.stdout.flush()
        sys.stderr.flush()
    # at once: Python's own clean-up of a process that loaded SymPy and NumPy takes a tenth
    # of a second (on a loaded machine most of the second that Ctrl-C has), and nothing is
    # left to close: files are written in with-blocks, SymPy's child is gone
    os._exit(code if isinstance(code, int) else 0)
