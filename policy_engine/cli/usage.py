"""click's own usage errors (a whole number that is none, a value out of range, an option misspelt or missing)
in the form of the commands' own: one line `error: --option: what is wrong: 'value'; write …` on stderr, exit 2,
instead of click's boxed `Error` under the usage line."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import typer
from pydantic import ValidationError

from policy_engine.cli.commands import LazyGroup
from policy_engine.cli.helptext import PlainHelp
from policy_engine.cli.interrupt import interrupted
from policy_engine.cli.options import fail, refusal
from policy_engine.domain.amounts import plain_number
from policy_engine.domain.suggest import echoed
from policy_engine.rules.numbers import NumberSetting

_OUT_OF_RANGE = frozenset({"greater_than_equal", "greater_than", "less_than_equal", "less_than"})
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
            where = getattr(exc, "ctx", None)
            if where is not None and where.command.name in SUMMARY_ON_STDOUT:
                from policy_engine.cli.batch_input import bad_input

                raise bad_input(_said(exc)) from None
            raise fail(_said(exc)) from None


def _said(exc: Exception) -> str:
    """What the `error:` line says about click's usage error `exc`."""
    cause = exc.__cause__
    if isinstance(exc, typer.BadParameter) and isinstance(cause, ValidationError) and cause.errors():
        return _bad_value(exc, cause)
    where = getattr(exc, "ctx", None)
    see = f"; see '{where.command_path} --help'" if where is not None else ""
    return f"{exc.format_message().rstrip('.')}{see}"  # type: ignore[attr-defined]


def _bad_value(exc: typer.BadParameter, cause: ValidationError) -> str:
    """`--workers: not a whole number: '3x'; write a whole number from 1 to 256`, from typer's conversion error
    `exc`, whose `cause` holds what was given."""
    param = exc.param
    option = str(max(getattr(param, "opts", None) or ["value"], key=len))
    error = cause.errors(include_url=False)[0]
    given = str(error.get("input"))
    if not error["type"].startswith("int_") and error["type"] not in _OUT_OF_RANGE:
        why = str(error["msg"]).removeprefix("Value error, ").rstrip(".")  # a choice: "'xml' is not one of …"
        return f"{option}: {why}" if echoed(given) in why else refusal(option, why, given)
    # Every number option of this command line is a whole number (a count, days, a port).
    setting = NumberSetting(whole=True, ge=getattr(param, "min", None), le=getattr(param, "max", None))
    if error["type"] in _OUT_OF_RANGE:
        return refusal(option, "out of range", given, f"; write {setting.takes()}")
    plain = plain_number(given)
    number = Decimal(plain) if plain is not None else None
    if number is not None and number == number.to_integral_value() and setting.allows(float(number)):
        return refusal(option, "not a whole number", given, f"; write {int(number)}")
    return refusal(option, "not a whole number", given, f"; write {setting.takes()}")
