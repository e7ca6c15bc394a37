"""A serving process's long-lived compile process: reloads compile in a child it forks (compile_fork.py).

Each reload used to start a fresh `python -c …` child (compile_child.py), which spent ~0.4 of its ~0.65
CPU-s starting CPython and importing pydantic, the rule loader and durable_rules before compiling anything.
The zygote pays that once, at the first reload (lazily: a serving process that never reloads starts none,
and its start is not slowed), and forks a child per compile that begins with all of it imported.

The failure paths are the one-shot child's, with its words: a child that exits or is killed before
answering, or takes more than 600 s, is CompileChildFailed; a zygote that cannot be started is OSError. A
compile that `close` cut short (the service stopping) is CompileStopped, not a crash. A zygote that dies
between reloads (killed, the OOM killer) is reaped and logged once (`rules compiler ended`) when it dies, by
a thread blocked in waitpid on it (`_watch`), not at the next reload, which may be days later; the next
reload starts a new one. One found dead by a compile before its watcher said so is logged by the compile,
which runs in a one-shot child. One that dies during a compile takes its child with it (CompileChildFailed,
tried again like any other). `close` kills it without waiting (its watcher reaps it).
Off Linux (no PR_SET_PDEATHSIG to tie a child to the zygote) every compile is one-shot, as before.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import select
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from adapters.grpc.compile_child import (
    COMPILE_TIMEOUT,
    CompileChildFailed,
    CompileStopped,
    answered,
    compile_in_child,
)
from adapters.grpc.compile_fork import BOOT, Request, frame, read_frame, write_all
from adapters.grpc.compile_memory import COMPILE_MEMORY_MB
from adapters.grpc.logs import event
from adapters.grpc.runtime import exit_cause

ZYGOTE_SUPPORTED = sys.platform == "linux"
STOPPED = "the process compiling the rules was stopped with the service"


class _Gone(Exception):
    """The zygote ended before it took the request: the compile has not started."""


class RulesCompiler:
    """Compiles rules directories for one serving process, in children forked by its zygote."""

    def __init__(self, one_shot: Callable[..., Any] = compile_in_child, memory_mb: int = COMPILE_MEMORY_MB) -> None:
        self._one_shot = one_shot
        self.memory_mb = memory_mb
        """The memory bound of each compile child (compile_memory.py); 0 for none."""
        self._lock = threading.Lock()
        self._zygote: list[subprocess.Popen[bytes]] = []  # [] or [the running one]; shared with the finalizer
        self._closed = False
        weakref.finalize(self, _kill_all, self._zygote)  # a host dropped without aclose leaves no process

    @property
    def zygote_pid(self) -> int | None:
        """The running zygote's pid, if one is running (for the tests and the docs' measurements)."""
        return self._zygote[0].pid if self._zygote else None

    def compile(self, load_policy: Callable[[Path], Any], rules_dir: Path, timeout: float = COMPILE_TIMEOUT) -> Any:
        """`summarise_policy(load_policy, rules_dir)` in a forked child: its result, or its error raised here."""
        if not ZYGOTE_SUPPORTED:
            return self._one_shot(load_policy, rules_dir, timeout, self.memory_mb)
        payload = pickle.dumps((load_policy, rules_dir, self.memory_mb), protocol=pickle.HIGHEST_PROTOCOL)
        request = Request([p for p in sys.path if p], os.getcwd(), payload, str(rules_dir), self.memory_mb)
        with self._lock:
            if self._closed:
                raise CompileStopped(STOPPED)
            zygote = self._running()
            try:
                return self._through(zygote, request, time.monotonic() + timeout, timeout)
            except _Gone:
                self._ended(zygote, "this compile runs in a one-shot child process; the next starts a new compiler")
            if self._closed:
                raise CompileStopped(STOPPED)
            return self._one_shot(load_policy, rules_dir, timeout, self.memory_mb)

    def close(self) -> None:
        """Kill the zygote (and so a compile it runs); never waits for it. No compile starts after this."""
        self._closed = True
        if self._lock.acquire(blocking=False):  # no compile on its way: the pipes are ours to close
            try:
                _kill_all(self._zygote)
            finally:
                self._lock.release()
        else:  # the compiling thread sees EOF, and closes the pipes on its way out
            for zygote in list(self._zygote):
                zygote.kill()

    def _running(self) -> subprocess.Popen[bytes]:
        """The zygote, started if there is none (OSError if it cannot be); one found dead is logged and replaced."""
        if self._zygote and self._zygote[0].poll() is not None:
            self._ended(self._zygote[0], "a new compiler starts for this compile")
        if not self._zygote:
            command = [sys.executable, "-c", BOOT, json.dumps([p for p in sys.path if p])]
            zygote = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            self._zygote.append(zygote)
            try:
                threading.Thread(target=_watch, args=(weakref.ref(self), zygote), name="compiler-watch",
                                 daemon=True).start()
            except RuntimeError as exc:  # no thread to be had: a failed reload (OSError), tried again
                _kill_all(self._zygote)
                raise OSError(f"cannot start a thread to watch the compile process: {exc}") from exc
        return self._zygote[0]

    def _died(self, zygote: subprocess.Popen[bytes]) -> None:
        """`zygote` has ended (its watcher reaped it): log it once, unless a compile or `close` already dropped it."""
        with self._lock:  # a compile at work when it died sees EOF, says how it ended and drops it itself
            if self._zygote and self._zygote[0] is zygote:
                self._ended(zygote, "the next reload starts a new compiler")

    def _through(self, zygote: subprocess.Popen[bytes], request: Request, deadline: float, timeout: float) -> Any:
        """One compile through `zygote`: _Gone if it ended before forking, CompileChildFailed as the one-shot child."""
        assert zygote.stdin is not None and zygote.stdout is not None
        try:
            write_all(zygote.stdin.fileno(), frame(tuple(request)))
        except BrokenPipeError:
            raise _Gone from None
        replies = zygote.stdout.fileno()
        try:
            forked = _reply(replies, deadline)
            if forked is None:
                raise _Gone
            ended = _reply(replies, deadline)
        except TimeoutError:
            _kill_all(self._zygote)  # its child dies with it (PR_SET_PDEATHSIG)
            raise CompileChildFailed(f"the child process compiling the rules took more than {timeout:.0f} s") from None
        if ended is None:  # the zygote died during the compile, and its child with it
            cause = self._ended(zygote, "the reload failed; the next compile starts a new compiler")
            if self._closed:  # `close` killed it: not a crash, whatever the signal says
                raise CompileStopped(STOPPED)
            raise CompileChildFailed(f"the child process compiling the rules killed by SIGKILL before answering "
                                     f"(its compile process {cause})")
        _, returncode, answer = ended
        return answered(returncode, answer)

    def _ended(self, zygote: subprocess.Popen[bytes], action: str) -> str:
        """Drop a zygote that ended on its own and log it once; how it ended, in words."""
        try:
            returncode: int | None = zygote.wait(timeout=5)
        except subprocess.TimeoutExpired:  # EOF on its pipe, yet not gone: make sure
            zygote.kill()
            returncode = None
        _kill_all(self._zygote)
        cause = exit_cause(returncode)
        if not self._closed:
            event("rules compiler ended", logging.WARNING, pid=zygote.pid, cause=cause, action=action)
        return cause


def _reply(fd: int, deadline: float) -> Any:
    """The zygote's next message, None at EOF; TimeoutError if none has begun by `deadline`."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    while not poller.poll(max(0.0, deadline - time.monotonic()) * 1000):
        if time.monotonic() >= deadline:
            raise TimeoutError
    return read_frame(fd)


def _watch(owner: weakref.ref[RulesCompiler], zygote: subprocess.Popen[bytes]) -> None:
    """A zygote's watcher, on a daemon thread: blocked in waitpid until the zygote ends (no polling, no signal
    handler to share with asyncio's child watching), which reaps it at once; then its compiler is told."""
    zygote.wait()  # Popen's waitpid lock keeps this and a compile's poll()/wait() from reaping it twice
    compiler = owner()  # weak: a compiler dropped without close is still finalized (its zygote killed)
    if compiler is not None:
        compiler._died(zygote)


def _kill_all(zygotes: list[subprocess.Popen[bytes]]) -> None:
    """Kill the zygote in `zygotes` (if any) and close its pipes, never waiting: its watcher reaps it."""
    while zygotes:
        zygote = zygotes.pop()
        zygote.kill()
        for pipe in (zygote.stdin, zygote.stdout):
            if pipe is not None:
                pipe.close()
