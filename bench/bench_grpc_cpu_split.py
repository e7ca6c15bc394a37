"""Where the worker pool's CPU goes per CheckOrder, process by process, at several loads.

    PYTHONPATH=. .venv/bin/python bench/bench_grpc_cpu_split.py --rates closed,1000,700 --seconds 10 --repeat 2

Starts `credit-policy serve --workers N --db memory` once and drives it from this process
(grpc.aio, 32 callers, 8 connections, the load benchmark's realistic snapshots): a closed loop
(every caller sends its next call when the last one returns) and open loops offering fixed rates,
in turn, `--repeat` rounds. For each cell it reads, from /proc, the CPU time and the context
switches of the gRPC process (split by thread name: `python` is the event loop and our servicer,
`event_engine` gRPC's own I/O threads) and of each engine worker, and divides them by the calls
served. `workers, summed` is the engine workers' CPU per call together; `pipeline µs` is the same
pipeline (request bytes → reply message) timed in this process in a tight loop just before the
cell, while the server idles: the gap between the two is what running in a separate process
beside others costs (its caches cold after each switch, the wake-ups), not more work.

The load benchmark (bench_grpc_load.py) gives latency and the whole server's CPU; this one says
which process spends it and how that changes with the offered rate.
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import bench_grpc_load as load  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def _cpu(stat_path: str) -> float:
    fields = Path(stat_path).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def cpu_by_thread(pid: int) -> dict[str, float]:
    """CPU seconds so far of each thread name of `pid` (threads of one name summed)."""
    out: dict[str, float] = {}
    for task in glob.glob(f"/proc/{pid}/task/*"):
        try:
            name = Path(task, "comm").read_text().strip()
            out[name] = out.get(name, 0.0) + _cpu(f"{task}/stat")
        except OSError:  # a thread that ended meanwhile
            continue
    return out


def switches(pid: int) -> tuple[int, int]:
    """Voluntary and involuntary context switches so far, over every thread of `pid`."""
    voluntary = involuntary = 0
    for status in glob.glob(f"/proc/{pid}/task/*/status"):
        try:
            for line in Path(status).read_text().splitlines():
                if line.startswith("voluntary_ctxt_switches"):
                    voluntary += int(line.split()[1])
                elif line.startswith("nonvoluntary_ctxt_switches"):
                    involuntary += int(line.split()[1])
        except OSError:
            continue
    return voluntary, involuntary


def engine_workers(pid: int) -> list[int]:
    """The server's engine worker processes (its children but multiprocessing's resource tracker)."""
    children = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return [c for c in children if "resource_tracker" not in Path(f"/proc/{c}/cmdline").read_text()]


def snapshot(front: int, workers: list[int]) -> dict[str, Any]:
    return {"threads": cpu_by_thread(front), "front_cs": switches(front),
            "workers": [sum(cpu_by_thread(w).values()) for w in workers],
            "workers_cs": [switches(w) for w in workers]}


def cell(address: str, rate: str, payloads: list[bytes], seconds: float) -> dict[str, Any]:
    if rate == "closed":
        return asyncio.run(load.drive(address, "CheckOrder", payloads, 32, seconds, 0.0, connections=8))
    return asyncio.run(load.drive_open(address, "CheckOrder", payloads, 32, float(rate), seconds, 0.0,
                                       connections=8))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="closed,1000,700",
                        help="cells in turn: `closed` (a closed loop) or calls/s offered (default: %(default)s)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--server-python", default=sys.executable,
                        help="the interpreter of a venv with the project installed (default: this one)")
    parser.add_argument("--rules", type=Path, default=ROOT / "rules")
    args = parser.parse_args()
    rates = [r.strip() for r in args.rates.split(",") if r.strip()]
    for rate in rates:
        if rate != "closed" and not rate.replace(".", "", 1).isdigit():
            parser.error(f"--rates: {rate!r} is neither `closed` nor a number of calls/s")

    import random

    dicts = [load.snapshot_dict(random.Random(i), i) for i in range(200)]
    payloads = load.payloads_for(dicts)
    load.in_process_rates(args.rules, dicts, payloads, 0.5)  # sets up the pipeline reference
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-cpu-split-{os.getpid()}.log"
    cmd = [args.server_python, "-c", "from policy_engine.cli import main; main()", "serve", "--rules", str(args.rules),
           "--port", "0", "--host", "127.0.0.1", "--workers", str(args.workers), "--db", "memory",
           "--watch-interval", "0"]
    proc, port = load.spawn_server(cmd, log)
    try:
        address = f"127.0.0.1:{port}"
        workers = engine_workers(proc.pid)
        cell(address, "closed", payloads["CheckOrder"], 2.0)  # warm-up
        print(f"# {args.workers} engine workers, CheckOrder, 32 callers, 8 connections, {args.seconds:g} s cells; "
              f"server {load.interpreter(args.server_python)}")
        print("| round | load | calls/s | p99 ms | gRPC process µs/call (event loop + servicer / gRPC I/O threads) "
              "| its switches/call (voluntary / not) | workers, summed µs/call | each worker µs/call "
              "| worker switches/call | pipeline µs |")
        print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for round_ in range(1, args.repeat + 1):
            for rate in rates:
                reference = load.reference_us()
                before = snapshot(proc.pid, workers)
                row = cell(address, rate, payloads["CheckOrder"], args.seconds)
                after = snapshot(proc.pid, workers)
                calls = max(row["calls"], 1)

                def per(a: float, b: float, calls: int = calls) -> float:
                    return 1e6 * (a - b) / calls

                loop_us = per(after["threads"].get("python", 0.0), before["threads"].get("python", 0.0))
                io_us = sum(per(v, before["threads"].get(k, 0.0)) for k, v in after["threads"].items() if k != "python")
                each = [per(a, b) for a, b in zip(after["workers"], before["workers"], strict=True)]
                front_cs = [(a - b) / calls for a, b in zip(after["front_cs"], before["front_cs"], strict=True)]
                worker_cs = [sum(a[i] - b[i] for a, b in zip(after["workers_cs"], before["workers_cs"], strict=True))
                             / calls for i in (0, 1)]
                label = "closed loop" if rate == "closed" else f"{float(rate):,.0f}/s offered"
                errors = sum(row["errors"].values())
                print(f"| {round_} | {label}{f' ({errors} errors)' if errors else ''} | {row['rate']:,.0f} "
                      f"| {row['p99']:.1f} | {loop_us + io_us:.0f} ({loop_us:.0f} / {io_us:.0f}) "
                      f"| {front_cs[0]:.1f} / {front_cs[1]:.1f} | {sum(each):.0f} "
                      f"| {' / '.join(f'{e:.0f}' for e in each)} | {worker_cs[0]:.1f} / {worker_cs[1]:.1f} "
                      f"| {reference:.0f} |", flush=True)
                time.sleep(1.0)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
