"""The snapshot file evaluate and check-order read: a CustomerSnapshot, or one `error:` line naming the file
(and line:column where there is one) and what to do, exit 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError

from policy_engine.cli.options import fail
from policy_engine.domain.amounts import WrittenNumber
from policy_engine.domain.errors import violations_from
from policy_engine.domain.models import CustomerSnapshot
from policy_engine.rules.problems import one_line
from policy_engine.rules.rule_tree import not_utf8, read_at_most

MAX_SNAPSHOT_BYTES = 16 << 20
"""A snapshot at every bound (10,000 invoices and orders, 1,000 signals, ids and text at full length) is
~7.7 MB as JSON indented by four: twice that, and no more, is read (64 MiB of `{}` took 2.9 GB to parse)."""
MAX_JSON_VALUES = 1_000_000
"""Objects and numbers built while parsing: a snapshot at every bound holds ~42,000. Counted as they are
built, so that 16 MiB of `{}` is refused before it fills memory, not after."""
_WRITE = 'write one customer\'s snapshot as a JSON object, such as {"customer_id": "C1", "name": "…"}'


def read_snapshot(path: Path) -> CustomerSnapshot:
    """Read and validate a snapshot file; exit 2 naming each bad field."""
    data = _read_json(path)
    if not isinstance(data, dict):
        kind = "a JSON list" if isinstance(data, list) else "a single JSON value"
        raise fail(f"{path}:1:1: {kind}, not an object; give one customer's snapshot as {{…}} (for many, "
                   "`credit-policy import` them into a store)")
    try:
        return CustomerSnapshot.model_validate(data)
    except ValidationError as exc:
        for v in violations_from(exc):
            typer.echo(one_line(f"{path}: {v}"), err=True)
        raise typer.Exit(2) from None


def _read_json(path: Path) -> Any:
    """The file's JSON, or exit 2 saying what keeps it from being read."""
    try:
        if path.is_dir():
            raise fail(f"{path}: a directory, not a file; give a CustomerSnapshot JSON file")
        data = read_at_most(path, MAX_SNAPSHOT_BYTES)  # a pipe or device says size 0: only reading stops it
        if data is None:
            raise fail(f"{path}: larger than {MAX_SNAPSHOT_BYTES >> 20} MiB")
        text = data.decode("utf-8-sig")
        if not text.strip():
            raise fail(f"{path}: empty file; {_WRITE}")
        return _parsed(text)
    except FileNotFoundError:
        raise fail(f"{path}: no such file") from None
    except UnicodeDecodeError:  # before ValueError, its base: say where and which encoding to save in
        raise fail(str(not_utf8(path, str(path), data)).replace(": unreadable: ", ": ", 1)) from None
    except json.JSONDecodeError as exc:
        raise fail(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    except _Repeated as exc:
        raise fail(f"{path}: {exc.where}: written twice in one object; keep the one you mean") from None
    except RecursionError:
        raise fail(f"{path}: not JSON we read: nested too deeply") from None
    except ValueError as exc:  # an integer of over 4,300 digits; too many values
        raise fail(f"{path}: not JSON we read: {str(exc).split(';')[0]}") from None
    except OSError as exc:
        raise fail(f"{path}: cannot be read: {exc.strerror or exc}") from None


class _Repeated(Exception):
    def __init__(self, where: str):
        self.where = where


class _Twice(dict[str, Any]):
    """An object with a key written twice; the key, to be named by its path once the parse is done."""

    key = ""


def _parsed(text: str) -> Any:
    """JSON with fractions as written (WrittenNumber), at most MAX_JSON_VALUES objects and numbers, no key
    written twice (json keeps the last silently: `"amount": "1.00", "amount": "900000.00"` lost the first)."""
    left = [MAX_JSON_VALUES]

    def count(value: Any) -> Any:
        left[0] -= 1
        if left[0] < 0:
            raise ValueError(f"more than {MAX_JSON_VALUES} objects and numbers")
        return value

    def mapping(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out = count(dict(pairs))
        if len(out) == len(pairs):
            return out  # type: ignore[no-any-return]
        twice = _Twice(out)
        twice.key = next(k for i, (k, _) in enumerate(pairs) if any(k == j for j, _ in pairs[:i]))
        return twice

    data = json.loads(text, parse_float=lambda s: count(WrittenNumber(s)), parse_int=lambda s: count(int(s)),
                      object_pairs_hook=mapping)
    _refuse_repeated(data, "")
    return data


def _refuse_repeated(data: Any, where: str) -> None:
    """Raise _Repeated naming the first key written twice by its path (`invoices[0].amount`)."""
    if isinstance(data, _Twice):
        raise _Repeated(f"{where}.{data.key}" if where else data.key)
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        if isinstance(value, dict | list):
            _refuse_repeated(value, f"{where}[{key}]" if isinstance(key, int) else f"{where}.{key}" if where else key)
