"""A misspelt field of a case's snapshot, fixture or order, said with the field meant at the path it is written.

A required field written misspelt is one slip, not two problems: pydantic reports the field as missing and the
misspelling as unknown; only the misspelling is said, with the rename that answers both (as rule files say it).
"""

from __future__ import annotations

import difflib
from typing import Any, get_args

from pydantic import BaseModel

from policy_engine.case_features import computed_hint, computed_said
from policy_engine.domain.errors import FieldViolation
from policy_engine.domain.models import CustomerSnapshot
from policy_engine.domain.suggest import close_choices
from policy_engine.domain.violation_reasons import REQUIRED, UNKNOWN_FIELD
from policy_engine.features import FEATURE_BY_NAME

Path = tuple[str | int, ...]


def said_once(violations: list[FieldViolation], model: Any = CustomerSnapshot) -> list[tuple[Path, str, str]]:
    """Each violation's path, how a case says it and its problem code (problem_code); a required field whose
    misspelling is written beside it is said once, at the misspelling: `invoices[0].amout: unknown field — did you
    mean "amount"? (the one missing here: rename "amout" to "amount")`."""
    meant = {path: _nearest(path, model)[0] for v in violations if v.description == "unknown field"
             if (path := loc_parts(v.field))}
    required = {loc_parts(v.field) for v in violations if v.description == "required"}
    renames = {path: name for path, name in meant.items() if name and (*path[:-1], name) in required}
    answered = {(*path[:-1], name) for path, name in renames.items()}
    said = []
    for v in violations:
        path = loc_parts(v.field)
        if v.description == "required" and path in answered:
            continue
        rename = f' (the one missing here: rename "{path[-1]}" to "{renames[path]}")' if path in renames else ""
        said.append((path, f"{_said(v, path, model)}{rename}", problem_code(v)))
    return said


_CODE_OF_REASON = {UNKNOWN_FIELD: "unknown_field", REQUIRED: "missing_field"}


def problem_code(violation: FieldViolation) -> str:
    """The code a rule file's problem of the same kind has: `unknown_field` for a key the snapshot does not know,
    `missing_field` for a required one left out, else `invalid_value` (was `invalid_value` for all three)."""
    return _CODE_OF_REASON.get(violation.reason, "invalid_value")


def _said(violation: FieldViolation, path: Path, model: Any) -> str:
    """`last_reviewed_on: unknown field — did you mean "last_review_on"?`; a feature's name, or a near miss of one,
    says it is computed, and from what."""
    if violation.description != "unknown field" or not path:
        return str(violation)
    computed = computed_hint(str(path[0])) if len(path) == 1 and model is CustomerSnapshot else ""
    if computed:  # a feature's name: no snapshot field is meant, what it is computed from is
        return f"{violation}{computed}"
    field, feature = _nearest(path, model)
    if feature:
        return f'{violation} — did you mean "{feature}"? {computed_said(feature)}'
    return f'{violation} — did you mean "{field}"?' if field else str(violation)


def _nearest(path: Path, model: Any) -> tuple[str | None, str | None]:
    """The field of the model holding `path` its last part was meant for (field, None), else the feature a
    top-level name is a near miss of (None, feature), else (None, None)."""
    holder = _holder(path, model)
    fields = list(getattr(holder, "model_fields", {}))
    name = str(path[-1])
    features = list(FEATURE_BY_NAME) if len(path) == 1 and model is CustomerSnapshot else []
    close = close_choices(name, fields, fuzzy=False) or difflib.get_close_matches(name, fields + features, 1, 0.6)
    if not close:
        return None, None
    return (close[0], None) if close[0] in fields else (None, close[0])


def _holder(path: Path, model: Any) -> Any:
    """The model holding the field `path` ends in: invoices[0].payment_term is an Invoice's."""
    for part in path[:-1]:
        if isinstance(part, str):
            spec = getattr(model, "model_fields", {}).get(part)
            inner = [a for a in (*get_args(spec.annotation), spec.annotation) if isinstance(a, type)] if spec else []
            model = next((a for a in inner if issubclass(a, BaseModel)), None)
    return model


def loc_parts(path: str) -> Path:
    """`invoices[0].amount` as ("invoices", 0, "amount")."""
    parts: list[str | int] = []
    for chunk in path.replace("[", ".[").split("."):
        if chunk.startswith("["):
            parts.append(int(chunk[1:-1]))
        elif chunk:
            parts.append(chunk)
    return tuple(parts)
