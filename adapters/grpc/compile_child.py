"""Read, lint and compile a rules directory in a child process, off the serving process's CPU time.

A reload runs `compile_in_child(load_policy, rules_dir)` on a thread of a serving process: it starts
`python -c … compile_child.main()` at nice 10 (on a busy host the serving processes keep the cores
first), sends it the loader and the directory, and gets back the version's `PolicySummary` (with the
compiled program, from which the serving process builds the engine in ~2 ms) or the loader's error,
PolicyLoadError with every problem included.

A plain subprocess rather than multiprocessing: a `--processes` server process is a daemonic
multiprocessing process, and those may not start multiprocessing children. The parent's `sys.path`
goes along (as multiprocessing's spawn does), so a loader from any importable module works.
Everything crosses as pickles between this service's own processes over their pipes.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from adapters.grpc.compile_memory import COMPILE_MEMORY_MB, bound_memory, memory_answer
from adapters.grpc.runtime import exit_cause

COMPILE_TIMEOUT = 600.0
"""Seconds a child may take to read and compile a rule set before the reload is refused."""

_BOOT = "import json, sys; sys.path[:0] = json.loads(sys.argv[1]); from adapters.grpc.compile_child import main; main()"


class CompileChildFailed(RuntimeError):
    """The child process ended without an answer (a crash in the engine's C core, killed, timed out)."""


class CompileStopped(CompileChildFailed):
    """The compile was cut short, or not started, because the serving process is stopping."""


def compile_in_child(load_policy: Callable[[Path], Any], rules_dir: Path, timeout: float = COMPILE_TIMEOUT,
                     memory_mb: int = COMPILE_MEMORY_MB) -> Any:
    """`summarise_policy(load_policy, rules_dir)` in a child process (at most `memory_mb` MiB more than it starts
    with: compile_memory.py): its result, or its error raised here."""
    request = pickle.dumps((load_policy, rules_dir, memory_mb), protocol=pickle.HIGHEST_PROTOCOL)
    command = [sys.executable, "-c", _BOOT, json.dumps([p for p in sys.path if p])]
    try:
        done = subprocess.run(command, input=request, stdout=subprocess.PIPE, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise CompileChildFailed(f"the child process compiling the rules took more than {timeout:.0f} s") from None
    return answered(done.returncode, done.stdout)


def answered(returncode: int, answer: bytes) -> Any:
    """What a compile child that ended with `returncode` answered: its result, or its error raised here."""
    if returncode != 0 or not answer:
        raise CompileChildFailed(f"the child process compiling the rules {exit_cause(returncode)} before answering")
    status, value = pickle.loads(answer)
    if status == "error":
        raise value
    return value


def main() -> None:
    """The child: read the request on stdin, answer on stdout (anything else printed goes to stderr)."""
    answer_to = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a library printing to stdout cannot corrupt the answer
    if hasattr(os, "nice"):  # not on Windows
        os.nice(10)
    load_policy, rules_dir, memory_mb = pickle.loads(sys.stdin.buffer.read())
    answer_to.write(answer_bytes(load_policy, rules_dir, memory_mb))
    answer_to.close()


def answer_bytes(load_policy: Callable[[Path], Any], rules_dir: Path, memory_mb: int = 0) -> bytes:
    """In a child (this one-shot child, or one forked by compile_fork.py): the compile's answer, pickled. With
    `memory_mb`, the child's memory is bounded first, and a compile that runs past the bound is refused saying so."""
    from adapters.grpc.rules_source import summarise_policy

    bound = bound_memory(memory_mb)
    over = memory_answer(rules_dir, memory_mb)  # pickled now: at the bound, there may be no memory left to do it
    try:
        answer: tuple[str, Any] = ("ok", summarise_policy(load_policy, rules_dir))
    except Exception as exc:
        # MemoryError, or the engine's own error for an allocation that failed; the exception and the frames it
        # holds go as this returns. Without a bound, a MemoryError is the host's: said as any other error.
        if bound is not None and (isinstance(exc, MemoryError) or bound.reached()):
            return over
        answer = ("error", exc)
    try:
        return pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # an error that does not pickle: its words cross instead
        return pickle.dumps(("error", RuntimeError(f"{type(answer[1]).__name__}: {answer[1]}")))
