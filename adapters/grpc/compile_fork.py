"""The long-lived compile process ("zygote") a serving process reloads through: it forks a child per compile.

Started (adapters/grpc/compile_zygote.py) as `python -c … compile_fork.serve_compiles()` with the serving
process's `sys.path`, it lowers its priority to nice 10, imports what a compile needs (pydantic, the rule
loader, durable_rules), freezes that heap and waits on its stdin. For each request it forks a child that
reads, lints and compiles the rules exactly as the one-shot child of compile_child.py does and writes its
answer to a pipe of its own; the zygote reads that pipe to its end, reaps the child and reports
`("ended", exit code, answer)`. The zygote stays single-threaded (os.fork from it is safe) and never runs a
compile itself, so nothing a compile does (a crash in durable_rules' C core, the OOM killer, a loader that
sets module state) reaches it or the next compile: each child starts from the zygote's state as it was at
start-up, and a loader's module is imported afresh by each child from the request's `sys.path`. Each child bounds
its own memory (compile_memory.py); one that ends without an answer after its peak RSS came near that bound is
answered here as a refusal for its memory, not as a crash.

Lifetimes: the zygote exits at EOF on its stdin, which comes when the serving process closes it, stops or
is killed (SIGKILL included: the kernel closes its pipes), killing a child still at work first. A child
dies with the zygote (PR_SET_PDEATHSIG), so a zygote killed mid-compile leaves nothing behind.
"""

from __future__ import annotations

import gc
import os
import pickle
import select
import signal
import struct
import sys
import traceback
from typing import Any, NamedTuple

from adapters.grpc.compile_memory import memory_answer, past_bound, vm_bytes
from adapters.grpc.runtime import exit_cause

_LENGTH = struct.Struct(">Q")
MAX_FRAME = 1 << 30
"""No message between the serving process and the zygote is longer (a rule set is bounded far below this)."""

BOOT = ("import json, sys; sys.path[:0] = json.loads(sys.argv[1]); "
        "from adapters.grpc.compile_fork import serve_compiles; serve_compiles()")
_PR_SET_PDEATHSIG = 1


def frame(value: Any) -> bytes:
    """`value` pickled, behind its length: one message on a pipe between this service's own processes."""
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(data)) + data


def read_exactly(fd: int, size: int) -> bytes | None:
    """`size` bytes from `fd` (blocking), or None at EOF before them."""
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int) -> Any:
    """The next message on `fd`, or None at EOF (the other end closed or died)."""
    head = read_exactly(fd, _LENGTH.size)
    if head is None:
        return None
    (size,) = _LENGTH.unpack(head)
    if size > MAX_FRAME:
        raise ValueError(f"a compile message of {size} bytes, over the {MAX_FRAME}-byte bound")
    body = read_exactly(fd, size)
    return None if body is None else pickle.loads(body)


def serve_compiles() -> None:
    """The zygote's life: prepared once, then one forked child per request on stdin until EOF."""
    replies = os.dup(1)
    os.dup2(2, 1)  # a library printing to stdout cannot corrupt the replies
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C in serve's terminal stops serve, which closes stdin
    if hasattr(os, "nice"):
        os.nice(10)
    _prepare()
    try:
        while (request := read_frame(0)) is not None:
            ended = _compile_in_fork(Request(*request), replies)
            if ended is None:
                return  # the serving process closed the pipe, or is gone
            write_all(replies, frame(ended))
    except BrokenPipeError:  # the serving process is gone: nobody to tell
        return


def write_all(fd: int, data: bytes) -> None:
    """All of `data` to the blocking `fd`."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _prepare() -> None:
    """Import what every compile needs, then freeze it: children share these pages instead of each importing."""
    import ctypes  # noqa: F401 - for the children's PR_SET_PDEATHSIG

    import adapters.grpc.compile_child  # noqa: F401
    import adapters.grpc.rules_source  # noqa: F401
    import policy_engine.api  # noqa: F401
    import policy_engine.casetests  # noqa: F401 - serve --rule-tests' loader
    from policy_engine.program import program_build

    program_build()  # hashed now, from the code just imported: a release installed later is not what made a program

    gc.collect()
    gc.freeze()  # a child's collections then skip (and so do not write to) the zygote's objects


class Request(NamedTuple):
    """One compile the serving process asks for: its `sys.path` and directory, the pickled (loader, rules directory,
    memory bound) only the child unpickles (a loader's module is never imported here), and what the zygote needs to
    word a child that ran past its memory bound."""

    paths: list[str]
    cwd: str
    payload: bytes
    rules_dir: str
    memory_mb: int


def _compile_in_fork(request: Request, replies: int) -> tuple[str, int, bytes] | None:
    """Fork a child for one compile; `("ended", exit code, answer)` once it has ended, None if stdin closed."""
    answer_read, answer_write = os.pipe()
    start = vm_bytes()  # the child's address space as it starts: the zygote's
    pid = os.fork()
    if pid == 0:
        os.close(answer_read)
        os.close(replies)  # only the zygote speaks to the serving process
        _child(request, answer_write)
    os.close(answer_write)
    write_all(replies, frame(("forked", pid)))
    answer = _collect(answer_read, pid)
    os.close(answer_read)
    if answer is None:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        return None
    _, status, usage = os.wait4(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if (code or not answer) and past_bound(usage.ru_maxrss << 10, start, request.memory_mb):
        # an allocation failed in C (durable_rules, CPython) and the child aborted or crashed: refused, not retried
        return ("ended", 0, memory_answer(request.rules_dir, request.memory_mb, f" (its process {exit_cause(code)})"))
    return ("ended", code, answer)


def _collect(answer_fd: int, pid: int) -> bytes | None:
    """The child's answer, read to EOF (its exit, however it ends); None if the serving process closed stdin."""
    poller = select.poll()
    poller.register(answer_fd, select.POLLIN)
    poller.register(0, 0)  # only POLLHUP/POLLERR: the serving process closed the pipe or is gone
    chunks: list[bytes] = []
    while True:
        for fd, flags in poller.poll():
            if fd == 0 and flags & (select.POLLHUP | select.POLLERR):
                return None
            if fd == answer_fd:
                chunk = os.read(answer_fd, 1 << 20)
                if not chunk:
                    return b"".join(chunks)
                chunks.append(chunk)


def _child(request: Request, answer_fd: int) -> None:
    """A forked child: one compile as compile_child.main does, its answer on `answer_fd`, then `os._exit`."""
    code = 1
    try:
        zygote = os.getppid()
        _die_with_parent()
        if os.getppid() != zygote:  # the zygote died before the line above: nobody to answer
            os._exit(1)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)  # the request pipe is the zygote's
        os.close(devnull)
        sys.path[:0] = request.paths  # the serving process's, as it is now: a loader from any importable module
        os.chdir(request.cwd)
        from adapters.grpc.compile_child import answer_bytes

        load_policy, rules_dir, memory_mb = pickle.loads(request.payload)
        write_all(answer_fd, answer_bytes(load_policy, rules_dir, memory_mb))
        code = 0
    except SystemExit as exc:  # sys.exit in a loader ends the child as it ended the one-shot child
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - as an uncaught error ended the one-shot child: its traceback, exit 1
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001, S110 - exiting either way
                pass
        os._exit(code)


def _die_with_parent() -> None:
    """Linux: SIGKILL this child when the zygote dies, so a zygote killed mid-compile leaves no orphan."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
