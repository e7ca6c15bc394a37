"""What one hot reload of the shipped rules costs: CPU-s (the serving process and every process under it,
reaped compile children included) and wall time from SIGHUP to `policy reloaded`, for one or more code trees
side by side (e.g. a worktree of the code before a change), alternating trees each round.

    PYTHONPATH=. .venv-system/bin/python bench/bench_reload_cost.py --tree . --tree /tmp/old --rounds 3

Each reload is a real new version (a comment appended to a rule file). The first reload of each server is
reported apart from the rest: it is the one that starts the long-lived compile process, where there is one.
CPU comes from /proc (utime + stime + cutime + cstime of every live process in serve's tree: a reaped
child's CPU is in its parent's cutime/cstime), so it is in clock ticks (10 ms here).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Any

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def tree(pid: int) -> list[int]:
    """`pid` and every live process under it."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            parents[int(entry.name)] = int(_stat(int(entry.name))[1])
        except (OSError, ValueError, IndexError):
            continue
    found, frontier = [pid], [pid]
    while frontier:
        frontier = [child for child, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def tree_cpu(pid: int) -> float:
    """CPU-s of `pid`'s tree so far: each live process's own and its reaped children's."""
    total = 0
    for each in tree(pid):
        try:
            fields = _stat(each)
        except OSError:
            continue
        total += sum(int(fields[i]) for i in (11, 12, 13, 14))  # utime stime cutime cstime
    return total / TICK


def compile_processes(pid: int) -> list[int]:
    """The long-lived compile processes under `pid`."""
    return [p for p in tree(pid) if b"compile_fork" in Path(f"/proc/{p}/cmdline").read_bytes()]


def memory_kb(pid: int) -> dict[str, int]:
    """Rss, Pss and the private (unshared) memory of `pid`, kB."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0])
    return {"rss": fields["Rss"], "pss": fields["Pss"],
            "private": fields["Private_Clean"] + fields["Private_Dirty"]}


def serve(tree_root: Path, rules: Path, log: Path, workers: int) -> subprocess.Popen[bytes]:
    """`serve` from `tree_root`'s code, waiting until it serves."""
    cmd = [sys.executable, "-c", "from policy_engine.cli import main; main()", "serve", "--rules", str(rules),
           "--port", "0", "--host", "127.0.0.1", "--db", "memory", "--workers", str(workers),
           "--watch-interval", "0"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=tree_root,
                                env=dict(os.environ, PYTHONPATH=str(tree_root)))
    wait_for(log, '"serving"', 0, 120)
    return proc


def wait_for(log: Path, marker: str, seen: int, timeout: float) -> float:
    """Poll `log` until it holds more than `seen` lines with `marker`; the time it was seen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.read_text().count(marker) > seen:
            return time.monotonic()
        time.sleep(0.005)
    raise TimeoutError(f"no {marker} in {log}:\n{log.read_text()[-2000:]}")


def reloads(tree_root: Path, count: int, workers: int, work: Path) -> dict[str, Any]:
    """Start a server, reload it `count` times; the wall and CPU of each, and its compile process's memory."""
    rules, log = work / "rules", work / "serve.log"
    shutil.rmtree(rules, ignore_errors=True)
    shutil.copytree(tree_root / "rules", rules)
    proc = serve(tree_root, rules, log, workers)
    rule_file, walls, cpus, memory = sorted(rules.glob("*.yaml"))[0], [], [], {}
    try:
        time.sleep(1.0)  # the start's settling done
        for n in range(count):
            rule_file.write_text(rule_file.read_text() + f"\n# reload {n}\n")
            cpu = tree_cpu(proc.pid)
            began = time.monotonic()
            proc.send_signal(signal.SIGHUP)
            walls.append(wait_for(log, '"policy reloaded"', n, 120) - began)
            time.sleep(0.3)  # the workers' build and the child's exit counted too
            cpus.append(tree_cpu(proc.pid) - cpu)
        zygotes = compile_processes(proc.pid)
        if zygotes:
            memory = memory_kb(zygotes[0])
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    return {"walls": walls, "cpus": cpus, "memory": memory}


def main() -> None:
    """Alternate the trees for `--rounds` rounds and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", action="append", required=True, help="a code tree (repeat to compare)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reloads", type=int, default=6, help="reloads per server (the first counted apart)")
    parser.add_argument("--workers", type=int, default=0)
    args = parser.parse_args()
    results: dict[str, list[dict[str, Any]]] = {t: [] for t in args.tree}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.rounds):
            for name in args.tree:
                results[name].append(reloads(Path(name).resolve(), args.reloads, args.workers, Path(tmp)))
    for name, runs in results.items():
        first_wall, first_cpu = [r["walls"][0] for r in runs], [r["cpus"][0] for r in runs]
        walls = [w for r in runs for w in r["walls"][1:]]
        cpus = [c for r in runs for c in r["cpus"][1:]]
        memory = [r["memory"] for r in runs if r["memory"]]
        print(f"{name}: first reload wall {median(first_wall):.3f} s, CPU {median(first_cpu):.2f} s; "
              f"later reloads (n={len(walls)}) wall median {median(walls):.3f} s [{min(walls):.3f}–{max(walls):.3f}], "
              f"CPU median {median(cpus):.2f} s [{min(cpus):.2f}–{max(cpus):.2f}]"
              + (f"; compile process kB {memory}" if memory else ""))


if __name__ == "__main__":
    main()
