"""What a `serve` start costs: wall time from launch to the `serving` log line, CPU-s of serve and every
process under it by then, and each engine worker's memory, for one or more code trees side by side
(e.g. a worktree of the code before a change), alternating trees and stores each round.

    PYTHONPATH=. .venv-system/bin/python bench/bench_serve_start.py --tree . --tree /tmp/old --rounds 5

Each start serves the shipped rules on port 0 with `--workers N` (default 2), once with `--db memory` and once
with a SQLite store made by `demo-data` before the first round. CPU comes from /proc (bench_reload_cost.tree_cpu:
each live process's utime + stime + cutime + cstime, so in clock ticks of 10 ms), read as soon as `serving` is
in the log, with serve's own and each engine worker's apart (medians of the workers); the workers' Rss and
private memory (smaps_rollup) a second later, once they have settled.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

from bench.bench_reload_cost import TICK, _stat, memory_kb, tree, tree_cpu, wait_for


def own_cpu(pid: int) -> float:
    """CPU-s of `pid` itself (utime + stime), not of its children."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / TICK


def engine_workers(pid: int) -> list[int]:
    """The engine worker processes under `pid` (spawned by multiprocessing; not its resource tracker)."""
    found = []
    for each in tree(pid)[1:]:
        try:
            cmdline = Path(f"/proc/{each}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmdline:
            found.append(each)
    return found


def start(tree_root: Path, db: str, workers: int, log: Path) -> dict[str, float]:
    """Start serve from `tree_root`'s code until it serves: seconds, CPU-s, workers' memory (MiB); then stop it."""
    cmd = [sys.executable, "-c", "from policy_engine.cli import main; main()", "serve", "--port", "0",
           "--host", "127.0.0.1", "--db", db, "--workers", str(workers), "--watch-interval", "0"]
    began = time.monotonic()
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=tree_root,
                                env=dict(os.environ, PYTHONPATH=str(tree_root)))
    try:
        wall = wait_for(log, '"serving"', 0, 180) - began
        cpu, front, workers = tree_cpu(proc.pid), own_cpu(proc.pid), engine_workers(proc.pid)
        worker_cpu = [own_cpu(w) for w in workers]
        time.sleep(1.0)
        memory = [memory_kb(w) for w in workers]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    return {"wall": wall, "cpu": cpu, "front": front, "worker": median(worker_cpu) if worker_cpu else 0.0,
            "rss": median(m["rss"] for m in memory) / 1024 if memory else 0.0,
            "private": median(m["private"] for m in memory) / 1024 if memory else 0.0}


def main() -> None:
    """Alternate the trees and the stores for `--rounds` rounds; print each cell's medians and ranges."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", action="append", required=True, help="a code tree (repeat to compare)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = Path(tmp) / "demo.sqlite"
        first = Path(args.tree[0]).resolve()
        subprocess.run([sys.executable, "-c", "from policy_engine.cli import main; main()", "demo-data",
                        "--customers", "100", "--db", f"sqlite:///{sqlite}"], check=True, capture_output=True,
                       cwd=first, env=dict(os.environ, PYTHONPATH=str(first)))
        stores = {"memory": "memory", "sqlite": f"sqlite:///{sqlite}"}
        cells: dict[tuple[str, str], list[dict[str, float]]] = {}
        for _ in range(args.rounds):
            for store, db in stores.items():
                for name in args.tree:
                    run = start(Path(name).resolve(), db, args.workers, Path(tmp) / "serve.log")
                    cells.setdefault((name, store), []).append(run)
    print("| tree | --db | wall to serving (s) | CPU-s by then | of it serve's own | each worker's | "
          "worker Rss (MiB) | worker private (MiB) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    columns = (("wall", 2), ("cpu", 2), ("front", 2), ("worker", 2), ("rss", 1), ("private", 1))
    for (name, store), runs in cells.items():
        print(f"| {name} | {store} | " + " | ".join(_spread([r[key] for r in runs], digits)
                                                   for key, digits in columns) + " |")


def _spread(values: list[float], digits: int) -> str:
    return f"{median(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


if __name__ == "__main__":
    main()
