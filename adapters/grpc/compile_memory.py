"""A memory bound on the child that compiles a rules directory for a reload, so a runaway compile fails there.

The loader bounds what a rule set and its cases may expand to (policy_engine/rules/node_budget.py: the worst
accepted input peaks at ~260 MB), but a future bug or an unforeseen shape could still make a compile take the
host's memory, and the kernel's OOM killer may then pick a serving process. So the child sets its own address-space
limit (RLIMIT_AS) at what it holds when it starts plus COMPILE_MEMORY_MB. Past it an allocation fails in the child:
MemoryError in Python (answered from bytes pickled beforehand), or an abort or a segfault in durable_rules' C core or
in CPython, which the zygote tells by the child's peak RSS (compile_fork.py). Either way the reload is refused
(`compile_memory`, in GetPolicy's last_refused) and the version served serves on.

Address space, not RSS: a forked child starts at ~50 MiB of it, single-threaded (no thread stacks nor arenas of its
own); an honest compile adds ~5-300 MiB (docs/service.md, Hot reload).
"""

from __future__ import annotations

import pickle
import re
import resource
from dataclasses import dataclass
from pathlib import Path

from policy_engine.rules.problems import PolicyLoadError, Problem

COMPILE_MEMORY_MB = 1024
"""MiB of address space a compile child may take beyond what it holds when it starts; 0 for no bound."""
_REACHED = 3 / 4
"""A child that ended badly after its peak came this near its bound ran into it: a failed allocation is refused
close to the limit (measured: peak RSS at 92-97% of it, a refused request from 4 KiB to some MiB)."""


def vm_bytes(field: str = "VmSize", pid: int | str = "self") -> int:
    """`field` of /proc/PID/status in bytes (VmSize: address space now; VmPeak: its peak); 0 where there is none."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    found = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    return int(found.group(1)) << 10 if found else 0


@dataclass(frozen=True)
class MemoryBound:
    """The address-space limit a compile child set on itself: what it held at start, and the MiB beyond."""

    start: int
    memory_mb: int

    def reached(self) -> bool:
        """Whether this process's peak address space came near the bound (an error then is a failed allocation)."""
        return past_bound(vm_bytes("VmPeak"), self.start, self.memory_mb)


def bound_memory(memory_mb: int) -> MemoryBound | None:
    """Limit this process's address space to what it holds now plus `memory_mb` MiB; None where not bounded
    (`memory_mb` 0, or no /proc to read the start from)."""
    start = vm_bytes()
    if memory_mb <= 0 or not start:
        return None
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = start + (memory_mb << 20)
    resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    return MemoryBound(start, memory_mb)


def past_bound(peak: int, start: int, memory_mb: int) -> bool:
    """Whether a process that started at `start` bytes and peaked at `peak` ran into its bound of `memory_mb` MiB."""
    return memory_mb > 0 and peak - start >= (memory_mb << 20) * _REACHED


def memory_answer(rules_dir: Path | str, memory_mb: int, how: str = "") -> bytes:
    """The pickled answer of a compile that ran past its memory bound: a refusal at the rules directory."""
    message = (f"the rules compile ran past its memory bound of {memory_mb} MiB{how}; the version served serves on. "
               "The bounds on rule and case files keep an honest rule set far below it: "
               "report the rule set (or the loader) that did this")
    return pickle.dumps(("error", PolicyLoadError([Problem(str(rules_dir), 1, 1, "compile_memory", message)])),
                        protocol=pickle.HIGHEST_PROTOCOL)
