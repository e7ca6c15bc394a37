"""How a decision call ends: aborting it with a status when there is still someone to tell, what a call
that gRPC cancelled (or a stream whose connection was lost, or a unary call whose request never came) is
counted as, and what the service logs of a failed call (adapters/grpc/servicer.py)."""

from __future__ import annotations

import asyncio
import logging
import re
import traceback
from typing import TYPE_CHECKING, Any, NoReturn, TypeAlias

import grpc
from grpc._cython import cygrpc  # type: ignore[attr-defined]

from adapters.grpc.engines import NoWorkerRunning
from adapters.grpc.errors import no_request_status
from adapters.grpc.logs import event
from adapters.grpc.mapping import request_id_problem
from policy_engine.domain.errors import EngineUnavailable, PolicyError, StoredRecordInvalid, StoreUnavailable

CALL_ENDED: tuple[type[BaseException], ...] = tuple(
    t for t in (getattr(cygrpc, "ExecuteBatchError", None),) if isinstance(t, type))
"""What a write on a call that gRPC's core has already ended raises (cygrpc's, not public API)."""

LOG = logging.getLogger("adapters.grpc.servicer")
"""Unexpected errors are logged under the servicer's logger, as they were before they named their caller."""

if TYPE_CHECKING:  # generic in grpcio's stubs only; the decision RPCs take bytes (servicer.py), so Any, Any
    Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]


async def abort(context: Context, code: grpc.StatusCode, details: str, trailing: Any = ()) -> bool:
    """End the call with `code` (raises AbortError, as context.abort does); False if the call had already
    ended — its deadline passed or its caller went away while it was being decided — so there is
    nobody left to tell (gRPC refuses an abort then, and its error would read as our own failure)."""
    if context.done() or context.cancelled():
        return False
    try:
        await context.abort(code, details, trailing)
    except grpc.aio.AbortError as exc:
        # gRPC keeps the AbortError on the call, its traceback holds the servicer's frames and they hold the
        # context: a cycle that kept each refused request's bytes (up to 8 MiB) until a full garbage
        # collection, which rarely comes. Once the call is done, its frames are cleared and it is freed at once.
        error = exc

        def free(_context: Any) -> None:
            clear_frames(error)

        context.add_done_callback(free)  # type: ignore[arg-type]  # the stubs want a class, gRPC calls any callable
        raise
    except Exception:  # cygrpc's ExecuteBatchError: the call ended between the check and the abort
        return False
    return False  # not reached: abort always raises


def clear_frames(error: BaseException | None) -> None:
    """Clear the locals of the (finished) frames in an exception's traceback and those of its context."""
    while error is not None:
        traceback.clear_frames(error.__traceback__)
        error = error.__context__


def deadline_passed(context: Any) -> bool:
    """Has the call's deadline passed (False for a call without one)?"""
    remaining = context.time_remaining()
    return remaining is not None and remaining <= 0


DEADLINE_SLACK_S = 0.05
"""A call cancelled with at most this left of its deadline is counted DEADLINE_EXCEEDED (cancelled_code)."""


def cancelled_code(context: Any) -> str:
    """What a call that gRPC cancelled is counted as: DEADLINE_EXCEEDED if its deadline passed, or had at
    most DEADLINE_SLACK_S to go (what the caller was told), else CANCELLED (the caller went away, or the
    server stopped)."""
    remaining = context.time_remaining()
    # The server's deadline starts when the request's headers arrive, the caller's when it sent them: the
    # caller's passes first, and the cancel it then sends can land here before ours does (gRPC itself calls
    # that CANCELLED). Seen under load with 0.4 to 20.4 ms of a ~0.1 s deadline left; the slack covers such
    # delays at the cost of counting a caller who cancels in its deadline's last 50 ms as timed out.
    return "DEADLINE_EXCEEDED" if remaining is not None and remaining <= DEADLINE_SLACK_S else "CANCELLED"


async def half_closed_code(context: Context, replied: bool) -> str:
    """What a stream whose requests ended with every reply sent is counted as: OK when its caller closed its
    side; CANCELLED (or DEADLINE_EXCEEDED) when its connection was lost (a keepalive ping unanswered), which
    ends the request stream just as a close does, gRPC's word of the cancel coming ~0.1-0.4 ms later."""
    # grpc.aio's context.cancelled() never says so (it reads the code the servicer set), and gRPC cancels
    # this task only when the core's RECV_CLOSE_ON_SERVER completes cancelled: after the EOF, and only if
    # the servicer has not returned by then. One more batch on the call waits for it without a timer
    # (~0.05-0.15 ms for a caller that closed its side): headers, if no reply sent them, which the core
    # refuses on a call it has ended; else one more read (EOF again), whose completion came after the
    # cancel in every run measured; the loop turn lets gRPC's cancel run should both completions be
    # handed over at once, the read's first.
    try:
        if replied:
            await context.read()
            await asyncio.sleep(0)
        else:
            await context.send_initial_metadata(())
    except CALL_ENDED:
        return cancelled_code(context)
    return "OK"


_READ_ENDED: tuple[type[BaseException], ...] = (asyncio.CancelledError, grpc.aio.UsageError, *CALL_ENDED)
"""What a read or a batch raises on a call gRPC has ended: it cancels the task (UsageError: ended before the read)."""


class NoRequest(Exception):
    """A unary call that ended without its request message; `code`: what it is counted as."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


async def read_request(context: Context) -> bytes:
    """A unary call's one request message, read by the servicer rather than by gRPC (handlers.add_service says
    why); NoRequest if none came: the deadline passed first (DEADLINE_EXCEEDED), the caller sent none
    (INVALID_ARGUMENT, to be answered: answer_no_request), or the call ended otherwise (CANCELLED: see below)."""
    try:
        request = await context.read()
        if request is not grpc.aio.EOF:
            return request  # type: ignore[no-any-return]  # bytes: the handler has no deserializer
        if cancelled_code(context) == "DEADLINE_EXCEEDED":
            raise NoRequest("DEADLINE_EXCEEDED")
        # EOF also ends a call gRPC has ended: the caller cancelled, its connection was lost, the server stopped,
        # or its request was over the size limit (gRPC told it RESOURCE_EXHAUSTED). grpcio gives the servicer
        # the same for all of them (EOF, then a cancel; no code, no details: grpcio 1.85), so all count as
        # CANCELLED. One more batch, refused on an ended call, tells them from a caller that sent no request
        # at all, who is still there to be answered.
        await context.send_initial_metadata(())
    except _READ_ENDED:
        raise NoRequest(cancelled_code(context)) from None
    raise NoRequest("INVALID_ARGUMENT")


async def answer_no_request(exc: NoRequest, context: Context) -> NoReturn:
    """End a call without its request: answered INVALID_ARGUMENT if its caller sent none (abort raises
    AbortError), else CancelledError: nobody is left to answer."""
    if exc.code == "INVALID_ARGUMENT":
        status = no_request_status()
        await abort(context, status.code, status.details, status.trailing_metadata)
    raise asyncio.CancelledError


REQUEST_ID_KEY = "x-request-id"
"""The metadata key integrators commonly send their own id for a call under; failure lines name it."""

_LOGGABLE_REQUEST_ID = re.compile(r"[\x20-\x7e]{1,128}")
"""A request id a log line may carry: 1 to 128 printable ASCII characters (no line breaks, no escapes)."""


def caller_fields(context: Any) -> dict[str, str]:
    """Who a failure's log line names: the call's peer, and the caller's `x-request-id` (the first sent) when it
    is a loggable id; another is left out, never echoed raw (it could forge lines or flood the log). Read
    only when a call fails: a decided call pays nothing for it."""
    fields = {"peer": context.peer()}
    for key, value in context.invocation_metadata() or ():
        if key == REQUEST_ID_KEY:
            if isinstance(value, str) and _LOGGABLE_REQUEST_ID.fullmatch(value):
                fields["request_id"] = value
            break
    return fields


def stream_item(index: int, request_id: str) -> dict[str, Any]:
    """Which item of an EvaluateCustomers stream a failure's line is about: its index, and its own `request_id`
    when its reply would echo it (at most 64 characters, none of them a control, bidi or invisible one:
    mapping.request_id_problem), so the id an integrator matches replies by finds the line too. Without
    it, the line named the stream's `x-request-id` only, the same for every item of a bulk run."""
    fields: dict[str, Any] = {"item_index": index}
    if request_id and not request_id_problem(request_id):
        fields["item_request_id"] = request_id
    return fields


def log_failure(method: str, code: str, exc: PolicyError, context: Any, item: dict[str, Any] | None = None) -> None:
    """Log what is the service's side of a failed call, naming its caller and, for a stream, its `item`
    (stream_item); the caller's bad input is not logged."""
    line = _failure_line(code, exc)
    if line is not None:
        name, level, fields = line
        event(name, level, method=method, **fields, **caller_fields(context), **(item or {}))


def log_unexpected(where: str, context: Any, item: dict[str, Any] | None = None) -> None:
    """Log the exception being handled, a bug, with its traceback, the call's caller and its stream `item`, if any."""
    LOG.exception("unexpected error in %s", where, extra={"fields": {**caller_fields(context), **(item or {})}})


def _failure_line(code: str, exc: PolicyError) -> tuple[str, int, dict[str, Any]] | None:
    """The event, level and fields a failure is logged with; None for one that is not the service's to log."""
    if isinstance(exc, StoreUnavailable):
        return "store unavailable", logging.ERROR, {"error": exc.detail}
    if isinstance(exc, StoredRecordInvalid):
        return "stored record invalid", logging.ERROR, {"customer_id": exc.customer_id,
                                                        "problems": [str(v) for v in exc.violations[:20]]}
    if isinstance(exc, NoWorkerRunning):
        return None  # the pool logs each failed start of a worker (`worker process failed to start`), not each call
    if isinstance(exc, EngineUnavailable):  # the process is being replaced; the caller may retry
        return "call met a closed engine", logging.WARNING, {"error": exc.detail}
    if code == "INTERNAL":
        return "engine failure", logging.ERROR, {"error": str(exc)}
    return None
