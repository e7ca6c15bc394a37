"""The EvaluateCustomers stream of the servicer (adapters/grpc/servicer.py): its requests decided as they come,
at most a StreamWindow ahead, its replies written in request order, what it ends counted as, and how a server
stop ends it (SERVER_STOPPING, naming the first item it did not take)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from adapters.grpc.call_end import (
    CALL_ENDED,
    abort,
    cancelled_code,
    deadline_passed,
    half_closed_code,
    log_failure,
    log_unexpected,
    stream_item,
)
from adapters.grpc.errors import INTERNAL_ERROR, fill_item_error, stopping_status
from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from adapters.grpc.host import PolicyHost
from adapters.grpc.mapping import request_id_problem
from adapters.grpc.pipeline import echoed_request_id, parse_request
from adapters.grpc.runtime import DEFAULT_MAX_IN_FLIGHT
from adapters.grpc.servicer_core import ServicerCore
from adapters.grpc.stream_window import StreamWindow
from policy_engine.domain.errors import InvalidInput, PolicyError

if TYPE_CHECKING:
    from adapters.grpc.call_end import Context


class StreamServicer(ServicerCore):
    """credit_policy.v1.CreditPolicyService's EvaluateCustomers."""

    def __init__(self, host: PolicyHost, max_in_flight: int = DEFAULT_MAX_IN_FLIGHT):
        super().__init__(host, max_in_flight)
        self.streams_stopping = False
        """Set by stop_streams: a stream takes no more requests."""
        self._stream_readers: set[asyncio.Task[Any]] = set()

    def stop_streams(self) -> None:
        """A server stop began: every open stream stops taking requests, answers those it took, then ends
        UNAVAILABLE SERVER_STOPPING naming the first one not taken (a stream opened from now on takes none).
        Before, a stream went on taking requests through the whole --grace and was then cut off: a bulk
        caller's stream never ends within it, and the replies of the items being decided were lost with it."""
        self.streams_stopping = True
        for reader in self._stream_readers:
            reader.cancel()

    async def _stream_item(self, index: int, raw: bytes, flow: object,
                           context: Context) -> pb.EvaluateCustomersResponse:
        out = pb.EvaluateCustomersResponse(index=index)
        try:
            request_id = parse_request("evaluate", raw).request_id  # a bad item: INVALID_ARGUMENT
            if not request_id_problem(request_id):  # a bad one is not echoed (its item gets the violation)
                out.request_id = request_id
            decision = await self._decide("evaluate", raw, flow)
            if isinstance(decision, bytes):
                out.decision.ParseFromString(decision)
            else:
                out.decision.CopyFrom(decision)
            out.policy_version = out.decision.policy_version
        except PolicyError as exc:
            out.policy_version = self.host.engine.version
            fill_item_error(exc, out.error)
            log_failure("EvaluateCustomers", out.error.code, exc, context, stream_item(index, out.request_id))
            if isinstance(exc, InvalidInput):
                out.request_id = out.request_id or echoed_request_id(raw)  # refused for its wire form, before
        except Exception as exc:
            log_unexpected("a stream item", context, stream_item(index, out.request_id))
            out.policy_version = self.host.engine.version
            out.error.code, out.error.reason = "INTERNAL", INTERNAL_ERROR
            out.error.message = f"internal error: {type(exc).__name__}"
        return out

    async def EvaluateCustomers(self, request_iterator: AsyncIterator[bytes],  # noqa: N802
                                context: Context) -> None:
        """Bulk evaluation, answered in request order with at most a StreamWindow of items in flight. The
        stream takes one place of max_in_flight for as long as it is open.

        Replies go out with `context.write`, not `yield`: a write that meets a call the caller has
        cancelled (or whose deadline passed) then fails here, where it is counted for what it is. From
        an async generator gRPC's own write failed instead, logged its ExecuteBatchError traceback, and
        the generator was closed later with the stream counted OK."""
        if self.in_flight >= self.max_in_flight:
            await self._refuse("EvaluateCustomers", context)
        self.in_flight += 1
        started = time.perf_counter()
        code = "OK"
        window = StreamWindow()
        results: asyncio.Queue[asyncio.Future[pb.EvaluateCustomersResponse] | None] = asyncio.Queue()
        reader = asyncio.ensure_future(self._read_stream(request_iterator, window, results, context))
        try:
            code = await _write_stream(results, window, reader, context)
            if code == STOPPED_READING:
                code, next_index = "UNAVAILABLE", reader.result()
                assert next_index is not None  # STOPPED_READING: the reader returned where it stopped
                status = stopping_status(next_index)
                await abort(context, status.code, status.details, status.trailing_metadata)  # raises AbortError
                code = cancelled_code(context)  # the caller had gone already
        except asyncio.CancelledError:
            code = cancelled_code(context)
            raise
        finally:
            reader.cancel()
            while not results.empty():
                if (pending := results.get_nowait()) is not None:
                    pending.cancel()
            self.metrics.observe_call("EvaluateCustomers", code, time.perf_counter() - started)
            self.in_flight -= 1  # after the count, as in _unary

    async def _read_stream(self, request_iterator: AsyncIterator[bytes], window: StreamWindow,
                           results: asyncio.Queue[asyncio.Future[pb.EvaluateCustomersResponse] | None],
                           context: Context) -> int | None:
        """Start deciding each request as it comes, at most `window` ahead; None in `results` when done. Returns
        None when the requests ended, or the index of the first request not taken when a server stop ended the
        reading (stop_streams cancels it: a request read but not yet in the window is not taken either)."""
        index = 0
        reader = asyncio.current_task()
        assert reader is not None  # a coroutine run as a task (EvaluateCustomers)
        self._stream_readers.add(reader)  # here, not by the caller: stop_streams then cancels it inside the try
        try:
            if self.streams_stopping:
                return index
            async for request in request_iterator:
                self.heap.note(len(request))
                await window.take(len(request))
                # The window is this stream's own object: it names the stream's flow, so the worker pool
                # lets the stream's items take turns with other callers' (fair dispatch) rather than queue ahead.
                results.put_nowait(asyncio.ensure_future(self._stream_item(index, request, window, context)))
                index += 1
        except asyncio.CancelledError:
            if not self.streams_stopping:
                raise
            return index
        finally:
            self._stream_readers.discard(reader)
            results.put_nowait(None)
        return None


STOPPED_READING = "stopped reading"
"""What _write_stream returns when a server stop ended the reading: every item taken has been answered."""


async def _write_stream(results: asyncio.Queue[asyncio.Future[pb.EvaluateCustomersResponse] | None],
                        window: StreamWindow, reader: asyncio.Future[int | None], context: Context) -> str:
    """Send the replies in request order until the reader is done: the stream's status code, or
    STOPPED_READING when a server stop ended the reading and the replies of what it took are sent."""
    replied = False
    try:
        while (item := await results.get()) is not None:
            response = await item
            window.release()
            await context.write(response)
            replied = True
        if await reader is not None:
            return STOPPED_READING
        if deadline_passed(context):
            # Its deadline passed and gRPC ended the request stream: the reader finished as if the caller
            # had closed its side.
            return cancelled_code(context)
    except CALL_ENDED:
        # The write met a call that had already ended in gRPC's core (the caller cancelled, or its
        # deadline passed), before the context learns of it: nobody is left to answer.
        return cancelled_code(context)
    return await half_closed_code(context, replied)
