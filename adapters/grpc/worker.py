"""The worker process of the pool, and the bytes it exchanges with the server over its pipe.

A worker asks the server for the program of the version the pool serves (WANT_PROGRAM), builds the
policy from it (~3 ms: the version is read, linted and compiled once, not in every worker), opens its
own store, then answers requests until its pipe closes. A program made by another build of the code (a
release installed under the running service, which this worker imported) is not unpickled: the worker asks
for the version's rule files (WANT_FILES), compiles them with its own code and warns once.

The hot path is plain bytes, no pickle: a request is one kind byte and the request message; a good answer
is b"K", a 2-byte header length, the header (kind, outcome, grade, version joined by NUL) and the reply
message. Errors (rare) are b"E"
and a pickled tuple. A worker whose rule engine closed sends CLOSING after its last answer: it reads
no request after that one, so the requests already in its pipe can be sent to another worker.

A new policy version is swapped in without a new process, in two steps the pool sends to every
worker: PREPARE (the program a child process compiled, as `policy_engine.api.program_bytes`) makes
the worker build that version beside the one it serves (~2 ms) and answer whether it could; USE
makes every request after it in the pipe go to the prepared version (the old one is freed), and
DISCARD drops a prepared version that will not be used. Each gets one answer, in turn with the
requests' answers.
"""

from __future__ import annotations

import importlib
import json
import logging
import pickle
import signal
from collections.abc import Callable
from typing import Any

from adapters.grpc.logs import configure_logging, event
from adapters.grpc.pipe_frames import FrameReader, send_frame
from adapters.grpc.pipeline import HANDLERS, Outcome, parse_request
from adapters.grpc.runtime import ENGINE_BROKEN_EXIT, settle_heap
from policy_engine.domain.errors import (
    CustomerNotFound,
    EngineFailure,
    EngineUnavailable,
    FieldViolation,
    InvalidInput,
    PolicyError,
    StoredRecordInvalid,
    StoreUnavailable,
)

_PICKLE = pickle.HIGHEST_PROTOCOL
KIND_CODES = {"evaluate": b"e", "check_order": b"c"}
CLOSING = b"X"
"""Sent by a worker after its last answer, before it exits: the requests it holds were never read."""
PREPARE, USE, DISCARD = b"P", b"U", b"D"
"""Control messages (and the first byte of their answers): build a version from program bytes beside
the served one / serve the prepared version from the next request on / drop the prepared version."""
_CONTROL = frozenset(code[0] for code in (PREPARE, USE, DISCARD))
WANT_PROGRAM = b"W"
"""A starting worker's first message, once its imports are done: the server answers with the program of the
version served (`policy_engine.api.program_bytes`; b"" for none: the worker compiles the files it was given).
Not among the process's arguments: spawn writes those into a 64 KiB pipe before the child reads them, so a
program of ~90 KB held `Process.start`, and the server's event loop, until the child had imported all it needs."""
WANT_FILES = b"F"
"""A starting worker's second message, only when the program was made by another build than the one it runs
(policy_engine.program): the server answers with the served version's rule files, {relative path: text}, as
JSON (plain data, read alike by every build), which the worker compiles with its own code."""
FROM_FILES = ("worker built the policy from its files: the program was made by another build ({made_by}; this "
              "worker runs {running}); restart serve to run one build")
"""The warning of a worker that compiled the rule files because the program was made by another build."""
WORKER_IGNORES = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""The signals a worker leaves to the server (worker_main)."""
_KIND_NAMES = {ord(v): k for k, v in KIND_CODES.items()}


def encode_answer(reply: Any, outcome: Outcome) -> bytes:
    """A good answer on the wire."""
    header = "\0".join((outcome.kind, outcome.outcome, outcome.grade, outcome.version,
                        str(outcome.log_failures))).encode()
    message: bytes = reply.SerializeToString()
    return b"K" + len(header).to_bytes(2, "big") + header + message


def decode_answer(data: bytes) -> tuple[bytes, Outcome]:
    """The reply message bytes and the outcome of a good answer."""
    end = 3 + int.from_bytes(data[1:3], "big")
    kind, outcome, grade, version, log_failures = data[3:end].decode().split("\0")
    return data[end:], Outcome(kind, outcome, grade, version, int(log_failures))


def _resolve(spec: str) -> Callable[..., Any]:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def _open_worker_store(store_url: str | None) -> Any:
    if not store_url:
        from adapters.grpc.memory_store import BoundedMemoryStore

        return BoundedMemoryStore()
    from adapters.store import open_store

    # The front process migrated it; a worker started later (a replacement, perhaps of a release installed since)
    # still refuses a store at another schema than its code's, rather than fail or mislog every decision.
    return open_store(store_url, upgrade=False, background_audit=True, require_head=True)


def _error_reply(exc: BaseException) -> tuple[Any, ...]:
    if isinstance(exc, InvalidInput):
        return ("invalid", [(v.field, v.description, v.reason) for v in exc.violations])
    if isinstance(exc, CustomerNotFound):
        return ("not_found", exc.customer_id, exc.hint)
    if isinstance(exc, StoreUnavailable):
        return ("unavailable", exc.detail)
    if isinstance(exc, StoredRecordInvalid):
        return ("stored_invalid", exc.customer_id, [(v.field, v.description, v.reason) for v in exc.violations])
    if isinstance(exc, EngineUnavailable):
        return ("engine_unavailable", exc.detail)
    return ("internal", str(exc) if isinstance(exc, PolicyError) else f"{type(exc).__name__}: {exc}")


def _control(data: bytes, policy: Any, prepared: Any) -> tuple[bytes, Any, Any]:
    """Handle a control message: (its answer, the policy to serve, the prepared policy)."""
    code = data[:1]
    if code == PREPARE:
        if prepared is not None:
            prepared.close()
            prepared = None
        try:
            from policy_engine.api import policy_from_program

            prepared = policy_from_program(data[1:])
            status = ("ready", prepared.version)
        except Exception as exc:
            status = ("failed", f"{type(exc).__name__}: {exc}")
        return PREPARE + pickle.dumps(status, protocol=_PICKLE), policy, prepared
    if code == USE and prepared is not None:
        policy.close()
        settle_heap()  # the old version's objects go; the new one's stay out of later collections
        return USE, prepared, None
    if prepared is not None:  # DISCARD
        prepared.close()
    return code, policy, None


def worker_main(conn: Any, loader_spec: str, files: dict[str, str], store_url: str | None,
                backlog: Any = None) -> None:
    """Run in a spawned process: build the policy once (from the server's program, else by compiling `files`
    with `loader_spec`), then answer requests until EOF. `backlog` (a counter in shared memory) is kept equal
    to what its decision-log writer has not written yet."""
    # Signals sent to the whole process group (Ctrl-C, systemd's stop, a terminal hang-up) are the
    # server's to handle: it drains the calls, then closes the pipe, and the worker ends on EOF. Spawned
    # with them blocked (worker_handle.py): ignored, those pending are dropped, and then they are unblocked.
    for sig in WORKER_IGNORES:
        signal.signal(sig, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, WORKER_IGNORES)
    # What a worker logs (the decision-log writer's lost entries) joins the service's JSON lines on
    # stderr instead of Python's plain last-resort text.
    configure_logging("WARNING")
    started = _start(conn, loader_spec, files, store_url, backlog)
    if started is None:
        return
    policy, store = started
    try:
        exit_code = _answer_until_eof(conn, policy, store)
    finally:
        if hasattr(store, "close"):
            store.close()
    if exit_code:
        raise SystemExit(exit_code)


def _start(conn: Any, loader_spec: str, files: dict[str, str], store_url: str | None,
           backlog: Any) -> tuple[Any, Any] | None:
    """Build the policy and open the store, then tell the server: (policy, store) after `ready`, None
    after `failed` (why the worker could not start; it exits) or when the server is gone."""
    try:
        conn.send_bytes(WANT_PROGRAM)
        program = conn.recv_bytes()
    except (EOFError, OSError):  # the server is gone (killed, or stopped as this worker started): exit quietly
        return None
    try:
        policy = _build_policy(conn, program, loader_spec, files)
        store = _open_worker_store(store_url)
        if backlog is not None and hasattr(store, "mirror_log_backlog"):
            store.mirror_log_backlog(backlog)
        settle_heap()
    except BaseException as exc:  # report why the worker could not start, then exit
        _tell_server(conn, ("failed", f"{type(exc).__name__}: {exc}"))
        return None
    if not _tell_server(conn, ("ready", policy.version)):
        if hasattr(store, "close"):
            store.close()
        return None
    return policy, store


def _build_policy(conn: Any, program: bytes, loader_spec: str, files: dict[str, str]) -> Any:
    """The policy from the version's program; compiled from its files (`files`, else asked for) without one (a
    loader whose policy has none), or when another build made the program: its pickle is never read then."""
    if not program:
        return _resolve(loader_spec)(files)
    from policy_engine.api import ProgramFromAnotherBuild, policy_from_program

    try:
        return policy_from_program(program)
    except ProgramFromAnotherBuild as exc:
        other = exc
    policy = _resolve(loader_spec)(files or _ask_for_files(conn))
    event(FROM_FILES.format(made_by=other.made_by, running=other.running), logging.WARNING,
          version=policy.version, program_build=other.made_by, worker_build=other.running)
    return policy


def _ask_for_files(conn: Any) -> dict[str, str]:
    """The served version's rule files, from the server (WANT_FILES)."""
    conn.send_bytes(WANT_FILES)
    files = json.loads(conn.recv_bytes())
    if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        raise ValueError("the server's answer to WANT_FILES is not {path: text}")
    return files


def _tell_server(conn: Any, status: tuple[str, str]) -> bool:
    """Send the start's outcome; False when the server is gone meanwhile (killed, or stopped as this worker
    started): the worker then exits quietly, where the broken pipe printed a traceback."""
    return _sent(conn, pickle.dumps(status))


def _answer_until_eof(conn: Any, policy: Any, store: Any) -> int:
    """Answer requests and control messages until the pipe closes (0) or the rule engine closed
    (ENGINE_BROKEN_EXIT, after CLOSING)."""
    prepared = None
    broken: str | None = None
    requests = FrameReader(conn)  # one read for a request, none for the one behind it (pipe_frames.py)
    while True:
        try:
            data = requests.read()
        except EOFError:
            return 0
        if data[0] in _CONTROL:
            answer, policy, prepared = _control(data, policy, prepared)
        else:
            answer, broken = _answer(data, policy, store)
        if not _sent(conn, answer):
            return 0
        if broken:
            # Every later call would fail too: this one is answered; say that the requests behind it
            # will not be read (the pool sends them to another worker), then exit so that the pool
            # starts a fresh worker (the store's decision log is flushed on the way out).
            _sent(conn, CLOSING)
            event("worker engine closed", logging.ERROR, reason=broken, version=policy.version,
                  action="the worker exits and is replaced; the requests it holds go to another worker")
            return ENGINE_BROKEN_EXIT


def _sent(conn: Any, frame: bytes) -> bool:
    """Send one frame; False when the server closed the pipe first (a stop whose --grace ran out, or a pool
    closed during a reload's PREPARE/USE): nobody takes it, and the worker ends as on EOF, where the broken
    pipe printed a BrokenPipeError traceback into the service's JSON log."""
    try:
        send_frame(conn, frame)
    except OSError:
        return False
    return True


def _answer(data: bytes, policy: Any, store: Any) -> tuple[bytes, str | None]:
    """A request's answer, and why the rule engine closed if it failed for that reason."""
    try:
        kind = _KIND_NAMES[data[0]]
        reply, outcome = HANDLERS[kind](parse_request(kind, data[1:]), policy, store)
        return encode_answer(reply, outcome), None
    except Exception as exc:
        return b"E" + pickle.dumps(_error_reply(exc), protocol=_PICKLE), getattr(policy, "engine_broken", None)


def raise_error(answer: tuple[Any, ...]) -> None:
    """Raise the domain error a worker reported."""
    status = answer[0]
    if status == "invalid":
        raise InvalidInput([FieldViolation(*v) for v in answer[1]])
    if status == "not_found":
        raise CustomerNotFound(answer[1], *answer[2:3])
    if status == "unavailable":
        raise StoreUnavailable(answer[1])
    if status == "stored_invalid":
        raise StoredRecordInvalid(answer[1], [FieldViolation(*v) for v in answer[2]])
    if status == "engine_unavailable":
        raise EngineUnavailable(answer[1])
    raise EngineFailure(str(answer[1]))
