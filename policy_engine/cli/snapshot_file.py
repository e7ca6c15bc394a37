"""The snapshot file evaluate and check-order read: a CustomerSnapshot, or one `error:` line naming the file
(and line:column where there is one) and what to do, exit 2."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError

from policy_engine.cli.options import fail
from policy_engine.domain.errors import violations_from
from policy_engine.domain.models import CustomerSnapshot
from policy_engine.rules.rule_tree import not_utf8

MAX_SNAPSHOT_BYTES = 64 << 20
_WRITE = 'write one customer\'s snapshot as a JSON object, such as {"customer_id": "C1", "name": "…"}'


def read_snapshot(path: Path) -> CustomerSnapshot:
    """Read and validate a snapshot file; exit 2 naming each bad field."""
    data = _read_json(path)
    if not isinstance(data, dict):
        kind = "a JSON list" if isinstance(data, list) else "a single JSON value"
        raise fail(f"{path}:1:1: {kind}, not an object; give one customer's snapshot as {{…}} (for many, "
                   "`credit-policy import` them into a store)")
    try:
        return CustomerSnapshot.model_validate(_floats_as_error(data))
    except ValidationError as exc:
        for v in violations_from(exc):
            typer.echo(f"{path}: {v}", err=True)
        raise typer.Exit(2) from None


def _read_json(path: Path) -> Any:
    """The file's JSON, or exit 2 saying what keeps it from being read."""
    try:
        if path.is_dir():
            raise fail(f"{path}: a directory, not a file; give a CustomerSnapshot JSON file")
        if path.stat().st_size > MAX_SNAPSHOT_BYTES:
            raise fail(f"{path}: larger than {MAX_SNAPSHOT_BYTES >> 20} MiB")
        text = path.read_text(encoding="utf-8-sig")
        if not text.strip():
            raise fail(f"{path}: empty file; {_WRITE}")
        return json.loads(text, parse_float=Decimal)
    except FileNotFoundError:
        raise fail(f"{path}: no such file") from None
    except UnicodeDecodeError:  # before ValueError, its base: say where and which encoding to save in
        raise fail(str(not_utf8(path, str(path))).replace(": unreadable: ", ": ", 1)) from None
    except json.JSONDecodeError as exc:
        raise fail(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise fail(f"{path}: not JSON we read: nested too deeply") from None
    except ValueError as exc:  # an integer of over 4,300 digits
        raise fail(f"{path}: not JSON we read: {str(exc).split(';')[0]}") from None
    except OSError as exc:
        raise fail(f"{path}: cannot be read: {exc.strerror or exc}") from None


def _floats_as_error(data: Any) -> Any:
    # JSON numbers with a fraction arrive as Decimal (parse_float); money must still be a string,
    # so turn them back into floats for the validator to refuse with a clear message.
    if isinstance(data, dict):
        return {k: _floats_as_error(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_floats_as_error(v) for v in data]
    return float(data) if isinstance(data, Decimal) else data
