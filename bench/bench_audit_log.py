"""How much the decision log grows per night: the nightly batch re-run on unchanged data, SQLite.

    .venv/bin/python bench/bench_audit_log.py --customers 10000 --nights 3 --keep /tmp/bench-audit

Generates a demo portfolio once (`credit-policy demo-data`, reused from --keep when it is there),
copies it to a fresh file, then runs `credit-policy batch` for N consecutive as-of dates on that
copy (same data every night: only the as-of date moves). After each night the WAL is checkpointed
and the script reports the file size, the bytes SQLite's pages hold for decision_log and
decision_snapshots (dbstat: table and indexes), the rows of each, and the batch's wall time and
customers/s. Works on a store with or without decision_snapshots, so it measures before and after.

`--inline-snapshots` (1 worker only) runs the batch with the write path of before migration 0003
patched in (every entry carries its own snapshot copy), everything else equal: an A/B of the
layouts on today's code. `--write-step N` times only the decision-log write of N entries (chunks
of 500, one commit each) in both layouts, three nights each, twice, in this process.
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
TABLES = ("decision_log", "decision_snapshots")
INLINE = (
    "import sys; from adapters.store import schema as s; import adapters.batch.worker as w; "
    "w.write_log_rows = lambda conn, rows: conn.execute(s.decision_log.insert(), rows); "
    "from policy_engine.cli import main; main()"
)


def _run(args: list[str]) -> tuple[str, float]:
    started = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, check=False)
    wall = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return proc.stdout, wall


def _measure(db: Path) -> dict[str, int]:
    """File size after a checkpoint, and bytes and rows of the decision-log tables (with their indexes)."""
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        out = {"file_bytes": db.stat().st_size}
        for table in TABLES:
            if table not in names:
                continue
            owned = [table] + [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (table,))]  # fmt: skip
            marks = ",".join("?" * len(owned))
            size = conn.execute(f"SELECT SUM(pgsize) FROM dbstat WHERE name IN ({marks})", owned).fetchone()[0]
            out[f"{table}_bytes"] = int(size or 0)
            out[f"{table}_rows"] = int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    return out


def _write_step(template: Path, base: Path, count: int) -> None:
    """Time the log write alone: the old inline layout against write_log_rows, 3 nights each, twice."""
    from datetime import UTC, datetime

    sys.path.insert(0, str(ROOT))
    from adapters.store import open_store
    from adapters.store import schema as s
    from adapters.store.audit import log_row, write_log_rows
    from policy_engine.api import load_policy

    source = open_store(f"sqlite:///{template}", upgrade=False)
    snapshots = source.get_snapshots([f"C{i:07d}" for i in range(1, count + 1)])
    source.close()
    policy = load_policy()
    decisions = [policy.evaluate(snap, as_of=AS_OF) for snap in snapshots]
    best: dict[tuple[str, int], float] = {}
    for rep in range(2):
        for layout in ("inline", "deduplicated"):
            db = base / f"write-step-{layout}-{rep}.sqlite"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            store = open_store(f"sqlite:///{db}")
            for night in range(3):
                seconds = 0.0
                for i in range(0, len(snapshots), 500):
                    now = datetime.now(UTC)
                    pairs = zip(snapshots[i : i + 500], decisions[i : i + 500], strict=True)
                    rows = [log_row(snap, dec, source="batch", decided_at=now) for snap, dec in pairs]
                    started = time.perf_counter()
                    with store.engine.begin() as conn:
                        if layout == "inline":
                            conn.execute(s.decision_log.insert(), rows)
                        else:
                            write_log_rows(conn, rows)
                    seconds += time.perf_counter() - started
                key = (layout, night + 1)
                best[key] = min(best.get(key, seconds), seconds)
            store.close()
    for (layout, night), seconds in sorted(best.items()):
        print(f"{layout:13} night {night}: {1000 * seconds / len(snapshots):.3f} ms per entry (best of 2)")


def main() -> None:
    """Parse arguments, run the nights, print one JSON line per step and a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--nights", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="keep the generated portfolio here and reuse it")
    parser.add_argument("--inline-snapshots", action="store_true", help="the pre-0003 write path (A/B)")
    parser.add_argument("--write-step", type=int, metavar="N", help="time only the log write of N entries")
    args = parser.parse_args()
    if args.inline_snapshots and args.workers != 1:
        parser.error("--inline-snapshots patches the in-process writer: use --workers 1")
    batch = [sys.executable, "-c", INLINE] if args.inline_snapshots else [CLI]

    base = args.keep or Path(tempfile.mkdtemp(prefix="bench-audit-"))
    base.mkdir(parents=True, exist_ok=True)
    template = base / f"portfolio-{args.customers}.sqlite"
    if not template.exists():
        _, wall = _run([CLI, "demo-data", "--customers", str(args.customers), "--seed", "1",
                        "--as-of", AS_OF.isoformat(), "--db", f"sqlite:///{template}"])  # fmt: skip
        _measure(template)
        print(f"# {args.customers} customers generated in {wall:.0f}s", file=sys.stderr)
    if args.write_step:
        _write_step(template, base, min(args.write_step, args.customers))
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
        return
    db = base / "nights.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, db)
    url = f"sqlite:///{db}"

    # Opening the store migrates the copy to head first, so night 1 measures only the batch.
    _run([sys.executable, "-c", f"from adapters.store import open_store; open_store({url!r}).close()"])
    rows: list[dict[str, Any]] = [{"night": 0, "as_of": "", "seconds": 0.0, "rate": 0.0, **_measure(db)}]
    print(json.dumps(rows[-1]), file=sys.stderr)
    for night in range(args.nights):
        day = AS_OF + timedelta(days=night)
        out, wall = _run([*batch, "batch", "--db", url, "--as-of", day.isoformat(), "--workers", str(args.workers),
                          "--quiet"])  # fmt: skip
        summary = json.loads(out)
        rows.append({"night": night + 1, "as_of": day.isoformat(), "seconds": wall,
                     "rate": summary["rate_per_second"], **_measure(db)})  # fmt: skip
        print(json.dumps(rows[-1]), file=sys.stderr)

    mib = 2**20
    layout = "each entry with its own snapshot copy" if args.inline_snapshots else "snapshots stored once"
    print(f"{args.customers:,} customers, {args.workers} worker(s), {layout}, SQLite {sqlite3.sqlite_version}\n")
    print("| after | file | Δ file | decision_log (rows, MiB) | decision_snapshots (rows, MiB) | batch | customers/s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for prev, r in zip([None, *rows], rows, strict=False):
        delta = "" if prev is None else f"+{(r['file_bytes'] - prev['file_bytes']) / mib:,.1f} MiB"
        log = f"{r.get('decision_log_rows', 0):,} / {r.get('decision_log_bytes', 0) / mib:,.1f}"
        snaps = (f"{r['decision_snapshots_rows']:,} / {r['decision_snapshots_bytes'] / mib:,.1f}"
                 if "decision_snapshots_rows" in r else "—")  # fmt: skip
        label = "demo-data" if r["night"] == 0 else f"night {r['night']} ({r['as_of']})"
        timing = ("", "") if r["night"] == 0 else (f"{r['seconds']:.1f} s", f"{r['rate']:,.0f}")
        print(f"| {label} | {r['file_bytes'] / mib:,.1f} MiB | {delta} | {log} | {snaps} | {timing[0]} | {timing[1]} |")
    if args.keep is None:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
