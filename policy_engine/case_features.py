"""A feature written as a field of a case's snapshot: what a case says instead of a bare `unknown field`.

Rules compare features (open_orders_amount, exposure, debt_ratio …), so staff writing a case reach for those names;
the service computes them from the snapshot and takes none given. The hint is read off the feature catalogue's own
description and the snapshot's own fields, so a feature added to either is explained without a list kept here.
"""

from __future__ import annotations

import re
from typing import get_origin

from policy_engine.domain.models import CustomerSnapshot
from policy_engine.features import FEATURE_BY_NAME
from policy_engine.rules.schema_problems import inner_model


def computed_hint(name: str) -> str:
    """`: "debt_ratio" is computed from the snapshot, not given in it (…); write … instead; …` for a feature's name,
    else ""."""
    said = computed_said(name)
    return f": {said}" if said else ""


def computed_said(name: str) -> str:
    """`"debt_ratio" is computed from the snapshot, not given in it (…); write … instead; …` for a feature's name,
    else ""."""
    spec = FEATURE_BY_NAME.get(name)
    if spec is None:
        return ""
    sources = _sources(spec.description)
    instead = f"; write what it is computed from instead: {', '.join(sources)}" if sources else ""
    return (f'"{name}" is computed from the snapshot, not given in it ({spec.description}){instead} '
            f"(credit-policy fields {name} describes it)")


def _sources(description: str) -> list[str]:
    """The snapshot's fields the description names: a list it names with what one of its items is (its model's
    docstring), else the item fields it names (`total assets` → financials[].total_assets), never one several kinds
    of item have (an invoice's and an order's `amount`)."""
    text = description.lower()
    items = {field: inner_model(info.annotation) for field, info in CustomerSnapshot.model_fields.items()}
    subs = [sub for item in items.values() for sub in getattr(item, "model_fields", {})]
    found = []
    for field, item in items.items():
        if _names(text, field):
            found.append(f"{field} ({item.__doc__.strip().rstrip('.')})" if item and item.__doc__ else field)
            continue
        many = "[]" if get_origin(CustomerSnapshot.model_fields[field].annotation) is list else ""
        found += [f"{field}{many}.{sub}" for sub in getattr(item, "model_fields", {})
                  if subs.count(sub) == 1 and _names(text, sub)]
    return found


def _names(text: str, field: str) -> bool:
    """Whether `text` names `field` in words, singular or plural (`invoices` in "unpaid invoice amounts"), never as
    part of another word ("invoiced")."""
    words = field.replace("_", " ")
    return re.search(rf"\b{re.escape(words.removesuffix('s'))}s?\b", text) is not None

