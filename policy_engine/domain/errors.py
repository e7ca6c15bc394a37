"""Domain errors with stable codes; adapters map them to exit codes and gRPC status codes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError


@dataclass(frozen=True)
class FieldViolation:
    """One bad input field: its path (`invoices[3].amount`) and what is wrong with it."""

    field: str
    description: str

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


class CustomerNotFound(PolicyError):
    """No customer with that id is known to the store."""

    code = "not_found"

    def __init__(self, customer_id: str):
        self.customer_id = customer_id
        super().__init__(f"customer {customer_id!r} not found")


class EngineFailure(PolicyError):
    """The rule engine failed inside an evaluation (an internal error, never the caller's fault)."""

    code = "internal"


_MESSAGES = {
    "missing": "required",
    "extra_forbidden": "unknown field",
    "int_parsing": "not an integer",
    "int_type": "not an integer",
    "int_from_float": "not an integer",
    "string_type": "not a string",
    "literal_error": None,
    "too_long": None,
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
            out += ("." if out else "") + str(part)
    return out


def violations_from(exc: ValidationError, prefix: str = "") -> list[FieldViolation]:
    """Turn a pydantic ValidationError into field violations people can act on."""
    result = []
    for err in exc.errors(include_url=False):
        message = _MESSAGES.get(err["type"]) or str(err["msg"])
        message = message.removeprefix("Value error, ")
        path = field_path(tuple(err["loc"]))
        if prefix:
            path = f"{prefix}.{path}" if path else prefix
        result.append(FieldViolation(path, message))
    return result
