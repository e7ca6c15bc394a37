"""Soak `credit-policy serve`'s reload machinery: hundreds of reloads under light CheckOrder traffic, and the
resources of every process it runs (front, engine workers, compile process) at the start, middle and end.

    PYTHONPATH=. .venv-system/bin/python bench/soak_reloads.py --reloads 300 --workers 2

A private copy of rules/ is served (`--db memory`, TMPDIR a private directory so anything left in it shows).
Each step is one of: a new version (a threshold in collection.yaml toggled between two values; by the
watcher or by SIGHUP, alternately), every 10th a broken file (refused), every 7th a SIGHUP with nothing
changed (`policy unchanged`). Each must end with its expected log event and no other; a call that errs is
counted. `--kill-compiler-every N` SIGKILLs the compile process before every Nth step (it must be logged
`rules compiler ended` and replaced). Exit 1 if a step ended otherwise, a call failed, or a figure of the
compile process (fds, threads, children) or the zombie count differs at the end from the first reload.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import grpc  # noqa: E402

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb  # noqa: E402
from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2_grpc as pb_grpc  # noqa: E402
from bench.bench_grpc_load import AS_OF, snapshot_dict, snapshot_message  # noqa: E402

THRESHOLD = "when: {invoice_payment_term_days: {lte: 30}}"
VARIANTS = ("when: {invoice_payment_term_days: {lte: 31}}", THRESHOLD)
BROKEN = "when: {invoice_payment_term_days: {lte: 30}, no_such_field: 1}"
RULES = ROOT / "rules"
OUTCOMES = ("policy reloaded", "policy unchanged", "policy reload refused", "policy reload failed")


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def children(pid: int) -> list[tuple[int, str]]:
    """(pid, state) of every process whose parent is `pid`, zombies included."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = _stat(int(entry.name))
        except (OSError, ValueError):
            continue
        if int(fields[1]) == pid:
            found.append((int(entry.name), fields[0]))
    return found


def roles(front: int) -> dict[str, int]:
    """{role: pid} of serve's processes: front, worker-1.., compiler (the compile process), tracker."""
    found, workers = {"front": front}, 0
    for pid, state in sorted(children(front)):
        if state == "Z":
            continue
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        if b"compile_fork" in cmdline:
            found["compiler"] = pid
        elif b"spawn_main" in cmdline:
            workers += 1
            found[f"worker-{workers}"] = pid
        elif b"resource_tracker" in cmdline:
            found["tracker"] = pid
    return found


def figures(pid: int) -> dict[str, int]:
    """Open fds, threads, children (live, zombie), RSS and PSS (kB) of `pid`."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    memory = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:])
    kids = children(pid)
    return {"pid": pid, "fds": len(os.listdir(f"/proc/{pid}/fd")), "threads": int(status["Threads"]),
            "kids": sum(s != "Z" for _, s in kids), "zombies": sum(s == "Z" for _, s in kids),
            "rss": int(memory["Rss"].split()[0]), "pss": int(memory["Pss"].split()[0])}


def sample(front: int, tmp: Path, rules: Path, originals: set[str]) -> dict[str, Any]:
    """Every role's figures, and what lies in serve's TMPDIR and in the rules directory beyond its files."""
    taken: dict[str, Any] = {}
    for role, pid in roles(front).items():
        try:
            taken[role] = figures(pid)
        except (OSError, KeyError):
            continue  # it ended between the listing and the reading
    taken["leftovers"] = sorted(os.listdir(tmp)) + sorted(
        str(p.relative_to(rules)) for p in rules.rglob("*") if str(p.relative_to(rules)) not in originals)
    return taken


class Traffic(threading.Thread):
    """CheckOrder in a loop (and GetPolicy every 20th call) at about `rate` calls/s; counts calls and errors."""

    def __init__(self, address: str, rate: float):
        super().__init__(daemon=True)
        self.calls, self.errors, self.stopping = 0, [], threading.Event()
        self._channel = grpc.insecure_channel(address)
        self._stub = pb_grpc.CreditPolicyServiceStub(self._channel)
        self._pause = 1.0 / rate
        self._snapshot = snapshot_message(snapshot_dict(random.Random(1), 1))

    def run(self) -> None:
        while not self.stopping.wait(self._pause):
            try:
                if self.calls % 20 == 19:
                    self._stub.GetPolicy(pb.GetPolicyRequest(), timeout=10)
                else:
                    self._stub.CheckOrder(pb.CheckOrderRequest(snapshot=self._snapshot, amount="1000.00",
                                                               as_of=AS_OF.isoformat()), timeout=10)
            except grpc.RpcError as exc:
                self.errors.append(f"{exc.code()}: {exc.details()}")
            self.calls += 1
        self._channel.close()


class Log:
    """serve's JSON log, read on from where it was last read."""

    def __init__(self, path: Path):
        self.path, self._offset, self.seen = path, 0, []

    def new_events(self) -> list[dict[str, Any]]:
        with self.path.open("rb") as log:
            log.seek(self._offset)
            data = log.read()
        whole = data[:data.rfind(b"\n") + 1]
        self._offset += len(whole)
        fresh = []
        for line in whole.splitlines():
            try:
                fresh.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        self.seen += fresh
        return fresh

    def wait_for(self, names: tuple[str, ...], timeout: float) -> list[dict[str, Any]]:
        """The events up to and including the first named one of `names` (TimeoutError after `timeout`)."""
        deadline, got = time.monotonic() + timeout, []
        while time.monotonic() < deadline:
            for entry in self.new_events():
                got.append(entry)
                if entry.get("event") in names:
                    return got
            time.sleep(0.02)
        raise TimeoutError(f"none of {names} within {timeout} s")


def start(rules: Path, tmp: Path, log_path: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    """`credit-policy serve` as an operator starts it; its process and address once it serves."""
    cmd = [sys.executable, "-c", "from policy_engine.cli import main; main()", "serve", "--rules", str(rules),
           "--port", "0", "--host", "127.0.0.1", "--db", "memory", "--workers", str(workers),
           "--watch-interval", "0.2", "--grace", "10"]
    env = dict(os.environ, TMPDIR=str(tmp), PYTHONPATH=str(ROOT))
    with log_path.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    serving = Log(log_path).wait_for(("serving",), 120)[-1]
    return proc, f"127.0.0.1:{serving['port']}"


def step(n: int, proc: subprocess.Popen[bytes], rule_file: Path, served: list[int]) -> tuple[str, str]:
    """Make the `n`th change (or none) and trigger it; the event it must end with, and how it was triggered.
    `served` holds the index in VARIANTS of the version served."""
    text = rule_file.read_text()
    current = next(v for v in (*VARIANTS, BROKEN) if v in text)
    by_sighup = n % 2 == 1
    if n % 10 == 9:
        rule_file.write_text(text.replace(current, BROKEN))
        by_sighup = n % 20 == 19
        expected, what = "policy reload refused", "broken file"
    elif n % 7 == 3 and current != BROKEN:
        by_sighup, expected, what = True, "policy unchanged", "no change"
    else:  # after a broken file, every third step puts back the version served: `policy unchanged`
        back = current == BROKEN and n % 3 == 0
        served[0] = served[0] if back else 1 - served[0]
        rule_file.write_text(text.replace(current, VARIANTS[served[0]]))
        expected, what = ("policy unchanged", "served put back") if back else ("policy reloaded", "new version")
    if by_sighup:
        proc.send_signal(signal.SIGHUP)
    return expected, f"{what} ({'SIGHUP' if by_sighup else 'watcher'})"


def table(samples: list[tuple[str, dict[str, Any]]]) -> str:
    """The figures of every role at each sample point, one line each."""
    lines = [f"{'at':<12} {'role':<9} {'pid':>7} {'fds':>4} {'thr':>4} {'kids':>4} {'zomb':>4} "
             f"{'rss kB':>8} {'pss kB':>8}"]
    for at, taken in samples:
        for role, f in taken.items():
            if role != "leftovers":
                lines.append(f"{at:<12} {role:<9} {f['pid']:>7} {f['fds']:>4} {f['threads']:>4} {f['kids']:>4} "
                             f"{f['zombies']:>4} {f['rss']:>8} {f['pss']:>8}")
        lines.append(f"{at:<12} leftovers in TMPDIR and the rules directory: {taken['leftovers'] or 'none'}")
    return "\n".join(lines)


def drift(first: dict[str, Any], last: dict[str, Any]) -> list[str]:
    """What must not change between the first reload and the end: the compile process's fds, threads and
    children, every process's zombies, the leftovers."""
    found = []
    for key in ("fds", "threads", "kids"):
        if "compiler" in first and first["compiler"][key] != last.get("compiler", {}).get(key):
            found.append(f"compiler {key}: {first['compiler'][key]} -> {last.get('compiler', {}).get(key)}")
    found += [f"{role} zombies: {f['zombies']}" for role, f in last.items() if role != "leftovers" and f["zombies"]]
    if last["leftovers"] != first["leftovers"]:
        found.append(f"leftovers: {first['leftovers']} -> {last['leftovers']}")
    return found


def soak(args: argparse.Namespace, work: Path) -> int:
    """Run the soak in `work`; the exit status."""
    rules, tmp = work / "rules", work / "tmp"
    shutil.copytree(RULES, rules)
    tmp.mkdir()
    originals = {str(p.relative_to(rules)) for p in rules.rglob("*")}
    proc, address = start(rules, tmp, work / "serve.log", args.workers)
    log, traffic, samples, problems, served = Log(work / "serve.log"), Traffic(address, args.rate), [], [], [1]
    log.new_events()
    traffic.start()
    seen_pids: set[int] = set()
    try:
        time.sleep(1.0)
        samples.append(("start", sample(proc.pid, tmp, rules, originals)))
        for n in range(args.reloads):
            killed = None
            if args.kill_compiler_every and n % args.kill_compiler_every == args.kill_compiler_every - 1:
                killed = roles(proc.pid).get("compiler")
                if killed:
                    os.kill(killed, signal.SIGKILL)
            expected, what = step(n, proc, rules / "collection.yaml", served)
            events = [e.get("event") for e in log.wait_for(OUTCOMES, 120)]
            if events[-1] != expected:
                problems.append(f"step {n} ({what}): {events[-1]}, expected {expected}")
            if ("rules compiler ended" in events) != bool(killed):
                problems.append(f"step {n} ({what}): compiler killed {bool(killed)}, events {events}")
            seen_pids.update(roles(proc.pid).values())
            if n + 1 in (1, args.reloads // 2, args.reloads) or (n + 1) % args.every == 0:
                time.sleep(0.5)  # the swap's last steps, an old child's exit
                samples.append((f"reload {n + 1}", sample(proc.pid, tmp, rules, originals)))
    finally:
        traffic.stopping.set()
        traffic.join()
        began = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(60)
        stopped_in = time.monotonic() - began
    time.sleep(1.0)
    left = [p for p in seen_pids if Path(f"/proc/{p}").exists() and _stat(p)[0] != "Z"]
    print(table(samples))
    problems += drift(samples[1][1], samples[-1][1]) if len(samples) > 1 else []
    problems += [f"call error: {e}" for e in traffic.errors[:10]]
    if code != 0 or left:
        problems.append(f"serve exited {code}, processes left: {left}")
    compilers = sorted({f["pid"] for _, s in samples for r, f in s.items() if r == "compiler"})
    print(f"reloads {args.reloads}, calls {traffic.calls}, call errors {len(traffic.errors)}, compile process "
          f"pids {compilers}, serve stopped by SIGTERM in {stopped_in:.2f} s (exit {code}), left {left}")
    print("\n".join(problems) if problems else "every step ended as expected; nothing grew")
    return 1 if problems else 0


def main() -> None:
    """Parse the options and soak."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reloads", type=int, default=300, help="steps (reloads, refusals, SIGHUPs) to drive")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rate", type=float, default=20.0, help="calls/s of the traffic (about)")
    parser.add_argument("--every", type=int, default=50, help="sample the figures every N steps too")
    parser.add_argument("--kill-compiler-every", type=int, default=0, help="SIGKILL the compile process every N")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (serve.log) and print it")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="soak-reloads-"))
    try:
        status = soak(args, work)
    finally:
        if args.keep:
            print(f"work directory: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    sys.exit(status)


if __name__ == "__main__":
    main()
