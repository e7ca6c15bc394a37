"""Load benchmark of the gRPC service: a separate client process (grpc.aio) against `credit-policy serve`.

    PYTHONPATH=. .venv/bin/python bench/bench_grpc_load.py --workers 0,2 --processes 2 --concurrency 1,8,32,64

For each server configuration (--workers: 0 = in-process under one lock, N = one gRPC server
process with N engine processes; --processes: N = N complete server processes sharing the port)
it starts the server as a subprocess on a free port, measures CheckOrder and EvaluateCustomer at
each concurrency (calls/s, p50/p95/p99 latency, errors), and prints them next to the in-process
evaluation rate of the same policy measured in this run, before the load, on the same machine.
Requests are realistic snapshots (about 24 invoices, orders, statements, signals) serialised once
up front, so the client spends its CPU on the calls rather than on building messages.

The client spreads its calls round-robin over --connections separate HTTP/2 connections (one
grpc.aio channel each, with a subchannel pool of its own so they do not share one TCP
connection): with SO_REUSEPORT the kernel balances connections, not calls, over the processes.

`--db temp-sqlite` logs every decision to a fresh SQLite file per server, as a deployment does;
`--log-linger-ms 0,20` then runs each configuration with each gathering time of the decision-log
writer (0 = a commit for each decision as it comes, which is how it worked before the tenth
session; the default is 20). After each cell of a server that logs, the benchmark waits for the
server to go idle and counts the CPU its writer spent catching up as the cell's (`log drain s`);
during the cell it reads the server's decision-log backlog gauge from /metrics once a second
(`log backlog`, median / highest).

`--requests by-id` sends requests that name a customer instead of carrying its snapshot, so the
server reads each one from its store (with `--db temp-sqlite`, a copy of `demo-data --customers
N` made once per run).

`--target HOST:PORT` drives a server that is already running instead of starting any: on another
machine, the client no longer takes its CPU from the server's cores (on this 2-core VM the client's
~0.3 ms a call is a quarter of the CPU a call costs). Start it there as it should be measured, say
`credit-policy serve --db memory --port 50051`, and run this with `--target that-host:50051`
(`--target-tls-ca ca.pem` for a server with --tls-cert). The server's CPU is not measured then.

`--server-python` runs every server configuration on each of several interpreters (venvs with the
project installed), alternating, to compare CPython builds. Each row ends with the in-process
pipeline's cost timed in this process just before the cell, while the server idles: a shared VM's
speed moves by tens of percent within minutes, and that column says where it was. The column
before it gives the server's CPU per call second by second during the cell (lowest–highest): at a
fixed offered rate it moves with the VM's speed, within seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from statistics import median, quantiles
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import grpc  # noqa: E402

from adapters.grpc import runtime  # noqa: E402
from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb  # noqa: E402

AS_OF = date(2026, 11, 22)
COMPLETED = [0]
"""Calls finished so far by this client (errors included), for the per-second CPU samples."""
SIGNALS = ("debt_delays", "bill_extension_requested", "sales_swing", "staff_resignations", "bank_relation_strained")


def snapshot_dict(rng: random.Random, index: int, invoices: int = 24) -> dict[str, Any]:
    """A realistic customer: ~two years of invoices, some late or open, statements, maybe signals."""
    since = AS_OF - timedelta(days=rng.randint(200, 3000))
    rows = []
    step = min(15, max(1, 7000 // max(invoices, 1)))  # a fortnight apart, closer for huge histories
    for i in range(invoices):
        issued = AS_OF - timedelta(days=step * (invoices - i) + rng.randint(0, 10))
        term = rng.choice((30, 45, 60, 90))
        amount = Decimal(rng.randint(5_000, 400_000)) / 100 * 10
        late = rng.random() < 0.2
        paid = issued + timedelta(days=term + (rng.randint(1, 40) if late else -rng.randint(0, 10)))
        row: dict[str, Any] = {"invoice_id": f"INV-{index}-{i}", "issued_on": issued.isoformat(),
                               "due_on": (issued + timedelta(days=term)).isoformat(), "amount": f"{amount:.2f}",
                               "payment_term_days": term, "due_date_changes": int(rng.random() < 0.1)}
        if paid < AS_OF:
            row |= {"paid_amount": f"{amount:.2f}", "paid_on": paid.isoformat()}
        rows.append(row)
    orders = [{"order_id": f"ORD-{index}-{k}", "ordered_on": (AS_OF - timedelta(days=k * 7)).isoformat(),
               "amount": f"{rng.randint(1_000, 90_000)}.00", "status": "open" if k < 2 else "done"}
              for k in range(4)]
    financials = [{"period_end": f"{year}-12-31", "current_assets": "5200000.00", "current_liabilities": "3100000.00",
                   "inventory": "1400000.00", "cash": "600000.00", "total_assets": "9800000.00",
                   "total_liabilities": "5100000.00", "equity": "4700000.00",
                   "revenue": f"{rng.randint(8, 30)}000000.00", "net_profit": f"{rng.randint(-2, 9)}00000.00"}
                  for year in (2024, 2025)]
    signals = [{"code": rng.choice(SIGNALS), "observed_on": (AS_OF - timedelta(days=rng.randint(1, 60))).isoformat()}
               for _ in range(rng.choice((0, 0, 1, 2)))]
    return {
        "customer_id": f"C{index:05d}", "name": f"Customer {index}", "size": rng.choice(("large", "medium", "small")),
        "segment": rng.choice(("distributor", "hospital", "pharmacy", "retailer")),
        "relationship_since": since.isoformat(), "currency": "CNY", "invoices": rows, "orders": orders,
        "financials": financials, "signals": signals,
        "assessment": {"character": rng.randint(40, 95), "capacity": rng.randint(40, 95),
                       "capital": rng.randint(40, 95), "collateral": rng.randint(20, 90),
                       "conditions": rng.randint(40, 90), "assessed_on": (AS_OF - timedelta(days=90)).isoformat()},
        "last_contact_on": (AS_OF - timedelta(days=rng.randint(1, 60))).isoformat(),
        "last_review_on": (AS_OF - timedelta(days=rng.randint(10, 200))).isoformat(),
        "current_grade": rng.choice(("A", "BBB", "BB", "B")), "current_limit": "500000.00",
    }


def snapshot_message(d: dict[str, Any]) -> pb.CustomerSnapshot:
    """The proto form of snapshot_dict()."""
    return pb.CustomerSnapshot(
        **{k: v for k, v in d.items() if k not in ("invoices", "orders", "financials", "signals", "assessment")},
        invoices=[pb.Invoice(**i) for i in d["invoices"]], orders=[pb.Order(**o) for o in d["orders"]],
        financials=[pb.Financials(**f) for f in d["financials"]], signals=[pb.Signal(**s) for s in d["signals"]],
        assessment=pb.Assessment(**d["assessment"]),
    )


def _rate(call: Any, items: list[Any], seconds: float, rounds: int = 3) -> float:
    """Calls/s, the best of `rounds` rounds (a shared VM's hiccups only ever slow a round down)."""
    for item in items[:20]:
        call(item)
    best = 0.0
    for _ in range(rounds):
        n, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds / rounds:
            call(items[n % len(items)])
            n += 1
        best = max(best, n / (time.perf_counter() - started))
    return best


_REFERENCE: tuple[Any, list[Any]] | None = None
"""The service pipeline on CheckOrder requests in this process (set by in_process_rates): timed for a
moment before each cell, while the server idles, it shows how fast the VM is right then."""


def reference_us(seconds: float = 0.5) -> float:
    """µs per call of the in-process pipeline right now (the `pipeline µs just before` column)."""
    assert _REFERENCE is not None
    call, items = _REFERENCE
    return 1e6 / _rate(call, items, seconds, rounds=1)


def in_process_rates(rules: Path, dicts: list[dict[str, Any]], payloads: dict[str, list[bytes]],
                     seconds: float) -> dict[str, dict[str, float]]:
    """Decisions/s in this process, one thread: the policy alone (validated snapshot → decision), the
    policy as a library from the caller's data (dict → validated snapshot → decision), and the service's
    whole pipeline without the network (request proto → validate → decide → reply proto)."""
    from adapters.grpc import pipeline
    from adapters.grpc.memory_store import BoundedMemoryStore
    from policy_engine.api import load_policy
    from policy_engine.domain.models import CustomerSnapshot, OrderRequest

    policy = load_policy(rules)
    store = BoundedMemoryStore()
    snaps = [CustomerSnapshot.model_validate(d) for d in dicts]
    order = OrderRequest(order_id="bench", amount=Decimal("80000"), payment_term_days=30)
    requests = {m: [pipeline.REQUEST_TYPES[k].FromString(b) for b in payloads[m]]
                for m, k in (("CheckOrder", "check_order"), ("EvaluateCustomer", "evaluate"))}
    global _REFERENCE
    _REFERENCE = (lambda r: pipeline.check_order(r, policy, store), requests["CheckOrder"])
    return {
        "policy": {
            "CheckOrder": _rate(lambda s: policy.check_order(s, order, as_of=AS_OF), snaps, seconds),
            "EvaluateCustomer": _rate(lambda s: policy.evaluate(s, as_of=AS_OF), snaps, seconds),
        },
        "library": {
            "CheckOrder": _rate(lambda d: policy.check_order(CustomerSnapshot.model_validate(d), order, as_of=AS_OF),
                                dicts, seconds),
            "EvaluateCustomer": _rate(lambda d: policy.evaluate(CustomerSnapshot.model_validate(d), as_of=AS_OF),
                                      dicts, seconds),
        },
        "pipeline": {
            "CheckOrder": _rate(lambda r: pipeline.check_order(r, policy, store), requests["CheckOrder"], seconds),
            "EvaluateCustomer": _rate(lambda r: pipeline.evaluate(r, policy, store), requests["EvaluateCustomer"],
                                      seconds),
        },
    }


def _cpu_seconds(pid: int) -> float:
    """utime + stime of one process, from /proc (0 where /proc is missing)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return found


def tcp_connections(port: int, state: str = "01") -> list[dict[str, int]]:
    """TCP sockets with `port` at either end (from /proc/net/tcp and tcp6) in `state` (01: established,
    0A: listening): local_port, remote_port and the socket inode of each."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote = int(fields[1].rsplit(":", 1)[1], 16), int(fields[2].rsplit(":", 1)[1], 16)
            if fields[3] == state and port in (local, remote):
                found.append({"local_port": local, "remote_port": remote, "inode": int(fields[9])})
    return found


def socket_inodes(pid: int) -> set[int]:
    """The inodes of the sockets process `pid` holds open."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


def server_cpu(pid: int) -> float:
    """CPU seconds used so far by the server process and its workers."""
    return _cpu_seconds(pid) + sum(_cpu_seconds(c) for c in _children(pid))


def shown_db(db: str) -> str:
    """--db as printed: a URL without its password."""
    if db in ("memory", "temp-sqlite"):
        return db
    from adapters.store.engine import safe_url

    return safe_url(db)


def wait_for_drain(pid: int, limit: float = 120.0) -> float:
    """Wait until the server is idle again (its CPU under 5% of a core over 0.5 s) and return the
    seconds that took before that last quiet half second: the time a background decision-log writer
    that fell behind during the cell needed to catch up (0 when it kept up)."""
    start = time.perf_counter()
    last = server_cpu(pid)
    while time.perf_counter() - start < limit:
        time.sleep(0.5)
        now = server_cpu(pid)
        if now - last < 0.025:
            return max(time.perf_counter() - start - 0.5, 0.0)
        last = now
    return limit


def machine_busy() -> float:
    """CPU seconds all processes on the machine have used so far (from /proc/stat)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0.0
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def wait_until_quiet(max_wait: float, busy_below: float = 0.15) -> float:
    """Wait (up to max_wait s) until other processes use under `busy_below` of the CPUs; return that share."""
    cpus = os.cpu_count() or 1
    deadline = time.time() + max_wait
    while True:
        before = machine_busy()
        time.sleep(2.0)
        share = (machine_busy() - before) / 2.0 / cpus
        if share < busy_below or time.time() >= deadline:
            return share


def client_cpu() -> float:
    """CPU seconds used so far by this (client) process."""
    t = os.times()
    return t.user + t.system


@dataclass(frozen=True)
class ServerConfig:
    """One server configuration: `--workers N` or `--processes N`."""

    flag: str
    count: int
    event_loop: str = "auto"
    """the server's --event-loop"""
    python: str = ""
    """the server's interpreter (`--server-python`; empty: this one)"""
    python_label: str = ""
    log_linger_ms: str = ""
    """the servers' $CREDIT_POLICY_LOG_LINGER_MS (`--log-linger-ms`; empty: the default)"""

    @property
    def label(self) -> str:
        """The table's `server` column."""
        if self.flag == "--processes":
            base = f"{self.count} server processes"
        else:
            base = "in-process, 1 lock" if self.count == 0 else f"{self.count} worker processes"
        parts = [base, runtime.resolve(self.event_loop)]
        if self.python_label:
            parts.append(self.python_label)
        if self.log_linger_ms:
            parts.append(f"log linger {self.log_linger_ms} ms")
        return ", ".join(parts)


def interpreter(python: str) -> str:
    """`CPython 3.11.7 (main, May  9 2026, 07:35:25) [GCC 12.2.0]`: what an interpreter path runs."""
    out = subprocess.run([python, "-c", "import platform, sys; print(platform.python_implementation(), "
                          "platform.python_version(), ' '.join(sys.version.split()[1:]))"],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def store_url(db: str, config: ServerConfig, template: Path | None = None) -> tuple[str, Path | None]:
    """The server's --db: `memory`, a fresh SQLite file per server (`temp-sqlite`; a copy of
    `template` when given), or a given URL."""
    if db != "temp-sqlite":
        return db, None
    path = Path(f"/tmp/credit-policy-bench-{os.getpid()}-{config.flag[2:]}{config.count}"
                f"{'-linger' + config.log_linger_ms if config.log_linger_ms else ''}.sqlite")
    for old in path.parent.glob(path.name + "*"):
        old.unlink()
    if template is not None:
        import sqlite3

        with sqlite3.connect(template) as source, sqlite3.connect(path) as copy:
            source.backup(copy)
    return f"sqlite:///{path}", path


def start_server(rules: Path, config: ServerConfig,
                 db: str = "memory") -> tuple[subprocess.Popen[bytes], int, Path, int | None]:
    """`credit-policy serve --port 0` as a subprocess; wait for its "serving" log line. A server
    that logs decisions also serves /metrics (its port is returned; None otherwise), for the
    decision-log backlog."""
    log = Path(f"/tmp/credit-policy-bench-{os.getpid()}-{config.flag[2:]}{config.count}.log")
    cmd = [config.python or sys.executable, "-c", "from policy_engine.cli import main; main()", "serve",
           "--rules", str(rules), "--port", "0", "--host", "127.0.0.1", "--db", db,
           config.flag, str(config.count), "--watch-interval", "0", "--event-loop", config.event_loop]
    if db != "memory":
        cmd += ["--metrics-port", "0"]
    if db.startswith("sqlite:///") and not Path(db.removeprefix("sqlite:///")).exists():
        cmd += ["--create-store"]  # a SQLite file not there yet (temp-sqlite without a template): refused without
    env = dict(os.environ)
    if config.log_linger_ms:
        env["CREDIT_POLICY_LOG_LINGER_MS"] = config.log_linger_ms
    proc, port = spawn_server(cmd, log, env)
    serving = [json.loads(line) for line in log.read_text().splitlines() if '"event": "serving"' in line]
    metrics_port = serving[0].get("metrics_port") if serving else None
    return proc, port, log, int(metrics_port) if metrics_port else None


def log_backlog(metrics_port: int) -> float | None:
    """The server's credit_policy_decision_log_backlog gauge (None if /metrics does not answer)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=2) as reply:
            text = reply.read().decode()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("credit_policy_decision_log_backlog "):
            return float(line.split()[1])
    return None


def spawn_server(cmd: list[str], log: Path, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], int]:
    """Run a server command with its log in `log` (PYTHONPATH = the project); wait for `serving`, return its port."""
    env = dict(env if env is not None else os.environ, PYTHONPATH=str(ROOT))
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stderr=out, env=env, cwd=ROOT)
    deadline = time.time() + 120
    while time.time() < deadline:
        for line in log.read_text().splitlines():
            if '"event": "serving"' in line:
                return proc, int(json.loads(line)["port"])
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {log.read_text()}")
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start in time")


TLS_CA: list[bytes | None] = [None]
"""`--target-tls-ca`: the CA certificate of a target that serves TLS (None: plaintext)."""


def open_channels(address: str, connections: int) -> list[grpc.aio.Channel]:
    """`connections` channels, each its own TCP connection (a subchannel pool of its own: channels
    with the same target and arguments would otherwise share one connection)."""
    options = [("grpc.use_local_subchannel_pool", 1)]
    if TLS_CA[0] is not None:
        credentials = grpc.ssl_channel_credentials(TLS_CA[0])
        return [grpc.aio.secure_channel(address, credentials, options=options) for _ in range(connections)]
    return [grpc.aio.insecure_channel(address, options=options) for _ in range(connections)]


class Calls:
    """One RPC over several connections, taken round-robin call by call."""

    def __init__(self, channels: list[grpc.aio.Channel], method: str):
        self._calls = [c.unary_unary(f"/credit_policy.v1.CreditPolicyService/{method}") for c in channels]
        self._next = 0

    def __call__(self, payload: bytes, timeout: float) -> Any:
        call = self._calls[self._next]
        self._next = (self._next + 1) % len(self._calls)
        return call(payload, timeout=timeout)


def connections_per_listener(server_pid: int, port: int) -> list[int]:
    """Connections each process of the server that listens on `port` has accepted (one number for a
    single gRPC server process; one per server process with --processes)."""
    listening = {c["inode"] for c in tcp_connections(port, "0A")}
    accepted = {c["inode"] for c in tcp_connections(port) if c["local_port"] == port}
    counts = []
    for pid in (server_pid, *_children(server_pid)):
        try:
            held = socket_inodes(pid)
        except OSError:
            continue
        if held & listening:
            counts.append(len(held & accepted))
    return counts


async def close_channels(channels: list[grpc.aio.Channel], port: int, row: dict[str, Any],
                         server_pid: int | None = None) -> None:
    """Close the channels; first count the connections they hold and how the server's processes
    share them (into `row`)."""
    mine = socket_inodes(os.getpid())
    row["connections"] = sum(1 for c in tcp_connections(port) if c["remote_port"] == port and c["inode"] in mine)
    if server_pid is not None:
        row["split"] = connections_per_listener(server_pid, port)
    await asyncio.gather(*(c.close() for c in channels))


async def drive(address: str, method: str, payloads: list[bytes], concurrency: int,
                seconds: float, warmup: float, connections: int = 1, server_pid: int | None = None) -> dict[str, Any]:
    """`concurrency` callers in a closed loop for `seconds`; latencies of calls finished in the window."""
    channels = open_channels(address, connections)
    try:
        call = Calls(channels, method)
        reply_type = pb.OrderDecision if method == "CheckOrder" else pb.CustomerDecision
        latencies: list[float] = []
        errors: dict[str, int] = {}
        measuring = False
        stop_at = time.perf_counter() + warmup + seconds

        async def caller(k: int) -> None:
            i = k
            while time.perf_counter() < stop_at:
                started = time.perf_counter()
                try:
                    reply = await call(payloads[i % len(payloads)], timeout=10)
                    COMPLETED[0] += 1
                    if i % 97 == 0 and not _version_of(reply_type.FromString(reply)):
                        raise ValueError("reply without policy_version")
                    if measuring:
                        latencies.append(time.perf_counter() - started)
                except Exception as exc:
                    key = exc.code().name if isinstance(exc, grpc.aio.AioRpcError) else type(exc).__name__
                    errors[key] = errors.get(key, 0) + 1
                i += concurrency

        tasks = [asyncio.ensure_future(caller(k)) for k in range(concurrency)]
        await asyncio.sleep(warmup)
        measuring, window_start = True, time.perf_counter()
        await asyncio.gather(*tasks)
        window = time.perf_counter() - window_start
    finally:
        row: dict[str, Any] = {}
        await close_channels(channels, int(address.rsplit(":", 1)[1]), row, server_pid)
    cuts = quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return row | {"method": method, "concurrency": concurrency, "calls": len(latencies),
                  "rate": len(latencies) / window, "window": window,
                  "p50": cuts[49] * 1000, "p95": cuts[94] * 1000, "p99": cuts[98] * 1000, "errors": errors}


async def drive_open(address: str, method: str, payloads: list[bytes], concurrency: int,
                     rate: float, seconds: float, warmup: float, connections: int = 1,
                     server_pid: int | None = None) -> dict[str, Any]:
    """Open loop: calls arrive every 1/rate s whatever the replies do, at most `concurrency` in flight.

    Latency counts from the scheduled arrival, so a call queued behind busy callers is charged
    for its wait (no coordinated omission).
    """
    channels = open_channels(address, connections)
    try:
        call = Calls(channels, method)
        callers = asyncio.Semaphore(concurrency)
        latencies: list[float] = []
        errors: dict[str, int] = {}
        tasks = set()
        start = time.perf_counter()
        measure_from = start + warmup
        total = int(rate * (warmup + seconds))

        async def one(i: int, scheduled: float) -> None:
            async with callers:
                try:
                    await call(payloads[i % len(payloads)], timeout=10)
                    COMPLETED[0] += 1
                    if scheduled >= measure_from:
                        latencies.append(time.perf_counter() - scheduled)
                except Exception as exc:
                    key = exc.code().name if isinstance(exc, grpc.aio.AioRpcError) else type(exc).__name__
                    errors[key] = errors.get(key, 0) + 1

        for i in range(total):
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.ensure_future(one(i, scheduled))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)
        window = time.perf_counter() - measure_from
    finally:
        row: dict[str, Any] = {}
        await close_channels(channels, int(address.rsplit(":", 1)[1]), row, server_pid)
    cuts = quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return row | {"method": method, "concurrency": concurrency, "calls": len(latencies),
                  "rate": len(latencies) / window, "window": window,
                  "p50": cuts[49] * 1000, "p95": cuts[94] * 1000, "p99": cuts[98] * 1000, "errors": errors}


def _version_of(reply: Any) -> str:
    return str(reply.policy_version if hasattr(reply, "outcome") else reply.policy_version)


def payloads_for(dicts: list[dict[str, Any]]) -> dict[str, list[bytes]]:
    """Serialised requests, built once."""
    snaps = [snapshot_message(d) for d in dicts]
    return {
        "CheckOrder": [pb.CheckOrderRequest(snapshot=s, order_id="bench", amount="80000",
                                            payment_term_days=30, as_of=AS_OF.isoformat()).SerializeToString()
                       for s in snaps],
        "EvaluateCustomer": [pb.EvaluateCustomerRequest(snapshot=s, as_of=AS_OF.isoformat()).SerializeToString()
                             for s in snaps],
    }


def payloads_by_id(customers: int) -> dict[str, list[bytes]]:
    """Requests that name a customer of `credit-policy demo-data` (C0000001 …) instead of carrying a
    snapshot: the server reads it from its store, as an ERP calling with its customer number does."""
    ids = [f"C{i:07d}" for i in range(1, customers + 1)]
    return {
        "CheckOrder": [pb.CheckOrderRequest(customer_id=c, order_id="bench", amount="80000", payment_term_days=30,
                                            as_of=AS_OF.isoformat()).SerializeToString() for c in ids],
        "EvaluateCustomer": [pb.EvaluateCustomerRequest(customer_id=c, as_of=AS_OF.isoformat()).SerializeToString()
                             for c in ids],
    }


def demo_store(customers: int) -> Path:
    """A SQLite file holding `customers` demo customers (`credit-policy demo-data`), made once per run;
    each server gets a copy of it (`--requests by-id` with `--db temp-sqlite`)."""
    path = Path(f"/tmp/credit-policy-bench-{os.getpid()}-demo.sqlite")
    for old in path.parent.glob(path.name + "*"):
        old.unlink()
    subprocess.run([sys.executable, "-c", "from policy_engine.cli import main; main()", "demo-data",
                    "--customers", str(customers), "--as-of", AS_OF.isoformat(), "--db", f"sqlite:///{path}"],
                   check=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.DEVNULL)
    return path


class PerSecond(threading.Thread):
    """Samples the server's CPU and this client's finished calls once a second, from a thread (the
    event loop stays the client's): the server's CPU per call in each second of a cell after the
    first `skip` seconds (warm-up)."""

    def __init__(self, pids: list[int], skip: float, min_calls: int = 50, metrics_port: int | None = None):
        super().__init__(daemon=True)
        self.pids, self.skip, self.min_calls = pids, skip, min_calls
        self.ms_per_call: list[float] = []
        self.metrics_port = metrics_port
        self.backlogs: list[float] = []
        """The decision-log backlog gauge, read once a second (a server that logs decisions)."""
        self._done = threading.Event()

    def _cpu(self) -> float:
        return sum(_cpu_seconds(pid) for pid in self.pids)

    def run(self) -> None:
        if self._done.wait(self.skip):
            return
        cpu, calls = self._cpu(), COMPLETED[0]
        while not self._done.wait(1.0):
            now_cpu, now_calls = self._cpu(), COMPLETED[0]
            if now_calls - calls >= self.min_calls:
                self.ms_per_call.append((now_cpu - cpu) / (now_calls - calls) * 1000)
            cpu, calls = now_cpu, now_calls
            if self.metrics_port is not None and (backlog := log_backlog(self.metrics_port)) is not None:
                self.backlogs.append(backlog)

    def stop(self) -> str:
        """`0.98–1.41`: the lowest and highest second ("" when there was no full second)."""
        self._done.set()
        self.join()
        return f"{min(self.ms_per_call):.2f}–{max(self.ms_per_call):.2f}" if self.ms_per_call else ""

    def backlog(self) -> str:
        """`12 / 37`: the median and highest backlog read ("" when none was read)."""
        if not self.backlogs:
            return ""
        return f"{median(self.backlogs):,.0f} / {max(self.backlogs):,.0f}"


def measured(proc: subprocess.Popen[bytes] | None, run: Any, event_loop: str = "auto",
             warmup: float = 0.0, drain: bool = False,
             metrics_port: int | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run one cell on the client's event loop; also measure CPU: server and client per call, other
    processes' share, and the server's per call second by second after the warm-up. With `drain`
    (a server that logs decisions) wait after the cell for the server to go idle, and count the CPU
    its decision-log writer spent catching up as the cell's: a writer thread that falls behind
    under load would otherwise make logging look free. With `metrics_port`, read the server's
    decision-log backlog once a second too. Without `proc` (a --target on another machine) the
    server's CPU is not measured."""
    # The client settles its heap as the server does (adapters/grpc/runtime.py): a garbage collection
    # walking this process's ~100,000 start-up objects would stall every call in flight, and the
    # stall would be counted as the server's latency.
    runtime.settle_heap()
    pids = [proc.pid, *_children(proc.pid)] if proc is not None else []
    seconds = PerSecond(pids, warmup, metrics_port=metrics_port)
    server_before = server_cpu(proc.pid) if proc is not None else 0.0
    before = server_before, client_cpu(), machine_busy(), time.perf_counter()
    seconds.start()
    try:
        row = runtime.run(run, event_loop)
    finally:
        by_second = seconds.stop()
    elapsed = time.perf_counter() - before[3]
    client_s = client_cpu() - before[1]
    calls = max(row["calls"] * elapsed / row["window"], 1)
    if proc is None:
        other = (machine_busy() - before[2] - client_s) / elapsed
        return row, {"server_ms": None, "client_ms": client_s / calls * 1000, "other": max(other, 0.0) * 100,
                     "by_second": "", "drain_s": None, "backlog": None}
    other = (machine_busy() - before[2] - (server_cpu(proc.pid) - before[0]) - client_s) / elapsed
    drained = wait_for_drain(proc.pid) if drain else None
    server_s = server_cpu(proc.pid) - before[0]
    return row, {"server_ms": server_s / calls * 1000, "client_ms": client_s / calls * 1000,
                 "other": max(other, 0.0) * 100, "by_second": by_second, "drain_s": drained,
                 "backlog": seconds.backlog() if metrics_port is not None else None}


def table_row(label: str, method: str, callers: str, row: dict[str, Any], cpu: dict[str, Any],
              ratio: str, reference: float) -> str:
    """One markdown row."""
    errors = ", ".join(f"{k} {v}" for k, v in row["errors"].items()) or "0"
    server_ms = f"{cpu['server_ms']:.2f}" if cpu["server_ms"] is not None else "–"
    return (f"| {label} | {method} | {callers} | {row['rate']:,.0f} | {row['p50']:.1f} | {row['p95']:.1f} | "
            f"{row['p99']:.1f} | {errors} | {ratio} | {server_ms} | {cpu.get('by_second', '')} | "
            f"{cpu['client_ms']:.2f} | {cpu['other']:.0f}% | {reference:.0f} |"
            + (f" {cpu['drain_s']:.1f} |" if cpu.get("drain_s") is not None else "")
            + (f" {cpu['backlog']} |" if cpu.get("backlog") is not None else ""))


def _with_split(label: str, row: dict[str, Any]) -> str:
    """With several server processes, how the kernel spread the connections over them (`5+3`)."""
    split = row.get("split") or []
    return f"{label} ({'+'.join(map(str, split))} conns)" if len(split) > 1 else label


def _check_connections(row: dict[str, Any], wanted: int) -> None:
    if row.get("connections") != wanted:
        print(f"warning: {row.get('connections')} TCP connections to the server, not {wanted}", file=sys.stderr)


def bench_server(args: argparse.Namespace, config: ServerConfig, payloads: dict[str, list[bytes]],
                 in_process: dict[str, float], template: Path | None = None) -> None:
    """Every cell against one server configuration."""
    if args.wait_quiet:
        wait_until_quiet(args.wait_quiet)
    db, db_file = store_url(args.db, config, template)
    proc, port, log, metrics_port = start_server(args.rules, config, db)
    try:
        run_cells(args, config.label, f"127.0.0.1:{port}", payloads, in_process, proc, metrics_port)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        log.unlink(missing_ok=True)
        if db_file is not None:
            for leftover in db_file.parent.glob(db_file.name + "*"):
                leftover.unlink()


def run_cells(args: argparse.Namespace, label: str, address: str, payloads: dict[str, list[bytes]],
              in_process: dict[str, float], proc: subprocess.Popen[bytes] | None = None,
              metrics_port: int | None = None) -> None:
    """Every closed- and open-loop cell against the server at `address`, one table row each (`proc`:
    the server's process when this benchmark started it, for its CPU)."""
    logs = args.db != "memory" and proc is not None
    pid = proc.pid if proc is not None else None
    for method in args.methods.split(","):
        for concurrency in (int(c) for c in args.concurrency.split(",")):
            reference = reference_us()
            row, cpu = measured(proc, drive(address, method, payloads[method], concurrency,
                                            args.seconds, args.warmup, args.connections, pid),
                                args.client_loop, args.warmup, logs, metrics_port)
            _check_connections(row, args.connections)
            ratio = f"{in_process[method] / row['rate']:.2f}" if row["rate"] else "∞"
            print(table_row(_with_split(label, row), method, str(concurrency), row, cpu, ratio, reference),
                  flush=True)
        for rate in (float(r) for r in args.open_rate.split(",") if float(r) > 0):
            reference = reference_us()
            row, cpu = measured(proc, drive_open(address, method, payloads[method], args.open_concurrency,
                                                 rate, args.seconds, args.warmup, args.connections, pid),
                                args.client_loop, args.warmup, logs, metrics_port)
            _check_connections(row, args.connections)
            callers = f"{args.open_concurrency}, {rate:,.0f}/s offered"
            print(table_row(_with_split(label, row), method, callers, row, cpu, "", reference), flush=True)


SERVER_FLAGS = ("workers", "processes", "server_python", "log_linger_ms", "server_loops", "wait_quiet")
"""Flags about the servers this benchmark starts: meaningless with --target."""


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rules", type=Path, default=ROOT / "rules")
    parser.add_argument("--workers", default=None,
                        help="`--workers` server configurations, comma separated (default 0,2 unless --processes "
                             "is given)")
    parser.add_argument("--processes", default=None,
                        help="`--processes` server configurations, comma separated (default: one per CPU unless "
                             "--workers is given)")
    parser.add_argument("--connections", type=int, default=8,
                        help="HTTP/2 connections the client spreads its calls over (SO_REUSEPORT balances those)")
    parser.add_argument("--concurrency", default="1,8,32,64")
    parser.add_argument("--methods", default="CheckOrder,EvaluateCustomer")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--invoices", type=int, default=24)
    parser.add_argument("--open-rate", default="500,750,1000",
                        help="offered calls/s of the open-loop rows, comma separated (0 = none)")
    parser.add_argument("--open-concurrency", type=int, default=32)
    parser.add_argument("--db", default="memory",
                        help="the servers' store: memory (no audit log; default), temp-sqlite (a fresh SQLite "
                             "file per server: every decision is written to the audit log), or a SQLAlchemy URL")
    parser.add_argument("--wait-quiet", type=float, default=0.0,
                        help="before each server, wait up to this many seconds for other processes to go quiet")
    parser.add_argument("--server-loops", default="auto",
                        help="the servers' --event-loop, comma separated (each server configuration runs on each): "
                             "auto (uvloop when installed), uvloop, asyncio")
    parser.add_argument("--client-loop", default="auto", choices=runtime.EVENT_LOOPS,
                        help="the client's event loop (auto: uvloop when installed)")
    parser.add_argument("--server-python", default="",
                        help="the servers' interpreters, comma separated (each configuration runs on each): "
                             "`python` executables with the project's dependencies installed, such as another "
                             "venv's bin/python (default: the benchmark's own)")
    parser.add_argument("--log-linger-ms", default="",
                        help="the servers' $CREDIT_POLICY_LOG_LINGER_MS (how long the decision-log writer lets a "
                             "batch gather), comma separated (each configuration runs with each; needs a --db "
                             "that logs, such as temp-sqlite; default: the servers' default)")
    parser.add_argument("--requests", default="snapshot", choices=("snapshot", "by-id"),
                        help="snapshot: each request carries a realistic snapshot (default); by-id: each names a "
                             "customer the server reads from its store (with --db temp-sqlite, a copy of "
                             "`demo-data --customers N` made for the run; with a URL, that store's C0000001 …)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run every server configuration this many times, alternating (side-by-side A/B)")
    parser.add_argument("--target", default="",
                        help="HOST:PORT of a server that is already running, for example on another machine so "
                             "that the client does not share its CPUs: drive it instead of starting servers "
                             "(its CPU is not measured; --requests by-id needs its store to hold C0000001 …)")
    parser.add_argument("--target-tls-ca", type=Path, default=None,
                        help="PEM CA certificate of a --target that serves TLS (default: plaintext)")
    defaults = {name: parser.get_default(name) for name in SERVER_FLAGS}
    args = parser.parse_args()
    if args.target:
        given = [f"--{n.replace('_', '-')}" for n in SERVER_FLAGS if getattr(args, n) != defaults[n]]
        if given:
            parser.error(f"{', '.join(given)}: about servers this benchmark starts; --target drives one already "
                         "running (start it there with the flags you want)")
        if args.db not in ("memory",):
            parser.error("--db: the target's store is the target's own (with --requests by-id it must hold the "
                         "customers C0000001 …)")
        host, _, port = args.target.rpartition(":")
        if not host or not port.isdigit():
            parser.error(f"--target {args.target!r}: expected HOST:PORT")
        if args.target_tls_ca is not None:
            try:
                TLS_CA[0] = args.target_tls_ca.read_bytes()
            except OSError as exc:
                parser.error(f"--target-tls-ca: {exc}")
    elif args.target_tls_ca is not None:
        parser.error("--target-tls-ca needs --target")
    if args.workers is None and args.processes is None:
        args.workers, args.processes = "0,2", str(os.cpu_count() or 1)
    server_loops = [name.strip() for name in args.server_loops.split(",") if name.strip()]
    for name in server_loops:
        runtime.resolve(name)  # an unknown or missing loop fails here, before any measuring
    pythons = [p.strip() for p in args.server_python.split(",") if p.strip()] or [""]
    described = {p: interpreter(p or sys.executable) for p in pythons}  # a broken interpreter fails here
    labels = {p: (f"server Python {i + 1}" if len(pythons) > 1 else "") for i, p in enumerate(pythons)}
    models = [("--workers", int(w)) for w in (args.workers or "").split(",") if w.strip()]
    models += [("--processes", int(p)) for p in (args.processes or "").split(",") if p.strip()]
    lingers = [v.strip() for v in args.log_linger_ms.split(",") if v.strip()] or [""]
    if lingers != [""] and args.db == "memory":
        parser.error("--log-linger-ms needs a --db that logs decisions (temp-sqlite or a URL), not memory")
    configs = [ServerConfig(flag, count, name, p, labels[p], linger) for flag, count in models
               for name in server_loops for p in pythons for linger in lingers]

    if args.requests == "by-id" and args.db == "memory" and not args.target:
        parser.error("--requests by-id needs a store that holds customers (--db temp-sqlite or a URL), not memory")
    dicts = [snapshot_dict(random.Random(7 + i), i, args.invoices) for i in range(args.customers)]
    payloads = payloads_for(dicts)
    template = demo_store(args.customers) if args.requests == "by-id" and args.db == "temp-sqlite" else None
    if args.wait_quiet:
        wait_until_quiet(args.wait_quiet)
    rates = in_process_rates(args.rules, dicts, payloads, seconds=3.0)
    methods = args.methods.split(",")
    store_shown = shown_db(args.db) if not args.target else "the target's own"
    print(f"# gRPC load: {os.cpu_count()} CPUs, {args.customers} snapshots x {args.invoices} invoices, "
          f"{args.seconds:g}s per cell after {args.warmup:g}s warm-up, client: 1 grpc.aio process on "
          f"{runtime.resolve(args.client_loop)}, {args.connections} connections, server store: {store_shown}"
          + (f", requests by customer id ({args.customers} demo-data customers)" if args.requests == "by-id" else ""))
    print(f"client and in-process rows: {interpreter(sys.executable)} ({sys.executable})")
    if args.target:
        print(f"server: already running at {args.target}{' (TLS)' if TLS_CA[0] else ''}, not started here: its "
              "CPU is not measured (–), and the in-process rates and µs are this client machine's")
    for p in pythons if not args.target else []:
        print(f"{labels[p] or 'servers'}: {described[p]} ({p or sys.executable})")
    for label, key in (("policy alone, validated snapshot → decision", "policy"),
                       ("as a library, the caller's snapshot data → validated snapshot → decision", "library"),
                       ("service pipeline without network, request proto → reply proto", "pipeline")):
        print(f"in-process, one thread, {label}: "
              + ", ".join(f"{m} {rates[key][m]:,.0f}/s ({1000 / rates[key][m]:.2f} ms)" for m in methods))
    print("pipeline µs just before: the same pipeline timed here for 0.5 s right before each cell, with the server "
          "idle; this shared VM's speed moves by tens of percent within minutes, and this column shows where it was")
    if args.db != "memory":
        print("log drain s: after the cell, the seconds the server took to go idle (its decision-log writer "
              "catching up); the CPU it spent meanwhile is counted in server CPU ms/call")
        print("log backlog: the server's credit_policy_decision_log_backlog (decisions not yet committed to the "
              "log), read from its /metrics once a second during the cell: median / highest")
    print("server CPU ms/call by second: the lowest and highest one-second figure during the cell (after the "
          "warm-up); at a fixed offered rate the spread is the VM's speed moving within seconds")
    print()
    print("| server | method | callers | calls/s | p50 ms | p95 ms | p99 ms | errors | in-process/s ÷ gRPC calls/s "
          "| server CPU ms/call | server CPU ms/call by second | client CPU ms/call | other processes' CPU "
          "| pipeline µs just before |" + (" log drain s | log backlog |" if args.db != "memory" else ""))
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
          + (" ---: | ---: |" if args.db != "memory" else ""))
    if args.requests == "by-id":
        payloads = payloads_by_id(args.customers)
    for _ in range(args.repeat):
        if args.target:
            run_cells(args, f"target {args.target}", args.target, payloads, rates["policy"])
        for config in configs if not args.target else []:
            bench_server(args, config, payloads, rates["policy"], template)
    if template is not None:
        for leftover in template.parent.glob(template.name + "*"):
            leftover.unlink()


if __name__ == "__main__":
    main()
