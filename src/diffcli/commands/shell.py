"""``diffcli shell``: diffcli commands typed at a prompt, or read from a file, in one process."""

from __future__ import annotations

import sys

import click

from ..cli import CONTEXT_SETTINGS


@click.command(
    context_settings=CONTEXT_SETTINGS,
    short_help="An interactive calculator: commands, names and ans at a prompt.",
    epilog="""\b
Examples:
  diffcli shell
  diffcli shell < lines.txt
  diffcli shell --keep-going < lines.txt

\b
At the prompt:
  diffcli> f = 0.01*x**2 + 0.1*x
  diffcli> diff f --at 5
  diffcli> grad x0**2 + x1**2 --at 3,4
  diffcli> descend x0**2 + x1**2 --from ans --lr 0.1
  diffcli> ans

With standard input not a terminal the lines run in order, without a prompt; blank lines and
# comments are skipped. The exit status is the worst of the lines' exit codes.
""",
)
@click.option(
    "--keep-going",
    is_flag=True,
    help="Without a terminal: run every line even after one fails (default: stop there).",
)
@click.pass_context
def shell(ctx: click.Context, keep_going: bool) -> None:
    """Type diffcli commands without 'diffcli', name expressions (f = x**2) and reuse the last
    result (ans); heavy modules load once, so every answer after the first is quick."""
    from ..shell.session import Session, run_batch

    session = Session()
    if sys.stdin.isatty():
        from ..shell.editing import run_interactive

        ctx.exit(run_interactive(session))
    ctx.exit(run_batch(session, sys.stdin, keep_going))
