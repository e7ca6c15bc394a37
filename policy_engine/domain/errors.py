"""Domain errors with stable codes; adapters map them to exit codes and gRPC status codes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from pydantic import ValidationError

from policy_engine.domain.amounts import refused_amount
from policy_engine.domain.bounds import BOUND_ERRORS, beyond_bound
from policy_engine.domain.dates import refused_date
from policy_engine.domain.suggest import close_choices, did_you_mean, echoed
from policy_engine.domain.value_schemas import BRANCH_GATE_ERRORS, BRANCH_MESSAGES, SHORTCUT_BRANCHES
from policy_engine.domain.values import (
    CURRENCY_NICKNAMES,
    CURRENCY_PATTERN,
    DATE_RANGE,
    ISO_4217,
    MONEY_RANGE,
    NOT_A_DATE,
    NOT_A_DECIMAL,
    NOT_NEGATIVE,
    NOT_POSITIVE,
    PATTERN_MESSAGES,
    REQUIRED_DATE,
    REQUIRED_DECIMAL,
    not_money_message,
)
from policy_engine.domain.violation_reasons import INVALID, amount_or_date_reason, reason_of_pydantic_error
from policy_engine.domain.whole_numbers import refused_whole


@dataclass(frozen=True)
class FieldViolation:
    """One bad input field: its path (`invoices[3].amount`), what is wrong with it in words, and the same as a
    stable reason for programs (policy_engine/domain/violation_reasons.py)."""

    field: str
    description: str
    reason: str = INVALID

    def __str__(self) -> str:
        return f"{self.field}: {self.description}" if self.field else self.description


class PolicyError(Exception):
    """Base of every error the policy core raises on purpose."""

    code = "policy_error"


class InvalidInput(PolicyError):
    """The caller's input is malformed; `violations` names each bad field."""

    code = "invalid_argument"

    def __init__(self, violations: list[FieldViolation]):
        self.violations = violations
        super().__init__("; ".join(str(v) for v in violations[:20]))

    def as_typed(self, names: Mapping[str, str]) -> InvalidInput:
        """The same violations, each field named as `names` says (a request field by the CLI option that set it)."""
        return InvalidInput([replace(v, field=names.get(v.field, v.field)) for v in self.violations])


class CustomerNotFound(PolicyError):
    """No customer with that id is known to the store; `hint` (if any) says why and what to do instead."""

    code = "not_found"

    def __init__(self, customer_id: str, hint: str = ""):
        self.customer_id, self.hint = customer_id, hint
        super().__init__(f"customer {echoed(customer_id)} not found" + (f": {hint}" if hint else ""))


class StoreUnavailable(PolicyError):
    """The customer store cannot be reached (a database restart, a dropped connection): retry later.

    The message is for callers and names no host; `detail` (the driver's words) is for the log."""

    code = "unavailable"

    def __init__(self, detail: str):
        self.detail = detail
        super().__init__("the customer store is unavailable; try again shortly")


class StoredRecordInvalid(PolicyError):
    """A customer's stored record does not make a valid snapshot: the data needs fixing, not the request."""

    code = "failed_precondition"

    def __init__(self, customer_id: str, violations: list[FieldViolation]):
        self.customer_id, self.violations = customer_id, violations
        shown = "; ".join(str(v) for v in violations[:5])
        super().__init__(f"the stored record of customer {echoed(customer_id)} is invalid ({shown}); "
                         "fix it in the store")


class EngineFailure(PolicyError):
    """The rule engine failed inside an evaluation (an internal error, never the caller's fault)."""

    code = "internal"


class EngineUnavailable(EngineFailure):
    """The evaluation met a rule engine that was already closed (repeated failures closed it for good,
    and the process holding it is being replaced): nothing was evaluated, so the caller may retry.
    `detail` is the engine's words (`ruleset is closed after 100 failed matches`)."""

    code = "unavailable"

    def __init__(self, detail: str):
        self.detail = detail
        super().__init__(f"{detail}: nothing was evaluated; try again shortly")


_MESSAGES = {
    "missing": "required",
    "extra_forbidden": "unknown field",
    "string_type": "not a string",
    "literal_error": None,
    "list_type": "not a list",
    "model_type": "not an object",
    "dict_type": "not an object",
}


def field_path(loc: tuple[Any, ...]) -> str:
    """Render a pydantic location as `invoices[3].amount`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + shown_name(str(part))
    return out


def shown_name(name: str) -> str:
    """A field or column name the input chose, as printed: escaped (`x\\x1b[2J\\ny`) when it holds a control or
    invisible character, which raw would drive the reader's terminal or forge a line of the report."""
    return name if name.isprintable() else repr(name)[1:-1]


def violations_from(exc: ValidationError, prefix: str = "") -> list[FieldViolation]:
    """Turn a pydantic ValidationError into field violations people can act on."""
    return [v for v, _kind in typed_violations_from(exc, prefix)]


def typed_violations_from(exc: ValidationError, prefix: str = "") -> list[tuple[FieldViolation, str]]:
    """violations_from with the pydantic error type of each violation (importers report it as a code)."""
    result: list[tuple[FieldViolation, str]] = []
    refused_by_every_branch: dict[str, tuple[str, str]] = {}  # path → (description, branch label)
    sent: dict[tuple[Any, ...], Any] = {}
    seen: set[FieldViolation] = set()  # a set, not a scan of `result`: 10,000 bad invoices made that quadratic
    for err in exc.errors(include_url=False):
        loc, kind = tuple(err["loc"]), str(err["type"])
        label = str(loc[-1]) if loc else ""
        if label in SHORTCUT_BRANCHES:  # the branches after it refused the input too, and say why
            sent[loc[:-1]] = err.get("input")  # as sent: a later step holds Decimal('-5') for "-05"
            continue
        branch = BRANCH_MESSAGES.get(label)
        if branch is not None:  # money and dates: one union branch per type of input
            loc = loc[:-1]
            path, value = _prefixed(field_path(loc), prefix), sent.get(loc, err.get("input"))
            if kind in BRANCH_GATE_ERRORS and kind not in branch:  # the branch for another type of input
                refused_by_every_branch.setdefault(path, (_refused_value(label, value, _fallback(label)), label))
                continue
            wanted = _required_if_empty(value, branch.get(kind, _fallback(label)))
            violation = FieldViolation(path, _refused_value(label, value, wanted), _branch_reason(wanted, label))
            kind = "value_error"  # the code importers have always reported for a bad amount or date
        else:
            violation = FieldViolation(_prefixed(field_path(loc), prefix), _message(err, kind), _reason(err, kind))
        if violation not in seen:
            seen.add(violation)
            result.append((violation, kind))
    shown = {v.field for v, _ in result}
    result += [(FieldViolation(path, wanted, _branch_reason(wanted, label)), "value_error")
               for path, (wanted, label) in refused_by_every_branch.items() if path not in shown]
    return result


def _message(err: Any, kind: str) -> str:
    """What a refused field that is no amount or date says: our words for pydantic's, and what was meant."""
    if kind in BOUND_ERRORS:  # the bound and the value sent, as every bounded field says it (bounds.py)
        return beyond_bound(kind, err.get("ctx") or {}, err.get("input"))
    if kind in _WHOLE_ERRORS:
        loc = err.get("loc") or ("",)
        return refused_whole(err.get("input"), str(loc[-1]), "assessment" in loc)  # a 5C score is out of 100
    message = (_MESSAGES.get(kind) or str(err["msg"])).removeprefix("Value error, ")
    if kind == "string_pattern_mismatch":
        pattern = (err.get("ctx") or {}).get("pattern", "")
        if pattern == CURRENCY_PATTERN and (not_money := not_money_message(str(err.get("input", "")))):
            return not_money
        message = PATTERN_MESSAGES.get(pattern, message)
    if kind in _SUGGESTING and (hint := did_you_mean(_meant(kind, err))):
        message = f"{message}; {hint}"
    elif kind == "string_too_short" and (err.get("ctx") or {}).get("min_length") == 1:
        message = "required"  # an id sent empty (proto3's default: the field was left out)
    return message


_WHOLE_ERRORS = frozenset({"int_parsing", "int_type", "int_from_float"})
_REQUIRED = {NOT_A_DECIMAL: REQUIRED_DECIMAL, NOT_A_DATE: REQUIRED_DATE}
_REQUIRED_MESSAGES = frozenset(_REQUIRED.values())
_RANGE_MESSAGES = frozenset({MONEY_RANGE, DATE_RANGE, NOT_POSITIVE, NOT_NEGATIVE})


def _reason(err: Any, kind: str) -> str:
    """The stable reason of a refused field that is no amount or date."""
    ctx = err.get("ctx") or {}
    return reason_of_pydantic_error(kind, ctx, ctx.get("pattern") == CURRENCY_PATTERN)


def _branch_reason(wanted: str, label: str) -> str:
    """The stable reason of a refused amount or date, from the message it starts with."""
    return amount_or_date_reason(wanted, _REQUIRED_MESSAGES, _RANGE_MESSAGES, label.startswith("date"))


def _fallback(label: str) -> str:
    """What a date or money branch says of an input no branch has words for."""
    return NOT_A_DATE if label.startswith("date") else NOT_A_DECIMAL


def _refused_value(label: str, value: Any, message: str) -> str:
    """A refused date or amount in the words every entry point uses: the value as sent, and `; write …` where
    one can tell, or `no such day` (dates.refused_date, amounts.refused_amount)."""
    refused = refused_date if label.startswith("date") else refused_amount
    return refused(value, message)


def _required_if_empty(value: Any, message: str) -> str:
    """An amount or date sent empty was most likely left out (a proto3 string's default is ""): say
    "required: a decimal such as …" rather than "not a decimal such as …"."""
    if value == "" and message in _REQUIRED:
        return _REQUIRED[message]
    return message


_SUGGESTING = frozenset({"literal_error", "string_pattern_mismatch"})
_QUOTED = re.compile(r"'([^']*)'")


def _meant(kind: str, err: Any) -> list[str]:
    """The allowed values a refused one was probably meant to be: a Literal's (size 'Medium', grade
    'aa', status 'Open') or a currency's ('cny', 'RMB'); [] for anything else."""
    value, ctx = err.get("input"), err.get("ctx") or {}
    if not isinstance(value, str):
        return []
    if kind == "literal_error":  # pydantic lists the choices as `'large', 'medium' or 'small'`
        return close_choices(value, _QUOTED.findall(str(ctx.get("expected", ""))))
    if ctx.get("pattern") == CURRENCY_PATTERN:  # only case slips: difflib's "close" codes are other currencies
        nickname = CURRENCY_NICKNAMES.get(value.strip().upper())
        return [nickname] if nickname else close_choices(value, ISO_4217, fuzzy=False)
    return []


def _prefixed(path: str, prefix: str) -> str:
    if not prefix:
        return path
    return f"{prefix}.{path}" if path else prefix
