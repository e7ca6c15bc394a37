"""What a `credit-policy` command costs to start: modules imported, wall and CPU time of the whole process, for
one or more code trees side by side (e.g. a worktree of the code before a change), alternating trees each round.

    PYTHONPATH=. .venv-system/bin/python bench/bench_cli_startup.py --rev ebcea54 --repeat 5
    PYTHONPATH=. .venv-system/bin/python bench/bench_cli_startup.py --tree . --tree /tmp/old

`--rev REV` adds a temporary git worktree of REV (its gRPC stubs generated and every module byte-compiled, as
`make install` leaves a clone) and removes it at the end. Each command runs from its tree's root with that tree
on PYTHONPATH, under this interpreter, its output discarded; a command that fails is timed as it is (`status`
at an unreachable port exits 4, as it should). The figures are the best of --repeat runs: on a shared VM
the least disturbed run is the truest; modules are counted once (the process's sys.modules as it ends).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = (
    ("--help",),
    ("lint", "rules"),
    ("test", "rules"),
    ("status", "--port", "1"),
    ("serve", "--help"),
    ("batch", "--help"),
    ("evaluate", "examples/past-due.json", "--as-of", "2026-11-22"),
)
"""What risk staff and the tests start most: the checks of rule files, a deploy's status, help, a decision."""
_COUNT = ("import sys\nout, sys.argv = sys.argv[1], ['credit-policy', *sys.argv[2:]]\n"
          "from policy_engine.cli import main\n"
          "try:\n    main()\nfinally:\n    open(out, 'w').write(str(len(sys.modules)))\n")
"""Run the CLI as `-c _COUNT OUT ARGS…` does, and write how many modules it imported to OUT as it ends."""


def _env(tree: Path) -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(tree))


def run_once(tree: Path, args: tuple[str, ...]) -> tuple[int, float, float]:
    """Run `credit-policy ARGS` from `tree`: its exit code, wall seconds and CPU seconds (user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "policy_engine.cli", *args], cwd=tree, env=_env(tree),
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return done.returncode, wall, cpu


def modules(tree: Path, args: tuple[str, ...]) -> int:
    """How many modules `credit-policy ARGS` has imported when it ends (sys.modules, the interpreter's own too)."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "count"
        subprocess.run([sys.executable, "-c", _COUNT, str(out), *args], cwd=tree, env=_env(tree),
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return int(out.read_text()) if out.exists() else -1


def worktree(rev: str, where: Path) -> Path:
    """A worktree of `rev` ready to run as `make install` leaves a clone: gRPC stubs generated, bytecode written."""
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(where), rev], check=True)
    subprocess.run([sys.executable, "-m", "adapters.grpc.build_protos"], cwd=where, env=_env(where), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run([sys.executable, "-m", "compileall", "-q", "policy_engine", "adapters"], cwd=where, check=True,
                   stdout=subprocess.DEVNULL)
    return where


def measure(trees: list[Path], repeat: int) -> dict[tuple[Path, tuple[str, ...]], dict[str, float]]:
    """Each tree's figures for each command, rounds alternating the trees so both meet the VM's same moods."""
    best: dict[tuple[Path, tuple[str, ...]], dict[str, float]] = {}
    for args in COMMANDS:
        for tree in trees:
            best[tree, args] = {"modules": modules(tree, args), "wall": float("inf"), "cpu": float("inf")}
        for _ in range(repeat):
            for tree in trees:
                code, wall, cpu = run_once(tree, args)
                cell = best[tree, args]
                cell.update(exit=code, wall=min(cell["wall"], wall), cpu=min(cell["cpu"], cpu))
    return best


def table(trees: list[Path], best: dict[tuple[Path, tuple[str, ...]], dict[str, float]]) -> list[str]:
    """The figures as a Markdown table: per command, each tree's modules, best wall ms and best CPU ms."""
    names = " → ".join(t.name or str(t) for t in trees)
    lines = [f"| command | exit | modules ({names}) | wall ms, best | CPU ms, best |", "|---|---|---:|---:|---:|"]
    for args in COMMANDS:
        cells = [best[t, args] for t in trees]
        joined = {key: " → ".join(f"{c[key] * (1 if key == 'modules' else 1000):,.0f}" for c in cells)
                  for key in ("modules", "wall", "cpu")}
        exits = " / ".join(str(int(c["exit"])) for c in cells)
        lines.append(f"| `{' '.join(args)}` | {exits} | {joined['modules']} | {joined['wall']} | {joined['cpu']} |")
    return lines


def main() -> None:
    """Parse the options, measure, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", action="append", type=Path, default=[], help="a code tree (repeatable)")
    parser.add_argument("--rev", help="also a temporary worktree of this git revision, first in the table")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each command per tree (best is shown)")
    options = parser.parse_args()
    trees = [t.resolve() for t in options.tree] or [ROOT]
    scratch = Path(tempfile.mkdtemp(prefix="cli-startup-"))
    try:
        if options.rev:
            trees.insert(0, worktree(options.rev, scratch / "baseline"))
        print(f"Python {sys.version.split()[0]} ({sys.executable}), best of {options.repeat}; trees: "
              + ", ".join(str(t) for t in trees))
        print("\n".join(table(trees, measure(trees, options.repeat))))
    finally:
        if options.rev:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(scratch / "baseline")],
                           check=False)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
