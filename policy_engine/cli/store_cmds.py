"""Store commands: `import`, `demo-data`, `history` (issue 4) and `compact-log`."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from policy_engine.domain.values import GRADE_RANK

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="SQLAlchemy URL; default $CREDIT_POLICY_DB or sqlite:///var/credit-policy.sqlite"),
]
MAX_PROBLEMS_SHOWN = 50
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _out() -> Console:
    """stdout; piped output is not squeezed to 80 columns."""
    return Console(highlight=False, width=None if sys.stdout.isatty() else 200)


class Kind(StrEnum):
    """What an import file holds."""

    customers = "customers"
    invoices = "invoices"
    orders = "orders"
    financials = "financials"
    signals = "signals"


class Format(StrEnum):
    """Input file format."""

    csv = "csv"
    jsonl = "jsonl"


def open_store_or_exit(db: str | None, *, must_exist: bool = False) -> Any:
    """The store; with `must_exist` (commands that only read) a SQLite file that is not there is an
    error rather than a new empty store."""
    from adapters.store import open_store
    from adapters.store.engine import NoSuchStore, require_existing, resolve_db_url, safe_url, scrub_password

    try:
        if must_exist:
            require_existing(db)
        return open_store(db)
    except NoSuchStore as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from None
    except Exception as exc:  # a bad URL or an unreachable server: say which, no traceback; never the password
        url = resolve_db_url(db)
        err.print(f"error: cannot open the store {safe_url(url)}: {scrub_password(str(exc), url)}", markup=False)
        raise typer.Exit(2) from None


def import_cmd(
    kind: Annotated[Kind, typer.Argument(help="customers | invoices | orders | financials | signals")],
    file: Annotated[Path, typer.Argument(help="a CSV file with a header line, or JSON lines (.jsonl)")],
    db: DbOption = None,
    fmt: Annotated[Format | None, typer.Option("--format", help="csv or jsonl; default from the extension")] = None,
    keep_going: Annotated[bool, typer.Option("--keep-going", help="load the good rows, write the bad ones")] = False,
    rejects: Annotated[Path | None, typer.Option(help="where --keep-going writes rejected rows")] = None,
) -> None:
    """Import a file of records, upserting by id: all-or-nothing unless --keep-going."""
    from adapters.importers import run_import

    if not file.is_file():
        err.print(f"error: {file}: {'a directory, not a file' if file.is_dir() else 'no such file'}", markup=False)
        raise typer.Exit(2)
    if rejects and not keep_going:
        err.print("error: --rejects needs --keep-going")
        raise typer.Exit(2)
    if keep_going and rejects is None:
        rejects = file.with_name(f"{file.stem}.rejects{file.suffix or '.csv'}")
    store = open_store_or_exit(db)
    with Progress(TextColumn("{task.description}"), TextColumn("{task.completed} rows"), TimeElapsedColumn(),
                  console=err, transient=True) as bar:  # fmt: skip
        task = bar.add_task(f"importing {kind.value}")
        try:
            report = run_import(
                store.engine, kind.value, file, fmt=fmt.value if fmt else None, keep_going=keep_going,
                rejects_path=rejects, progress=lambda n: bar.update(task, completed=n),
            )  # fmt: skip
        except OSError as exc:  # the rejects file cannot be written (opened before anything is imported)
            where = f"--rejects {exc.filename}" if rejects and exc.filename == str(rejects) else exc.filename or file
            err.print(f"error: {where}: {exc.strerror or exc}; nothing imported", markup=False)
            raise typer.Exit(2) from None
    for problem in report.problems[:MAX_PROBLEMS_SHOWN]:
        err.print(str(problem), markup=False)
    if report.problem_count > MAX_PROBLEMS_SHOWN:
        err.print(f"… and {report.problem_count - MAX_PROBLEMS_SHOWN} more problems")
    _import_summary(report, rejects)
    raise typer.Exit(1 if report.problem_count else 0)


def _import_summary(report: Any, rejects: Path | None) -> None:
    if report.committed:
        line = (
            f"{report.file}: {report.rows_read} rows read, {report.rows_loaded} loaded "
            f"({report.rows_changed} inserted or changed)"
        )
        if report.rows_rejected:
            line += f", {report.rows_rejected} rejected → {rejects}"
        err.print(line, markup=False)
    else:
        where = f" in {report.rows_rejected} rows" if report.rows_rejected else ""
        err.print(
            f"{report.file}: nothing imported: {report.problem_count} problem(s){where}; "
            "fix them, or pass --keep-going to load the good rows",
            markup=False,
        )


def demo_data_cmd(
    customers: Annotated[int, typer.Option(min=1, max=5_000_000, help="how many customers to generate")] = 1000,
    seed: Annotated[int, typer.Option(help="random seed: the same seed and as-of give the same data")] = 1,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="date the history leads up to (YYYY-MM-DD); default today")
    ] = None,
    replace: Annotated[bool, typer.Option(help="wipe the customer records the database already holds")] = False,
    db: DbOption = None,
) -> None:
    """Fill the store with a realistic synthetic portfolio, warning signs included."""
    from adapters.demo_data import PortfolioNotEmpty, check_empty, generate_demo_data

    try:
        day = date.fromisoformat(as_of) if as_of else date.today()
    except ValueError:
        err.print(f"error: --as-of: not an ISO date (YYYY-MM-DD): {as_of!r}")
        raise typer.Exit(2) from None
    store = open_store_or_exit(db)
    try:
        check_empty(store.engine, replace)
    except PortfolioNotEmpty as exc:
        err.print(f"error: {exc}")
        raise typer.Exit(1) from None
    started = time.perf_counter()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err) as bar:
        task = bar.add_task("customers", total=customers)
        summary = generate_demo_data(
            store.engine, customers, seed=seed, as_of=day, replace=replace,
            progress=lambda n: bar.update(task, completed=n),
        )  # fmt: skip
    elapsed = time.perf_counter() - started
    table = Table(title=f"demo data: {summary.customers} customers as of {day} in {elapsed:.1f}s")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in summary.rows.items():
        table.add_row(name, str(count))
    for name, count in summary.categories.items():
        table.add_row(f"  warning sign: {name}", str(count))
    _out().print(table)


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
    last: Annotated[int | None, typer.Option(min=1, help="only the newest N decisions")] = None,
    replay: Annotated[bool, typer.Option(help="re-run each decision with the rules of its version")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
    rules: Annotated[
        Path | None, typer.Option(help="rules to replay with when a version's files were not logged")
    ] = None,
) -> None:
    """A customer's logged decisions and how its grade and limit moved; --replay checks they reproduce."""
    from adapters.store.replay import Replayer

    store = open_store_or_exit(db, must_exist=True)
    entries = store.history(customer_id, last)
    if not entries:
        err.print(f"no decisions logged for customer {customer_id!r}", markup=False)
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


def _history_table(customer_id: str, entries: list[Any], results: dict[int, Any]) -> None:
    table = Table(title=f"decisions for {customer_id}")
    for name in (
        "#",
        "decided at (UTC)",
        "as of",
        "source",
        "policy",
        "grade",
        "limit",
        "movement",
        "order",
        "rules fired",
    ):
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
            shown = {True: "yes", False: "NO", None: "n/a"}[result.reproduces]
            row.append(f"{shown} (wording)" if result.reproduces and result.wording else shown)
        table.add_row(*row)
        previous = entry
    out = _out()
    out.print(table)
    for result in results.values():
        for line in result.diffs:
            out.print(f"  #{result.entry_id}: {line}", markup=False)
        for line in result.wording:
            out.print(f"  #{result.entry_id}: wording only: {line}", markup=False)
        if result.note:
            out.print(f"  #{result.entry_id}: {result.note}", markup=False)


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
        }
    return data


COMPACT_BATCH = 1_000  # = adapters.store.compact.DEFAULT_BATCH and MAX_BATCH (not imported: keeps --help fast)
COMPACT_MAX_BATCH = 10_000
PROGRESS_LOG_SECONDS = 30.0


def compact_log_cmd(
    db: DbOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="count what would move and its bytes; change nothing")
    ] = False,
    batch: Annotated[
        int, typer.Option(min=1, max=COMPACT_MAX_BATCH, help="entries per transaction (each chunk commits on its own)")
    ] = COMPACT_BATCH,
    vacuum: Annotated[
        bool,
        typer.Option(
            help="afterwards give the space back. SQLite: VACUUM, which shrinks the file but needs free disk up to "
            "twice the size of what remains (a copy, then the WAL) and locks the database against writes while it "
            "runs. PostgreSQL: VACUUM (ANALYZE) of decision_log and decision_snapshots, which makes the space "
            "reusable but does not shrink the files (VACUUM FULL is yours to schedule)"
        ),
    ] = False,
    upgrade: Annotated[bool, typer.Option(help="migrate the database to the newest schema first (from 0002)")] = False,
) -> None:
    """Move the snapshot copies of decisions logged before migration 0003 into decision_snapshots.

    Each copy is checked against its entry's sha256 first; an entry that does not match, or whose hash
    already holds a different text, is left as it is and listed (never destroy evidence).

    Resumable (a transaction per chunk), safe beside the running service, a no-op when run again.
    Prints a JSON summary. Exit status: 0 done, 1 done but some entries were refused, 2 bad URL or
    database not at 0003.
    """
    from adapters.store.compact import CompactError

    if dry_run and (vacuum or upgrade):
        err.print("error: --dry-run changes nothing: not with --vacuum or --upgrade")
        raise typer.Exit(2)
    try:
        result, summary = _compact(db, upgrade=upgrade, dry_run=dry_run, batch=batch, vacuum=vacuum)
    except CompactError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        err.print("interrupted: nothing is lost (the upgrade and each chunk are transactions of their own); "
                  "run the command again to finish")  # fmt: skip
        raise typer.Exit(130) from None
    for item in summary.refused:
        err.print(f"refused #{item.id}: {item.reason} (kept its own copy)", markup=False)
    if summary.refused_count > len(summary.refused):
        err.print(f"… and {summary.refused_count - len(summary.refused)} more refused")
    json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    raise typer.Exit(1 if summary.refused_count else 0)


def _compact(db: str | None, *, upgrade: bool, dry_run: bool, batch: int, vacuum: bool) -> tuple[dict[str, Any], Any]:
    """Open (and with `upgrade` migrate), compact, vacuum: the JSON summary and the CompactSummary."""
    from adapters.store.compact import compact_log, open_log_engine, storage_bytes
    from adapters.store.compact import vacuum as vacuum_db

    engine = open_log_engine(db, upgrade=upgrade)
    try:
        before = storage_bytes(engine)
        with _compact_progress(dry_run) as hook:
            summary = compact_log(engine, batch=batch, dry_run=dry_run, progress=hook)
        result: dict[str, Any] = {"database": engine.url.render_as_string(hide_password=True)}
        result.update(summary.as_json())
        result["vacuum"] = None
        if vacuum:
            err.print("vacuuming…")
            result["vacuum"] = vacuum_db(engine)
        after = storage_bytes(engine)
        if before is not None and after is not None:
            result["size"] = {"measure": before[0], "bytes_before": before[1], "bytes_after": after[1]}
    finally:
        engine.dispose()
    return result, summary


@contextmanager
def _compact_progress(dry_run: bool) -> Iterator[Callable[[int, int], None]]:
    """A bar (entries examined of those holding a copy, elapsed) when stderr is a terminal, else a line every 30 s."""
    label = "counting (dry run)" if dry_run else "compacting"
    if err.is_terminal:
        columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TextColumn("entries"), TimeElapsedColumn())
        with Progress(*columns, console=err) as bar:
            task = bar.add_task(label, total=None)
            yield lambda done, total: bar.update(task, completed=done, total=total)
        return
    last = [time.monotonic()]

    def log(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_LOG_SECONDS:
            last[0] = now
            err.print(f"{label}: {done}/{total} entries")

    yield log


def register(app: typer.Typer) -> None:
    """Add the store commands to the app."""
    app.command("import")(import_cmd)
    app.command("demo-data")(demo_data_cmd)
    app.command("history")(history_cmd)
    app.command("compact-log")(compact_log_cmd)
