"""Garbage-collector pauses inside a serving process, with and without adapters/grpc/runtime.py's settled heap.

    PYTHONPATH=. .venv/bin/python bench/bench_gc_pauses.py --rate 500 --seconds 10 --repeat 2

Starts `credit-policy serve --workers 0 --db memory` (one process: gRPC and the decisions on one
event loop) with a small bootstrap that times every collection through `gc.callbacks`, offers
CheckOrder calls at a fixed rate from this process (bench_grpc_load's open loop: realistic
24-invoice snapshots, 8 connections), and prints per generation how many collections ran during
the measured window, their total and their longest pause, next to the calls' latency.

Two server variants, alternating:
- `before`: the service as it was: no settle_heap, and `--db memory` keeping the last 1,000 decisions;
- `now`: the service as it is (start-up garbage collected and the live heap frozen; no decision tail).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_grpc_load as load  # noqa: E402

# Runs in the server process before the CLI: records each collection's duration per generation
# (reset on SIGUSR1, when the measured window starts) and prints them as JSON on stderr at exit.
BOOT = r"""
import atexit, gc, json, os, signal, sys, time
stats = {g: [0, 0.0, 0.0] for g in range(3)}
started = [0.0]
def on_gc(phase, info):
    if phase == "start":
        started[0] = time.perf_counter()
        return
    s = stats[info["generation"]]
    pause = time.perf_counter() - started[0]
    s[0] += 1; s[1] += pause; s[2] = max(s[2], pause)
def reset(*_):
    for g in stats:
        stats[g] = [0, 0.0, 0.0]
gc.callbacks.append(on_gc)
signal.signal(signal.SIGUSR1, reset)
atexit.register(lambda: print(json.dumps({"gc_stats": stats, "tracked": len(gc.get_objects())}),
                              file=sys.stderr, flush=True))
if os.environ.get("BENCH_GC_VARIANT") == "before":
    import adapters.grpc.memory_store as ms, adapters.grpc.runtime as rt, adapters.grpc.server as sv
    ms.BoundedMemoryStore.__init__.__defaults__ = ((), 1000)
    sv.settle_heap = rt.settle_heap = lambda: None
from policy_engine.cli import main
sys.argv = ["credit-policy", *sys.argv[1:]]
main()
"""


def start(variant: str, rules: Path, log: Path) -> tuple[subprocess.Popen[bytes], int]:
    """The server with the bootstrap; waits for its `serving` line."""
    cmd = [sys.executable, "-c", BOOT, "serve", "--rules", str(rules), "--port", "0", "--host", "127.0.0.1",
           "--db", "memory", "--workers", "0", "--watch-interval", "0"]
    return load.spawn_server(cmd, log, dict(os.environ, BENCH_GC_VARIANT=variant))


def gc_stats(log: Path) -> dict[str, Any]:
    """The bootstrap's JSON line from the server's log."""
    for line in reversed(log.read_text().splitlines()):
        if line.startswith('{"gc_stats"'):
            return json.loads(line)  # type: ignore[no-any-return]
    raise SystemExit(f"no gc statistics in {log}")


def run(variant: str, args: argparse.Namespace, payloads: list[bytes]) -> str:
    """One server, one measured window; the table row."""
    log = Path(f"/tmp/credit-policy-bench-gc-{os.getpid()}-{variant}.log")
    proc, port = start(variant, args.rules, log)
    try:
        time.sleep(1.0)
        address = f"127.0.0.1:{port}"
        # warm up, then reset the counts and measure
        load.measured(proc, load.drive_open(address, "CheckOrder", payloads, 32, args.rate, 2.0, 0.5, 8))
        proc.send_signal(signal.SIGUSR1)
        row, cpu = load.measured(proc, load.drive_open(address, "CheckOrder", payloads, 32, args.rate,
                                                       args.seconds, 0.0, 8))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    found = gc_stats(log)
    log.unlink(missing_ok=True)
    stats = {int(g): v for g, v in found["gc_stats"].items()}
    per_1000 = sum(v[1] for v in stats.values()) * 1000 / max(row["calls"], 1) * 1000
    cells = " | ".join(f"{stats[g][0]} / {stats[g][1] * 1000:.1f} / {stats[g][2] * 1000:.1f}" for g in range(3))
    return (f"| {variant} | {row['rate']:,.0f} | {row['p50']:.1f} | {row['p99']:.1f} | {cells} | {per_1000:.1f} | "
            f"{found['tracked']:,} | {cpu['server_ms']:.2f} | {cpu['other']:.0f}% |")


def main() -> None:
    """Alternate the two variants and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rules", type=Path, default=ROOT / "rules")
    parser.add_argument("--rate", type=float, default=500.0, help="offered CheckOrder calls/s")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured window per row")
    parser.add_argument("--repeat", type=int, default=2, help="rounds of the two variants, alternating")
    args = parser.parse_args()
    dicts = [load.snapshot_dict(random.Random(7 + i), i, 24) for i in range(200)]
    payloads = load.payloads_for(dicts)["CheckOrder"]
    print(f"# one server process (--workers 0, --db memory), CheckOrder offered at {args.rate:,.0f}/s "
          f"(at most 32 in flight) for {args.seconds:g} s per row")
    print("| server | calls/s | p50 ms | p99 ms | gen 0: collections / total ms / longest ms | gen 1 | gen 2 "
          "| GC ms per 1,000 calls | objects tracked at exit | server CPU ms/call | other processes' CPU |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for _ in range(args.repeat):
        for variant in ("before", "now"):
            print(run(variant, args, payloads), flush=True)


if __name__ == "__main__":
    main()
