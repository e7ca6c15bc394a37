"""Option values a command refuses, in one form for every command: `error: --option: what is wrong: 'value'`,
then what to write where one can tell (`; write 2026-11-01`, `; write 1000`), exit 2 — the form case files
already use for their values (`as_of: not an ISO date (YYYY-MM-DD): '2026/11/01'; write 2026-11-01`)."""

from __future__ import annotations

import re
from datetime import date

import typer
from pydantic import ValidationError

from policy_engine.domain.dates import refused_date
from policy_engine.domain.errors import violations_from
from policy_engine.domain.models import OrderRequest
from policy_engine.domain.suggest import echoed
from policy_engine.domain.values import parse_iso_date, parse_money
from policy_engine.rules.numbers import NumberSetting, plain_amount, setting_of

USAGE_EXIT = 2
"""Bad input on the command line, as click's own usage errors."""

_TERM = OrderRequest.model_fields["payment_term_days"]
TERM_DAYS: NumberSetting = setting_of(_TERM.annotation, _TERM.metadata) or NumberSetting(whole=True)
"""What `--payment-term-days` takes: OrderRequest's bounds, for the option's own range check and its words."""

_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})*(?:\.[0-9]+)?")
"""Commas that group thousands (1,000,000.50): not a decimal comma (12,5 or 1.000,50), which is not guessed at."""


def fail(message: str, code: int = USAGE_EXIT) -> typer.Exit:
    """Print an error on stderr and return the Exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def refused(option: str, why: str, value: str, hint: str = "") -> typer.Exit:
    """`error: --option: why: 'value'` and the hint (`; write …`), on stderr; the Exit (2) to raise."""
    return fail(f"{option}: {why}: {echoed(value)}{hint}")


def date_option(option: str, value: str) -> date:
    """The day an option names, or exit 2 saying what was given and, where one can tell, what to write."""
    try:
        return parse_iso_date(value)
    except ValueError as exc:
        raise fail(f"{option}: {refused_date(value, str(exc))}") from None


def plain_number(text: str) -> str | None:
    """`1000` for an amount written with thousands separators or a currency (`1,000`, `¥1,000`, `1000 CNY`)
    whose plain number is an amount; None for anything else."""
    plain = plain_amount(text)
    if plain is None or not _GROUPED.fullmatch(re.sub(r"[^0-9,.]", "", text)):
        return None
    try:
        parse_money(plain)
    except ValueError:
        return None
    return plain


def amount_hint(text: str) -> str:
    """`; write 1000` for `1,000` (plain_number); "" when there is no plain number to suggest."""
    plain = plain_number(text)
    return f"; write {plain}" if plain is not None else ""


def order_or_exit(order_id: str, amount: str, payment_term_days: int, options: dict[str, str]) -> OrderRequest:
    """The order the options describe (`options`: the option of each field), or exit 2 naming each bad one."""
    given = {"order_id": order_id, "amount": amount, "payment_term_days": str(payment_term_days)}
    try:
        return OrderRequest(order_id=order_id, amount=amount, payment_term_days=payment_term_days)
    except ValidationError as exc:
        exits = [refused(options[v.field], v.description, given[v.field], amount_hint(given[v.field]) if
                         v.field == "amount" else "") for v in violations_from(exc)]
        raise exits[-1] from None
