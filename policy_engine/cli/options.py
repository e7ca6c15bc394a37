"""Option values a command refuses, in one form for every command: `error: --option: what is wrong: 'value'`,
then what to write where one can tell (`; write 2026-11-01`, `; write 1000`), exit 2 — the form case files
already use for their values (`as_of: not an ISO date (YYYY-MM-DD): '2026/11/01'; write 2026-11-01`)."""

from __future__ import annotations

from datetime import date

import typer
from pydantic import ValidationError

from policy_engine.domain.bounds import BOUND_ERRORS
from policy_engine.domain.dates import refused_date
from policy_engine.domain.errors import typed_violations_from
from policy_engine.domain.models import OrderRequest
from policy_engine.domain.suggest import echoed
from policy_engine.domain.values import parse_iso_date
from policy_engine.rules.numbers import NumberSetting, setting_of
from policy_engine.rules.problems import one_line

USAGE_EXIT = 2
"""Bad input on the command line, as click's own usage errors."""

MAX_ROWS = 1_000_000_000
"""The most rows a count option (`--last`, `--limit`) takes: past 2**63, SQLite's LIMIT and islice raised
(a traceback)."""

_TERM = OrderRequest.model_fields["payment_term_days"]
TERM_DAYS: NumberSetting = setting_of(_TERM.annotation, _TERM.metadata) or NumberSetting(whole=True)
"""What `--payment-term-days` takes: OrderRequest's bounds, for the option's own range check and its words."""


def fail(message: str, code: int = USAGE_EXIT) -> typer.Exit:
    """Print an error on stderr and return the Exit to raise."""
    typer.echo(f"error: {one_line(message)}", err=True)
    return typer.Exit(code)


def refused(option: str, why: str, value: str, hint: str = "") -> typer.Exit:
    """`error: --option: why: 'value'` and the hint (`; write …`), on stderr; the Exit (2) to raise."""
    return fail(refusal(option, why, value, hint))


def refusal(option: str, why: str, value: str, hint: str = "") -> str:
    """`--option: why: 'value'` and the hint (`; write …`): what `refused` says after `error: `."""
    return f"{option}: {why}: {echoed(value)}{hint}"


def date_option(option: str, value: str) -> date:
    """The day an option names, or exit 2 saying what was given and, where one can tell, what to write."""
    try:
        return parse_iso_date(value)
    except ValueError as exc:
        raise fail(f"{option}: {refused_date(value, str(exc))}") from None


def order_or_exit(order_id: str, amount: str, payment_term_days: int, options: dict[str, str],
                  currency: str | None = None) -> OrderRequest:
    """The order the options describe (`options`: the option of each field), or exit 2 naming each bad one."""
    given = {"order_id": order_id, "amount": amount, "payment_term_days": str(payment_term_days),
             "currency": currency or ""}
    try:
        return OrderRequest(order_id=order_id, amount=amount, payment_term_days=payment_term_days, currency=currency)
    except ValidationError as exc:
        # An amount's description already repeats it and says what to write (amounts.refused_amount), and so does
        # a value beyond its bound (bounds.beyond_bound: `at most 64 characters, got 70: '…'`).
        exits = [fail(f"{options[v.field]}: {v.description}") if v.field == "amount" or kind in BOUND_ERRORS else
                 _refused_choice(options[v.field], v.description, given[v.field])
                 for v, kind in typed_violations_from(exc)]
        raise exits[-1] from None


def _refused_choice(option: str, description: str, value: str) -> typer.Exit:
    """refused() with a guess at what was meant after the value, where one reads it: `'eur'; did you mean 'EUR'?`."""
    why, guessed, meant = description.partition("; did you mean ")
    return refused(option, why, value, f"{guessed}{meant}")
