"""Thin servicer: each RPC hands its request to the served engine (adapters/grpc/pipeline.py does
proto → domain → policy → proto) and maps domain errors to status codes through one table.

The decision RPCs take their requests as wire bytes (`add_service`, adapters/grpc/handlers.py): the
engine parses them where the decision runs (a worker process, in the pool model, so the gRPC process
never parses or re-serialises them), and bytes that are not a request message get INVALID_ARGUMENT,
where gRPC's own deserializer would answer UNKNOWN and log a traceback for every such call. The unary
ones, GetPolicy too, read their one request themselves (`read_request`), so that a call whose request
never arrives is counted; a decision call is in flight from its start, also while its request arrives.

The stream is adapters/grpc/servicer_stream.py, what all RPCs share (admission) adapters/grpc/servicer_core.py.
How a call ends (abort, what a cancelled call counts as, failure logs) is adapters/grpc/call_end.py;
GetPolicy's answer is adapters/grpc/policy_info.py."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import grpc

from adapters.grpc.call_end import (
    NoRequest,
    abort,
    answer_no_request,
    cancelled_code,
    deadline_passed,
    log_failure,
    log_unexpected,
    read_request,
)
from adapters.grpc.errors import internal_status, rich_status, status_code_of
from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2_grpc as pb_grpc
from adapters.grpc.pipeline import parse_message
from adapters.grpc.policy_info import policy_info
from adapters.grpc.servicer_core import REFUSED_LOG_EVERY_S as REFUSED_LOG_EVERY_S
from adapters.grpc.servicer_stream import StreamServicer
from policy_engine.domain.errors import InvalidInput, PolicyError

if TYPE_CHECKING:
    from adapters.grpc.call_end import Context


class CreditPolicyServicer(StreamServicer, pb_grpc.CreditPolicyServiceServicer):
    """credit_policy.v1.CreditPolicyService over a PolicyHost: the unary RPCs here, the stream in StreamServicer
    (adapters/grpc/servicer_stream.py), what both share in ServicerCore (adapters/grpc/servicer_core.py)."""

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
        self.policy_calls += 1
        try:
            request = parse_message(pb.GetPolicyRequest, await read_request(context))
            return policy_info(self.host, request.include_files, brief=request.brief)
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
            self.policy_calls -= 1
            self.metrics.observe_call("GetPolicy", code, time.perf_counter() - started)


async def _abort_with(status: grpc.Status, context: Context) -> str:
    """End the call with `status` (abort raises AbortError); what it counts as if its caller had gone already."""
    await abort(context, status.code, status.details, status.trailing_metadata)
    return cancelled_code(context)
