"""What the one `error:` line says about a click usage error (usage.py): `--workers: not a whole number: '3x';
write a whole number from 1 to 256`. Apart from usage.py, which every command imports: only a usage error needs
pydantic's errors and the domain's number words.
"""

from __future__ import annotations

from decimal import Decimal

import typer
from pydantic import ValidationError

from policy_engine.cli.options import refusal
from policy_engine.domain.amounts import plain_number
from policy_engine.domain.suggest import echoed
from policy_engine.rules.numbers import NumberSetting

_OUT_OF_RANGE = frozenset({"greater_than_equal", "greater_than", "less_than_equal", "less_than"})


def said(exc: Exception) -> str:
    """What the `error:` line says about click's usage error `exc` (without `error: `)."""
    cause = exc.__cause__
    if isinstance(exc, typer.BadParameter) and isinstance(cause, ValidationError) and cause.errors():
        return _bad_value(exc, cause)
    if isinstance(exc, typer.BadParameter) and isinstance(exc.param_hint, str):
        # a command's own check (serve's --metrics-port, --keepalive …): `--keepalive: …` as every other
        # refusal says it, not click's `Invalid value for --keepalive: …; see '… --help'`
        return f"{exc.param_hint}: {exc.message.rstrip('.')}"
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
    if error["type"] == "float_parsing":  # pydantic's words were "Input should be a valid number, unable to …"
        return refusal(option, "not a number", given)
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
