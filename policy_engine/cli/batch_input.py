"""What `batch` checks before it starts: its date, its partition and its store. Each refusal is one `error:`
line on stderr and, on stdout, the `bad_input` summary, since a scheduler parses stdout however the run ended."""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Any

import typer

EXIT_BAD_INPUT = 2


def bad_input(why: str) -> typer.Exit:
    """Say `why` on stderr and print the `bad_input` summary on stdout; the Exit (2) to raise."""
    from policy_engine.rules.problems import one_line

    typer.echo(f"error: {one_line(why)}", err=True)
    json.dump({"status": "bad_input", "error": why, "exit_code": EXIT_BAD_INPUT}, sys.stdout, ensure_ascii=False,
              indent=2)  # fmt: skip
    sys.stdout.write("\n")
    return typer.Exit(EXIT_BAD_INPUT)


def as_of_or_exit(value: str | None) -> date:
    """The day `--as-of` names (none or empty: today), or exit 2 saying what to write (options.date_option)."""
    from policy_engine.domain.dates import refused_date
    from policy_engine.domain.values import parse_iso_date

    if not value:
        return date.today()
    try:
        return parse_iso_date(value)
    except ValueError as exc:
        raise bad_input(f"--as-of: {refused_date(value, str(exc))}") from None


def partition_or_exit(partition: str) -> Any:
    """The Partition `--partition` names, or exit 2 saying what is wrong."""
    from adapters.batch.runs import Partition

    try:
        return Partition.parse(partition)
    except ValueError as exc:
        raise bad_input(f"--partition: {exc}") from None


def require_store(url: str) -> None:
    """The batch re-evaluates the customers of an existing store: a SQLite path with a typo, or a PostgreSQL
    database that is empty or another application's (a typo'd or default name), would be given the schema and
    the night's run would end "complete" with 0 customers, exit 0 (presence.require_store changes nothing)."""
    from adapters.store.db_url import BadDbUrl
    from adapters.store.engine import NoSuchStore, cannot_open
    from adapters.store.presence import require_store as require_a_store

    try:
        require_a_store(url)
    except (NoSuchStore, BadDbUrl) as exc:
        raise bad_input(str(exc) if isinstance(exc, NoSuchStore) else cannot_open(url, exc)) from None
    except Exception:  # noqa: BLE001 - unreachable, a wrong password: the opening says which, and retryable or not
        return
