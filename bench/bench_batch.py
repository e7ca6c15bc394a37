"""Benchmark the nightly batch: demo portfolios of growing size re-evaluated from SQLite, 1 and 2 workers.

    .venv/bin/python bench/bench_batch.py                          # 10k, 50k, 100k customers; workers 1 and 2
    .venv/bin/python bench/bench_batch.py --sizes 10000 200000 --workers 1 2 4 --keep /tmp/bench-batch
    (with --keep, a portfolio file of the right size left by an earlier run is reused)

Each size gets a fresh SQLite file (`credit-policy demo-data`, ~24 invoices per customer); each worker
count is then a complete run of `credit-policy batch` as a subprocess (its own as-of date, so its own
run key, on the same data). Measured per run: wall time, customers/s (from the batch's summary),
CPU seconds per 1000 customers of the whole process tree, and the peak RSS of the process tree
(parent + workers, sampled from /proc every 0.1 s). Prints a Markdown table, then the extrapolation to
1,000,000 customers (labelled as such).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).parent / "credit-policy")
AS_OF = date(2026, 11, 22)
PAGE = os.sysconf("SC_PAGE_SIZE")


def _tree_rss(root: int) -> int:
    """Resident bytes of a process and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            with open(f"/proc/{entry}/statm", "rb") as f:
                rss[int(entry)] = int(f.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def _run(args: list[str]) -> tuple[subprocess.CompletedProcess[str], float, int, float]:
    """Run a command; return it, its wall seconds, its peak tree RSS and its tree's CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss(proc.pid))
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    done.set()
    sampler.join()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result = subprocess.CompletedProcess(args, proc.returncode, out, err)
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(args)} failed ({proc.returncode}):\n{err[-3000:]}")
    return result, wall, peak[0], cpu


def bench(sizes: list[int], workers: list[int], keep: Path | None) -> list[dict[str, object]]:
    """Generate each portfolio, run the batch with each worker count; return one row per run."""
    rows = []
    base = keep or Path(tempfile.mkdtemp(prefix="bench-batch-"))
    base.mkdir(parents=True, exist_ok=True)
    for size in sizes:
        db = base / f"portfolio-{size}.sqlite"
        url = f"sqlite:///{db}"
        if keep is not None and db.exists() and _customers(db) == size:
            print(f"# reusing {db}", file=sys.stderr)  # a portfolio kept by an earlier --keep run
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            _, gen_wall, _, _ = _run([CLI, "demo-data", "--customers", str(size), "--seed", "1", "--as-of",
                                      AS_OF.isoformat(), "--db", url])  # fmt: skip
            print(f"# {size} customers generated in {gen_wall:.0f}s", file=sys.stderr)
        invoices = _invoices(db)
        for i, n in enumerate(workers):
            day = AS_OF + timedelta(days=i)  # a run key of its own on the same data
            result, wall, peak, cpu = _run([CLI, "batch", "--db", url, "--as-of", day.isoformat(), "--workers",
                                            str(n), "--quiet"])  # fmt: skip
            summary = json.loads(result.stdout)
            row = {"customers": size, "invoices_each": round(invoices / size, 1), "workers": n, "wall_s": wall,
                   "rate": size / wall, "batch_rate": summary["rate_per_second"], "peak_rss_mib": peak / 2**20,
                   "cpu_ms_per_customer": 1000 * cpu / size, "portfolio_s": summary["portfolio_seconds"],
                   "ok": summary["ok"]}  # fmt: skip
            print(json.dumps(row), file=sys.stderr)
            rows.append(row)
        if keep is None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
    return rows


def _count(db: Path, table: str) -> int:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def _invoices(db: Path) -> int:
    return _count(db, "invoices")


def _customers(db: Path) -> int:
    try:
        return _count(db, "customers")
    except Exception:  # noqa: BLE001 - not a finished portfolio
        return -1


def table(rows: list[dict[str, object]]) -> str:
    """The Markdown table of the runs, then the extrapolation to a million customers."""
    lines = [
        "| customers | invoices each | workers | total time | customers/s | peak RSS (tree) | CPU ms / customer |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['customers']:,} | {r['invoices_each']} | {r['workers']} | {r['wall_s']:.0f} s | "
            f"{r['rate']:,.0f} | {r['peak_rss_mib']:,.0f} MiB | {r['cpu_ms_per_customer']:.2f} |"
        )
    biggest = max(r["customers"] for r in rows)  # type: ignore[type-var]
    lines.append("")
    for r in rows:
        if r["customers"] == biggest and biggest < 1_000_000:
            minutes = 1_000_000 / r["rate"] / 60  # type: ignore[operator]
            lines.append(
                f"Extrapolation (not measured): 1,000,000 customers at the {biggest:,}-customer rate with "
                f"{r['workers']} worker(s) ≈ {minutes:.0f} min."
            )
    return "\n".join(lines)


def main() -> None:
    """Parse arguments, run, print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 100_000])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--keep", type=Path, help="keep the SQLite files in this directory")
    args = parser.parse_args()
    rows = bench(args.sizes, args.workers, args.keep)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"SQLite {__import__('sqlite3').sqlite_version}\n")  # fmt: skip
    print(table(rows))


if __name__ == "__main__":
    main()
