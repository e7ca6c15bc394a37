"""click's own usage errors (a whole number that is none, a value out of range, an option misspelt or missing)
in the form of the commands' own: one line `error: --option: what is wrong: 'value'; write …` on stderr, exit 2,
instead of click's boxed `Error` under the usage line."""

from __future__ import annotations

from typing import Any

import typer

from policy_engine.cli.commands import LazyGroup
from policy_engine.cli.helptext import PlainHelp
from policy_engine.cli.interrupt import interrupted
from policy_engine.cli.options import fail

SUMMARY_ON_STDOUT = frozenset({"batch"})
"""Commands whose stdout is a JSON summary however they end (a scheduler parses it): a usage error prints the
`bad_input` one too."""
_UsageError: type[Exception] = typer.BadParameter.__mro__[1]
"""click's UsageError (typer exports only its subclass BadParameter, and vendors click from 0.2x on)."""


class CommandGroup(PlainHelp, LazyGroup):
    """The app's command group: a usage error of a command is printed as the commands print theirs; its help
    names values plainly (helptext); a command is imported only when it is used (commands.py)."""

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        """Parse the command line; Ctrl-C meanwhile (say, while the help is printed) exits 130 with one line."""
        try:
            return super().make_context(*args, **kwargs)
        except KeyboardInterrupt:  # typer would exit 130 without a word
            raise interrupted() from None

    def invoke(self, ctx: Any) -> Any:
        """Run the command named on the command line; a usage error is one `error:` line and exit 2; Ctrl-C
        that the command does not handle itself is one line and exit 130."""
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise interrupted() from None
        except _UsageError as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # the help asked for by giving nothing: shown as it is
                raise
            from policy_engine.cli.usage_said import said  # what it says needs the domain's number words

            where = getattr(exc, "ctx", None)
            if where is not None and where.command.name in SUMMARY_ON_STDOUT:
                from policy_engine.cli.batch_input import bad_input

                raise bad_input(said(exc)) from None
            raise fail(said(exc)) from None
