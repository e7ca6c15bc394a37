"""The settings a candidate changes outside its rules (simulate): what the rule files hold besides rule rows.

The feature windows (policy), the scorecard's weights and default points, the grade classes, how warning signs
combine, the order checks' `hit` and `default`, the portfolio's value-class cut-offs, ranking size and give-up share.
A candidate that changed only a weight listed no changed rule, so nothing said what it changed. Each setting is named
by its kind and its path in the file (a scorecard factor by its id: `factors.character.weight`); titles, sources,
notes and the pack's name decide nothing and are left out, as they are of rules. Rule rows are compared as rules
(simulate_rules.py). A kind on one side only (review_information is optional) shows as its rules added or removed.
"""

from __future__ import annotations

from typing import Any, get_args, get_origin

from pydantic import BaseModel

from policy_engine.rules.schema_base import Rule

NOT_DECIDING = frozenset({"kind", "id", "title", "source", "note"})
"""Left out: a file's kind, what labels (an id is in the path already: `factors.character.weight`)."""
PACK_LABEL = ("policy", "name")
"""The pack's name labels the decisions' policy; it decides nothing."""

AFFECTS = {
    ("policy", "features"): "features",
    ("scorecard", ""): "score",
    ("grade_bands", "classes"): "grade_class",
    ("grade_bands", ""): "grade",
    ("warning_signs", ""): "warning_signs",
    ("order_checks", ""): "order_outcome",
    ("portfolio", "value_classes"): "value_class",
    ("portfolio", ""): "batch_report",
}
"""What a setting decides, by its kind and the first part of its path (`""`: any other): `features` (the customer
facts every rule reads), `score` (the 5C score), `grade`, `grade_class`, `warning_signs` (how the signs that fire
together combine), `order_outcome` (a new order's check), `value_class`, `batch_report` (the nightly report's
key-customer rankings and give-up review, which simulate does not compare)."""


def changed_settings(live: Any, cand: Any) -> list[dict[str, Any]]:
    """The settings whose value differs: `kind`, `setting` (its path), `live`, `candidate` (None where one side has
    no such setting, a scorecard factor on one side only) and `affects` (AFFECTS), in kind and path order."""
    rows = []
    for kind in sorted(set(live.program.kinds) & set(cand.program.kinds)):
        before, after = _settings(live.program.kinds[kind]), _settings(cand.program.kinds[kind])
        for path in sorted(set(before) | set(after)):
            if (kind, path) == PACK_LABEL or before.get(path) == after.get(path):
                continue
            head = path.split(".", 1)[0]
            affects = AFFECTS.get((kind, head)) or AFFECTS.get((kind, ""), "")
            rows.append({"kind": kind, "setting": path, "live": before.get(path), "candidate": after.get(path),
                         "affects": affects})  # fmt: skip
    return rows


def _settings(model: Any) -> dict[str, Any]:
    """A kind's settings by path; a kind of several files (warning signs) has the first's, which every file repeats
    (lint refuses warning files whose `combine` differ; a follow-up file's only setting is its fixed `hit`)."""
    if isinstance(model, list):
        model = model[0] if model else None
    return dict(_flatten(model, "")) if isinstance(model, BaseModel) else {}


def _flatten(model: BaseModel, prefix: str) -> list[tuple[str, Any]]:
    """(path, value) of each setting in `model`: nested models by field name, a list of models with an id by the id;
    lists of rules are skipped (they are compared as rules)."""
    out: list[tuple[str, Any]] = []
    for name, spec in type(model).model_fields.items():
        if name in NOT_DECIDING or _holds_rules(spec.annotation):
            continue
        value, path = getattr(model, name), f"{prefix}{name}"
        if isinstance(value, BaseModel):
            out += _flatten(value, f"{path}.")
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel) and hasattr(value[0], "id"):
            for item in value:
                out += _flatten(item, f"{path}.{item.id}.")
        elif isinstance(value, dict):
            out += [(f"{path}.{key}", item) for key, item in value.items()]
        else:
            out.append((path, value))
    return out


def _holds_rules(annotation: Any) -> bool:
    """A field holding a list of rules (`rows`, `rules`, `bands`, `steps`), judged by its type: an empty list too."""
    args = get_args(annotation)
    return get_origin(annotation) is list and bool(args) and isinstance(args[0], type) and issubclass(args[0], Rule)
