"""The order that check-order's and simulate's options describe, refused as every option value is (options.py).

Apart from options.py: the order's bounds come from the domain model (OrderRequest), whose import every command
sharing options.py would otherwise pay for.
"""

from __future__ import annotations

import typer
from pydantic import ValidationError

from policy_engine.cli.options import fail, refused
from policy_engine.domain.bounds import BOUND_ERRORS
from policy_engine.domain.errors import typed_violations_from
from policy_engine.domain.models import OrderRequest
from policy_engine.rules.numbers import NumberSetting, setting_of

_TERM = OrderRequest.model_fields["payment_term_days"]
TERM_DAYS: NumberSetting = setting_of(_TERM.annotation, _TERM.metadata) or NumberSetting(whole=True)
"""What `--payment-term-days` takes: OrderRequest's bounds, for the option's own range check and its words."""


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
