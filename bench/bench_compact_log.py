"""Compacting a decision log written before migration 0003: size before and after, and the time taken.

    .venv/bin/python bench/bench_compact_log.py --customers 10000 --nights 3 --keep /tmp/bench-compact
    .venv/bin/python bench/bench_compact_log.py --customers 10000 --nights 3 \
        --db "$CREDIT_POLICY_PG_URL" --fresh-postgres

Builds a store at revision 0002 holding `--customers` demo customers (`credit-policy demo-data`,
seed 1; the SQLite portfolio is generated once and reused from --keep) and `--nights` decisions
per customer written the way 0002 wrote them (each entry with its own snapshot copy; the same
snapshot every night, only the as-of date moves). Then, each step timed as a separate process:
`open_store` (the migration to head: on SQLite it rebuilds decision_log), `credit-policy
compact-log --vacuum`, and `compact-log` once more (nothing to do). Reports the file (SQLite) or
decision_log's total relation size and the database's size (PostgreSQL) after each step.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).parent / "credit-policy")
AS_OF = date(2026, 11, 22)
MIB = 2**20


def _run(args: list[str], ok: tuple[int, ...] = (0,)) -> tuple[str, float]:
    started = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, check=False)
    wall = time.perf_counter() - started
    if proc.returncode not in ok:
        sys.exit(f"{' '.join(args[:3])} … failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return proc.stdout, wall


def _sizes(url: str) -> dict[str, int]:
    """SQLite: the file after a WAL checkpoint. PostgreSQL: decision_log (heap, TOAST, indexes) and the database."""
    if url.startswith("sqlite"):
        path = Path(url.split(":///", 1)[1])
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return {"file": path.stat().st_size}
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        log = conn.execute(text("SELECT pg_total_relation_size('decision_log')")).scalar_one()
        database = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
    engine.dispose()
    return {"decision_log": int(log), "database": int(database)}


def _write_old_log(url: str, customers: int, nights: int) -> None:
    """Downgrade to 0002 and log every customer once per night, each entry with its own snapshot copy."""
    sys.path.insert(0, str(ROOT))
    from datetime import UTC, datetime

    from adapters.store import SqlStore, make_engine
    from adapters.store import schema as s
    from adapters.store.audit import log_row, record_policy_files
    from adapters.store.revisions import downgrade
    from policy_engine.api import load_policy

    engine = make_engine(url)
    downgrade(engine, "0002")
    policy = load_policy()
    store = SqlStore(engine)
    with engine.begin() as conn:
        record_policy_files(conn, policy.version, policy.files)
    for ids in store.iter_customer_ids(1000):
        snapshots = store.get_snapshots(ids)
        for night in range(nights):
            day = AS_OF + timedelta(days=night)
            now = datetime.now(UTC)
            decisions = [(snap, policy.evaluate(snap, as_of=day)) for snap in snapshots]
            rows = [log_row(snap, dec, source="batch", decided_at=now) for snap, dec in decisions]
            rows = [{k: v for k, v in row.items() if k != "build"} for row in rows]  # 0004 added `build`
            with engine.begin() as conn:
                conn.execute(s.decision_log.insert(), rows)
    engine.dispose()


def _portfolio(url: str, customers: int, keep: Path | None, fresh_postgres: bool) -> None:
    demo = [CLI, "demo-data", "--customers", str(customers), "--seed", "1", "--as-of", AS_OF.isoformat()]
    if url.startswith("sqlite"):
        db = Path(url.split(":///", 1)[1])
        template = (keep or db.parent) / f"portfolio-{customers}.sqlite"
        if not template.exists():
            _run([*demo, "--db", f"sqlite:///{template}"])
            _sizes(f"sqlite:///{template}")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(template, db)
        return
    if not fresh_postgres:
        sys.exit("--db postgresql…: pass --fresh-postgres (the public schema is dropped and recreated)")
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    _run([*demo, "--db", url])


def main() -> None:
    """Build the 0002 log, then upgrade, compact with --vacuum and compact again; print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--nights", type=int, default=3)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--db", help="a PostgreSQL URL (with --fresh-postgres); default a SQLite file")
    parser.add_argument("--fresh-postgres", action="store_true")
    parser.add_argument("--keep", type=Path, help="SQLite: keep the generated portfolio here and reuse it")
    args = parser.parse_args()

    base = args.keep or Path(tempfile.mkdtemp(prefix="bench-compact-"))
    base.mkdir(parents=True, exist_ok=True)
    url = args.db or f"sqlite:///{base / 'log-0002.sqlite'}"
    _portfolio(url, args.customers, args.keep, args.fresh_postgres)
    started = time.perf_counter()
    _write_old_log(url, args.customers, args.nights)
    print(f"# 0002 log written in {time.perf_counter() - started:.0f}s", file=sys.stderr)

    steps: list[dict[str, Any]] = [{"step": "at 0002", **_sizes(url)}]
    _, wall = _run([sys.executable, "-c", f"from adapters.store import open_store; open_store({url!r}).close()"])
    steps.append({"step": "migrated to head", "seconds": wall, **_sizes(url)})
    compact = [CLI, "compact-log", "--db", url, "--batch", str(args.batch)]
    out, wall = _run([*compact, "--vacuum"])
    summary = json.loads(out)
    steps.append({"step": "compact-log --vacuum", "seconds": wall, "summary": summary, **_sizes(url)})
    out, wall = _run(compact)
    steps.append({"step": "compact-log again", "seconds": wall, "summary": json.loads(out), **_sizes(url)})
    for step in steps:
        print(json.dumps(step), file=sys.stderr)

    measures = [k for k in steps[0] if k != "step"]
    engine = "SQLite " + sqlite3.sqlite_version if url.startswith("sqlite") else "PostgreSQL"
    entries = summary["rows_with_own_copy"]
    print(f"{args.customers:,} customers × {args.nights} nights = {entries:,} entries, {engine}\n")
    print(f"| step | wall time | {' | '.join(f'{m} (MiB)' for m in measures)} |")
    print(f"| --- | ---: | {' | '.join('---:' for _ in measures)} |")
    for step in steps:
        wall_time = f"{step['seconds']:.1f} s" if "seconds" in step else ""
        print(f"| {step['step']} | {wall_time} | {' | '.join(f'{step[m] / MIB:,.1f}' for m in measures)} |")
    print(f"\nmoved {summary['rows_moved']:,} entries ({summary['bytes_moved'] / MIB:,.1f} MiB of text), "
          f"{summary['snapshots_added']:,} snapshots added, {summary['rows_refused']} refused; compaction "
          f"{summary['seconds']:.1f} s, vacuum {summary['vacuum']['seconds']:.1f} s")  # fmt: skip
    if args.keep is None and args.db is None:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
