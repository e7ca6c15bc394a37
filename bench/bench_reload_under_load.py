"""What a hot reload costs the calls being served: CheckOrder at a fixed offered rate, side by side
without reloads and with a new rule-set version (SIGHUP) every few seconds.

    PYTHONPATH=. .venv-system/bin/python bench/bench_reload_under_load.py --rate 500 --seconds 30 --every 5

Each reload is a real new version (a comment appended to a rule file changes the content hash), so
the server reads, lints and compiles it in a child process and swaps it in (into the running engine
workers, or the in-process engine with `--workers 0`). Latency counts from each call's scheduled
arrival (no coordinated omission). The table gives the whole cell, and for the reload cell the calls
that arrived within `--window` seconds after a SIGHUP, next to the rest.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from statistics import quantiles
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import grpc  # noqa: E402

from adapters.grpc import runtime  # noqa: E402
from bench.bench_grpc_load import (  # noqa: E402
    Calls,
    ServerConfig,
    in_process_rates,
    interpreter,
    open_channels,
    payloads_for,
    reference_us,
    snapshot_dict,
    start_server,
)


def _cuts(latencies: list[float]) -> dict[str, float]:
    if len(latencies) < 2:
        return {"calls": len(latencies), "p50": 0.0, "p99": 0.0, "max": max(latencies, default=0.0) * 1000}
    cuts = quantiles(latencies, n=100)
    return {"calls": len(latencies), "p50": cuts[49] * 1000, "p99": cuts[98] * 1000, "max": max(latencies) * 1000}


async def drive(address: str, payloads: list[bytes], rate: float, seconds: float, concurrency: int,
                reload: Any | None, every: float) -> dict[str, Any]:
    """Open loop at `rate` for `seconds` (after 2 s of warm-up); `reload()` every `every` seconds when given.
    Returns (scheduled time, latency) of each call that succeeded, the reload times and the errors."""
    channels = open_channels(address, 8)
    call = Calls(channels, "CheckOrder")
    callers = asyncio.Semaphore(concurrency)
    done: list[tuple[float, float]] = []
    errors: dict[str, int] = {}
    reloads: list[float] = []
    warmup = 2.0
    start = time.perf_counter()
    measure_from = start + warmup

    async def one(i: int, scheduled: float) -> None:
        async with callers:
            try:
                await call(payloads[i % len(payloads)], timeout=10)
                if scheduled >= measure_from:
                    done.append((scheduled, time.perf_counter() - scheduled))
            except grpc.aio.AioRpcError as exc:
                errors[exc.code().name] = errors.get(exc.code().name, 0) + 1

    async def reloader() -> None:
        assert reload is not None
        next_at = measure_from + every / 2
        while next_at < measure_from + seconds - 1:
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            reloads.append(time.perf_counter())
            await asyncio.to_thread(reload)
            next_at += every

    side = asyncio.ensure_future(reloader()) if reload is not None else None
    tasks = set()
    for i in range(int(rate * (warmup + seconds))):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.ensure_future(one(i, scheduled))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    if side is not None:
        await side
    for channel in channels:
        await channel.close()
    return {"done": done, "reloads": reloads, "errors": errors}


def row(label: str, result: dict[str, Any], window: float, seconds: float) -> str:
    done, reloads = result["done"], result["reloads"]
    near = [lat for at, lat in done if any(0 <= at - r < window for r in reloads)]
    rest = [lat for at, lat in done if not any(0 <= at - r < window for r in reloads)]
    whole, n, r = _cuts([lat for _, lat in done]), _cuts(near), _cuts(rest)
    errors = ", ".join(f"{k} {v}" for k, v in sorted(result["errors"].items())) or "0"
    near_text = (f"{n['calls']:,} | {n['p50']:.1f} | {n['p99']:.1f} | {n['max']:.0f}" if reloads
                 else "– | – | – | –")
    return (f"| {label} | {len(reloads)} | {whole['calls'] / seconds:,.0f} | {whole['p50']:.1f} | {whole['p99']:.1f} | "
            f"{whole['max']:.0f} | {near_text} | {r['p99']:.1f} | {errors} |")


def new_version(rule_file: Path, server_pid: int, counter: list[int]) -> None:
    """Make the rules directory a new version (a comment changes the content hash) and SIGHUP the server."""
    counter[0] += 1
    with rule_file.open("a") as f:
        f.write(f"\n# bench reload {counter[0]}\n")
    os.kill(server_pid, signal.SIGHUP)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=500.0, help="CheckOrder calls offered per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured seconds per cell")
    parser.add_argument("--every", type=float, default=5.0, help="seconds between reloads in the reload cell")
    parser.add_argument("--window", type=float, default=3.0, help="seconds after a SIGHUP counted as 'near a reload'")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--server-python", default="", help="the server's interpreter (default: this one)")
    parser.add_argument("--repeat", type=int, default=1, help="run the pair of cells this many times")
    args = parser.parse_args()

    rng = random.Random(7)
    dicts = [snapshot_dict(rng, i) for i in range(200)]
    all_payloads = payloads_for(dicts)
    payloads = all_payloads["CheckOrder"]
    in_process_rates(ROOT / "rules", dicts, all_payloads, 1.0)  # also sets up reference_us
    config = ServerConfig("--workers", args.workers, python=args.server_python)
    print(f"# reload under load: {os.cpu_count()} CPUs, CheckOrder at {args.rate:,.0f}/s offered, {args.concurrency} "
          f"callers at most, {args.seconds:.0f} s per cell after 2 s warm-up; server: {config.label}, "
          f"{interpreter(args.server_python or sys.executable)}")
    print(f"reload cell: a new version (SIGHUP) every {args.every:g} s; 'near' = calls that arrived within "
          f"{args.window:g} s after a SIGHUP; latency from the scheduled arrival\n")
    print("| cell | reloads | calls/s | p50 ms | p99 ms | max ms | near: calls | near p50 | near p99 | near max "
          "| p99 of the rest | errors |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for _ in range(args.repeat):
        for label, reloading in (("no reloads", False), ("reloads", True)):
            with tempfile.TemporaryDirectory(prefix="credit-policy-reload-bench-") as tmp:
                rules = Path(tmp) / "rules"
                shutil.copytree(ROOT / "rules", rules)
                target = rules / "limits.yaml"
                proc, port, log, _ = start_server(rules, config)
                reload = functools.partial(new_version, target, proc.pid, [0])
                try:
                    reference = reference_us()
                    result = runtime.run(drive(f"127.0.0.1:{port}", payloads, args.rate, args.seconds,
                                               args.concurrency, reload if reloading else None, args.every))
                finally:
                    proc.send_signal(signal.SIGTERM)
                    proc.wait(60)
                events = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
                swapped = sum(1 for e in events if e.get("event") == "policy reloaded")
                label_text = f"{label} (pipeline {reference:.0f} µs" + (f", {swapped} swapped)" if reloading else ")")
                print(row(label_text, result, args.window, args.seconds), flush=True)


if __name__ == "__main__":
    main()
