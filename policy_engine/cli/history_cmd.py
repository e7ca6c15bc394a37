"""`credit-policy history`: a customer's logged decisions, how its grade and limit moved, and --replay."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from policy_engine.cli.options import MAX_ROWS, id_argument
from policy_engine.cli.store_common import DbOption, _out, err, open_store_or_exit
from policy_engine.domain.suggest import echoed
from policy_engine.domain.values import GRADE_RANK


def _movement(previous: Any, entry: Any) -> str:
    if previous is None:
        return "first decision"
    parts = []
    if previous.grade != entry.grade:
        arrow = "▲" if GRADE_RANK[entry.grade] < GRADE_RANK[previous.grade] else "▼"
        parts.append(f"{previous.grade}→{entry.grade} {arrow}")
    change = entry.credit_limit - previous.credit_limit
    if change:
        parts.append(f"limit {'+' if change > 0 else ''}{change}")
    return ", ".join(parts) or "unchanged"


def history_cmd(
    customer_id: Annotated[str, typer.Argument(help="the customer whose decisions to list")],
    db: DbOption = None,
    last: Annotated[int | None, typer.Option(min=1, max=MAX_ROWS, help="only the newest N decisions")] = None,
    replay: Annotated[bool, typer.Option(help="re-run each decision with the rules of its version")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
    rules: Annotated[
        Path | None, typer.Option(metavar="DIR", help="rules to replay with when a version's files were not logged")
    ] = None,
) -> None:
    """A customer's logged decisions and how its grade and limit moved; --replay checks they reproduce."""
    from adapters.store.replay import Replayer

    customer_id = id_argument("CUSTOMER_ID", customer_id)
    store = open_store_or_exit(db, command="history", must_exist=True)
    entries = store.history(customer_id, last)
    if not entries:
        err.print(f"no decisions logged for customer {echoed(customer_id)}", markup=False)
        raise typer.Exit(1)
    results = {}
    if replay:
        replayer = Replayer(_files_of(store, rules))
        results = {e.id: replayer.replay(e) for e in entries}
    if as_json:
        json.dump([_entry_json(e, results.get(e.id)) for e in entries], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        _history_table(customer_id, entries, results)
    if any(r.reproduces is False for r in results.values()):
        raise typer.Exit(1)


def _files_of(store: Any, rules: Path | None) -> Callable[[str], dict[str, str] | None]:
    """Rule files of a version: as logged, else the rules directory's when it is that very version."""
    current: list[Any] = []

    def files_of(version: str) -> dict[str, str] | None:
        found: dict[str, str] | None = store.policy_files(version)
        if found is not None:
            return found
        if not current:
            from policy_engine.api import DEFAULT_RULES_DIR, load_policy

            try:
                current.append(load_policy(rules or DEFAULT_RULES_DIR))
            except Exception:  # a broken rules dir only means there is no fallback
                current.append(None)
        policy = current[0]
        return dict(policy.files) if policy is not None and policy.version == version else None

    return files_of


_HISTORY_COLUMNS = ("#", "decided at (UTC)", "as of", "source", "policy", "grade", "limit", "movement", "order",
                    "rules fired")


def _history_table(customer_id: str, entries: list[Any], results: dict[int, Any]) -> None:
    table = Table(title=Text(f"decisions for {customer_id}"))  # not markup: an id may hold `[/]`
    for name in _HISTORY_COLUMNS:
        table.add_column(name)
    if results:
        table.add_column("reproduces")
    previous = None
    for entry in entries:
        row = [str(entry.id), entry.decided_at.strftime("%Y-%m-%d %H:%M:%S"), str(entry.as_of), entry.source,
               entry.policy_version[:12], entry.grade, str(entry.credit_limit), _movement(previous, entry),
               entry.outcome or "", str(len(entry.fired_rules))]  # fmt: skip
        if results:
            result = results[entry.id]
            row.append(_reproduces_cell(result))
        table.add_row(*row)
        previous = entry
    out = _out()
    out.print(table)
    _print_replay_notes(out, results)


def _print_replay_notes(out: Console, results: dict[int, Any]) -> None:
    """Below the table, each replayed decision's differences, wording-only changes and notes."""
    for result in results.values():
        for line in result.diffs:
            out.print(f"  #{result.entry_id}: {line}", markup=False)
        for line in result.wording:
            out.print(f"  #{result.entry_id}: wording only: {line}", markup=False)
        if result.note:
            out.print(f"  #{result.entry_id}: {result.note}", markup=False)
        if result.build_note():
            out.print(f"  #{result.entry_id}: {result.build_note()}", markup=False)


def _reproduces_cell(result: Any) -> str:
    """`yes`, `NO` or `n/a`, with why a result is not exact: `(wording)`, and `(code changed)` or
    `(build not recorded)` when another build of the code replayed it (the line below says which)."""
    shown = {True: "yes", False: "NO", None: "n/a"}[result.reproduces]
    notes = ["wording"] if result.reproduces and result.wording else []
    if result.build_note():
        notes.append("code changed" if result.logged_build else "build not recorded")
    return f"{shown} ({'; '.join(notes)})" if notes else shown


def _entry_json(entry: Any, result: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": entry.id,
        "decided_at": entry.decided_at.isoformat(),
        "as_of": entry.as_of.isoformat(),
        "source": entry.source,
        "policy_version": entry.policy_version,
        "snapshot_hash": entry.snapshot_hash,
        "grade": entry.grade,
        "credit_limit": str(entry.credit_limit),
        "outcome": entry.outcome,
        "build": entry.build,
        "fired_rules": entry.fired_rules,
        "decision": entry.decision.model_dump(mode="json"),
    }
    if entry.order is not None:
        data["order"] = entry.order.model_dump(mode="json")
    if result is not None:
        data["replay"] = {
            "reproduces": result.reproduces,
            "diffs": result.diffs,
            "wording": result.wording,
            "note": result.note,
            "build": {"logged": result.logged_build, "current": result.current_build or None,
                      "note": result.build_note()},
        }
    return data
