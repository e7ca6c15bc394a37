"""Thin servicer: each RPC hands its request to the served engine (adapters/grpc/pipeline.py does
proto → domain → policy → proto) and maps domain errors to status codes through one table.

The decision RPCs take their requests as wire bytes (`add_service`, adapters/grpc/handlers.py): the
engine parses them where the decision runs (a worker process, in the pool model, so the gRPC process
never parses or re-serialises them), and bytes that are not a request message get INVALID_ARGUMENT,
where gRPC's own deserializer would answer UNKNOWN and log a traceback for every such call. The unary
ones, GetPolicy too, read their one request themselves (`read_request`), so that a call whose request
never arrives is counted; a decision call is in flight from its start, also while its request arrives.

How a call ends (abort, what a cancelled call counts as, failure logs) is adapters/grpc/call_end.py;
GetPolicy's answer is adapters/grpc/policy_info.py."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import grpc

from adapters.grpc.call_end import (
    CALL_ENDED,
    NoRequest,
    abort,
    answer_no_request,
    cancelled_code,
    deadline_passed,
    half_closed_code,
    log_failure,
    log_unexpected,
    read_request,
    stream_item,
)
from adapters.grpc.errors import (
    INTERNAL_ERROR,
    busy_status,
    fill_item_error,
    internal_status,
    rich_status,
    status_code_of,
)
from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2_grpc as pb_grpc
from adapters.grpc.heap_trim import HeapTrim
from adapters.grpc.host import PolicyHost
from adapters.grpc.logs import event
from adapters.grpc.mapping import request_id_problem
from adapters.grpc.pipeline import echoed_request_id, parse_message, parse_request
from adapters.grpc.policy_info import policy_info
from adapters.grpc.runtime import DEFAULT_MAX_IN_FLIGHT
from adapters.grpc.stream_window import StreamWindow
from policy_engine.domain.errors import InvalidInput, PolicyError

if TYPE_CHECKING:
    from adapters.grpc.call_end import Context

REFUSED_LOG_EVERY_S = 10.0
"""At most one `calls refused` line this often while calls are refused (each is counted in the metrics)."""



class CreditPolicyServicer(pb_grpc.CreditPolicyServiceServicer):
    """credit_policy.v1.CreditPolicyService over a PolicyHost."""

    def __init__(self, host: PolicyHost, max_in_flight: int = DEFAULT_MAX_IN_FLIGHT):
        self.host = host
        self.metrics = host.metrics
        self.max_in_flight = max_in_flight
        self.in_flight = 0
        """Decision calls and streams admitted and not finished, a unary call from its start (also while its request
        arrives: its caller waits); GetPolicy, health and reflection aside."""
        self.heap = HeapTrim()
        """Counts big requests; run_service trims the heap once they are done (adapters/grpc/heap_trim.py)."""
        self._refused = 0
        self._refused_logged_at = float("-inf")
        self.metrics.track_in_flight(lambda: self.in_flight, max_in_flight)

    async def _refuse(self, method: str, context: Context) -> None:
        """Answer RESOURCE_EXHAUSTED: the process already has max_in_flight calls (counted; logged now and then)."""
        self._refused += 1
        now = time.monotonic()
        if now - self._refused_logged_at >= REFUSED_LOG_EVERY_S:
            event("calls refused", logging.WARNING, refused=self._refused, in_flight=self.in_flight,
                  max_in_flight=self.max_in_flight, last_method=method)
            self._refused, self._refused_logged_at = 0, now
        self.metrics.observe_call(method, "RESOURCE_EXHAUSTED", 0.0)
        status = busy_status(self.in_flight, self.max_in_flight)
        await abort(context, status.code, status.details, status.trailing_metadata)
        raise asyncio.CancelledError  # the caller had gone already: nobody to answer, nothing to decide

    async def _decide(self, kind: str, request: bytes, flow: object | None = None) -> Any:
        reply, outcome = await self.host.engine.run(kind, request, flow)  # positional: a keyword costs ~30 ns a call
        self.metrics.observe_decision(outcome.kind, outcome.outcome, outcome.grade)
        if outcome.log_failures:
            self.metrics.log_failures.inc(outcome.log_failures)
        return reply

    async def _unary(self, method: str, kind: str, context: Context) -> Any:
        # In flight from the call's start, as its caller sees it: also while its request is still arriving.
        if self.in_flight >= self.max_in_flight:
            await self._refuse(method, context)
        self.in_flight += 1
        started = time.perf_counter()
        code = "OK"
        try:
            # Past the deadline gRPC cancels this task (CancelledError below): no timer of our own. The
            # call's flow is its connection (`ipv4:10.0.0.7:54321`; ~0.1 µs): when callers wait, one
            # connection's flood of unary calls takes turns with other connections' calls (fair_line.py).
            reply = await self._decide(kind, await self._request(context), context.peer())
            if deadline_passed(context):
                # Decided without a break gRPC could cancel at (the in-process engine without a store
                # thread decides on the event loop): the caller has been told DEADLINE_EXCEEDED.
                code = "DEADLINE_EXCEEDED"
            return reply
        except NoRequest as exc:
            code = exc.code
            await answer_no_request(exc, context)
        except PolicyError as exc:
            code = status_code_of(exc).name
            log_failure(method, code, exc, context)
            code = await _abort_with(rich_status(exc), context)
            raise asyncio.CancelledError from None
        except asyncio.CancelledError:
            code = cancelled_code(context)
            raise
        except grpc.aio.AbortError:
            raise
        except Exception as exc:
            code = "INTERNAL"
            log_unexpected(method, context)
            code = await _abort_with(internal_status(f"internal error: {type(exc).__name__}"), context)
            raise asyncio.CancelledError from None
        finally:
            # Counted before it leaves the in-flight gauge: a scrape (on the metrics thread) that sees no
            # call in flight then also sees this one counted.
            self.metrics.observe_call(method, code, time.perf_counter() - started)
            self.in_flight -= 1

    async def _request(self, context: Context) -> bytes:
        """The call's request (read_request: NoRequest if none came), once the call still wants an answer."""
        request = await read_request(context)
        self.heap.note(len(request))
        remaining = context.time_remaining()
        if remaining is not None and remaining <= 0:
            # gRPC has told the caller DEADLINE_EXCEEDED already (or is about to): nothing to decide
            # and nobody to answer; an abort now would fail on the ended call.
            raise asyncio.CancelledError
        return request

    async def EvaluateCustomer(self, requests: Any,  # noqa: N802
                               context: Context) -> pb.CustomerDecision | bytes:
        """Evaluate one customer (an EvaluateCustomerRequest's bytes → a CustomerDecision or its bytes)."""
        return await self._unary("EvaluateCustomer", "evaluate", context)  # type: ignore[no-any-return]

    async def CheckOrder(self, requests: Any,  # noqa: N802
                         context: Context) -> pb.OrderDecision | bytes:
        """Decide one order (a CheckOrderRequest's bytes → an OrderDecision or its bytes)."""
        return await self._unary("CheckOrder", "check_order", context)  # type: ignore[no-any-return]

    async def GetPolicy(self, requests: Any,  # noqa: N802
                        context: Context) -> pb.PolicyInfo:
        """The version being served and the last refused reload (a GetPolicyRequest's bytes → PolicyInfo);
        read and counted as the decision calls are, outside max_in_flight (a control call)."""
        started = time.perf_counter()
        code = "OK"
        try:
            include_files = parse_message(pb.GetPolicyRequest, await read_request(context)).include_files
            return policy_info(self.host, include_files)
        except NoRequest as exc:
            code = exc.code
            await answer_no_request(exc, context)
        except InvalidInput as exc:
            code = "INVALID_ARGUMENT"
            code = await _abort_with(rich_status(exc), context)
            raise asyncio.CancelledError from None
        except asyncio.CancelledError:
            code = cancelled_code(context)
            raise
        finally:
            self.metrics.observe_call("GetPolicy", code, time.perf_counter() - started)

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
                           context: Context) -> None:
        """Start deciding each request as it comes, at most `window` ahead; None in `results` when done."""
        try:
            index = 0
            async for request in request_iterator:
                self.heap.note(len(request))
                await window.take(len(request))
                # The window is this stream's own object: it names the stream's flow, so the worker pool
                # lets the stream's items take turns with other callers' (fair dispatch) rather than queue ahead.
                results.put_nowait(asyncio.ensure_future(self._stream_item(index, request, window, context)))
                index += 1
        finally:
            results.put_nowait(None)


async def _write_stream(results: asyncio.Queue[asyncio.Future[pb.EvaluateCustomersResponse] | None],
                        window: StreamWindow, reader: asyncio.Future[None], context: Context) -> str:
    """Send the replies in request order until the reader is done: the stream's status code."""
    replied = False
    try:
        while (item := await results.get()) is not None:
            response = await item
            window.release()
            await context.write(response)
            replied = True
        await reader
        if deadline_passed(context):
            # Its deadline passed and gRPC ended the request stream: the reader finished as if the caller
            # had closed its side.
            return cancelled_code(context)
    except CALL_ENDED:
        # The write met a call that had already ended in gRPC's core (the caller cancelled, or its
        # deadline passed), before the context learns of it: nobody is left to answer.
        return cancelled_code(context)
    return await half_closed_code(context, replied)


async def _abort_with(status: grpc.Status, context: Context) -> str:
    """End the call with `status` (abort raises AbortError); what it counts as if its caller had gone already."""
    await abort(context, status.code, status.details, status.trailing_metadata)
    return cancelled_code(context)
