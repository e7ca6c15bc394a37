"""Benchmark the customer store: demo-data at size, snapshot load by id, audit-log cost per decision.

    .venv/bin/python bench/bench_store.py                       # 100k customers, embedded SQLite
    .venv/bin/python bench/bench_store.py --db "$CREDIT_POLICY_PG_URL" --fresh-postgres

Prints a Markdown table (docs/store.md keeps the last run).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402

from adapters.demo_data import generate_demo_data  # noqa: E402
from adapters.store import open_store  # noqa: E402

AS_OF = date(2026, 11, 22)


def _percentiles(samples_ms: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def bench_demo_data(url: str, customers: int) -> tuple[float, dict[str, int]]:
    """Seconds to generate and write `customers` customers, and the rows written."""
    store = open_store(url)
    started = time.perf_counter()
    summary = generate_demo_data(store.engine, customers, seed=1, as_of=AS_OF)
    elapsed = time.perf_counter() - started
    store.close()
    return elapsed, summary.rows


def bench_snapshot_load(url: str, customers: int, samples: int) -> tuple[float, float, float, float]:
    """p50/p95/p99 ms of get_snapshot by a random id, and the mean invoices per snapshot."""
    store = open_store(url)
    rng = random.Random(2)
    ids = [f"C{rng.randint(1, customers):07d}" for _ in range(samples)]
    for cid in ids[:50]:  # warm the pool and the statement cache
        store.get_snapshot(cid)
    times, invoices = [], 0
    for cid in ids:
        started = time.perf_counter()
        snapshot = store.get_snapshot(cid)
        times.append((time.perf_counter() - started) * 1000)
        invoices += len(snapshot.invoices)
    store.close()
    return (*_percentiles(times), invoices / len(ids))


def bench_audit(url: str, customers: int, samples: int) -> dict[str, float]:
    """Mean ms per decision: evaluation alone, + synchronous log write, + background log write."""
    from policy_engine.api import load_policy

    policy = load_policy()
    rng = random.Random(3)
    out: dict[str, float] = {}
    for mode in ("none", "sync", "background"):
        store = open_store(url, background_audit=mode == "background")
        store.record_policy(policy)
        snapshots = store.get_snapshots([f"C{rng.randint(1, customers):07d}" for _ in range(samples)])
        started = time.perf_counter()
        for snapshot in snapshots:
            decision = policy.evaluate(snapshot, as_of=AS_OF)
            if mode != "none":
                store.record_decision(snapshot, decision, source="batch")
        out[mode] = (time.perf_counter() - started) * 1000 / len(snapshots)
        flush_started = time.perf_counter()
        store.close()  # background: the writer drains its queue here
        out[f"{mode}_drain"] = (time.perf_counter() - flush_started) * 1000 / len(snapshots)
    return out


def main() -> None:
    """Run every benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--db", help="SQLAlchemy URL; default a fresh SQLite file in a temporary folder")
    parser.add_argument("--fresh-postgres", action="store_true", help="drop and recreate the public schema first")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="bench-store-")
    url = args.db or f"sqlite:///{workdir}/bench.sqlite"
    if args.fresh_postgres:
        _reset_postgres(url)
    backend = url.split(":", 1)[0]

    seconds, rows = bench_demo_data(url, args.customers)
    p50, p95, p99, invoices = bench_snapshot_load(url, args.customers, args.samples)
    audit = bench_audit(url, args.customers, args.samples)
    size = ""
    if backend.startswith("sqlite"):
        size = f" ({os.path.getsize(url.removeprefix('sqlite:///')) / 1e6:.0f} MB file)"

    print(f"\n{backend}, {args.customers:,} customers, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs\n")  # fmt: skip
    print("| measure | value |")
    print("| --- | --- |")
    print(f"| demo-data --customers {args.customers:,} | {seconds:.1f} s{size} |")
    print(f"| rows written | {', '.join(f'{k} {v:,}' for k, v in rows.items())} |")
    print(f"| snapshot load by id, p50 / p95 / p99 | {p50:.2f} / {p95:.2f} / {p99:.2f} ms "
          f"({args.samples} random ids, {invoices:.1f} invoices each on average) |")  # fmt: skip
    print(f"| evaluate, no logging | {audit['none']:.3f} ms per decision |")
    print(f"| evaluate + synchronous audit-log write (one commit each) | {audit['sync']:.3f} ms per decision "
          f"(+{audit['sync'] - audit['none']:.3f} ms) |")  # fmt: skip
    print(f"| evaluate + background audit-log write (caller's cost) | {audit['background']:.3f} ms "
          f"per decision (+{audit['background'] - audit['none']:.3f} ms; writer drain after the run "
          f"{audit['background_drain']:.3f} ms per decision) |")  # fmt: skip


if __name__ == "__main__":
    main()
