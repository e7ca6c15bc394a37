"""Re-evaluate many customers over EvaluateCustomers, as an ERP's morning job does (docs/service.md, "A bulk client").

    .venv/bin/python examples/bulk_evaluate.py localhost:50051 ids.txt --as-of 2026-11-22 > decisions.jsonl

One customer id a line in; one JSON line a customer out, in the order of the file: its decision, or the error of
that item alone. Each item is answered once: when the server stops mid-stream, the stream is resumed from the
first item it did not answer, on a new call.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import json_format

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the generated stubs, run from a clone
from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb  # noqa: E402
from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2_grpc as pb_grpc  # noqa: E402

SECONDS_PER_ITEM = 0.02
"""A stream's deadline grows with what it carries: 50 items/s is well below one server process's rate."""
ATTEMPTS = 8
"""Calls per batch before giving up: a stop, a replacement or a restart each take one."""


async def _send(call: grpc.aio.StreamStreamCall[Any, Any], requests: Sequence[pb.EvaluateCustomerRequest]) -> None:
    # call.write rather than a request iterator: with an iterator, grpc.aio (1.7x-1.8x) reports a passed
    # deadline as INTERNAL "Internal error from Core". write waits while the server's window is full.
    for request in requests:
        await call.write(request)
    await call.done_writing()


def _ended_by_the_server(error: grpc.aio.AioRpcError) -> bool:
    """UNAVAILABLE (a server stopping, or gone); or grpc.aio's INTERNAL "Internal error from Core" for a write that
    failed because the server had just ended the stream: grpc.aio then reports that in place of the server's own
    status (grpc/grpc#36066, open), so a stop seen while writing looks like this half the time."""
    if error.code() == grpc.StatusCode.UNAVAILABLE:
        return True
    return error.code() == grpc.StatusCode.INTERNAL and '"execute_batch"' in (error.debug_error_string() or "")


async def evaluate_all(stub: pb_grpc.CreditPolicyServiceStub, requests: Sequence[pb.EvaluateCustomerRequest],
                       ) -> list[pb.EvaluateCustomersResponse]:
    """One reply per request, in request order: a stream, resumed on a new call from the first item not answered
    when the server ends it (a server stopping: SERVER_STOPPING's next_index is that item; _ended_by_the_server)."""
    replies: list[pb.EvaluateCustomersResponse] = []
    for attempt in range(ATTEMPTS):
        pending = requests[len(replies):]
        call = stub.EvaluateCustomers(timeout=10 + SECONDS_PER_ITEM * len(pending), wait_for_ready=True)
        writer = asyncio.ensure_future(_send(call, pending))
        try:
            async for reply in call:  # in request order: reply.index is the item's place in `pending`
                replies.append(reply)
            return replies
        except grpc.aio.AioRpcError as error:
            if not _ended_by_the_server(error) or attempt == ATTEMPTS - 1:
                raise
            await asyncio.sleep(min(0.1 * 2 ** attempt, 2.0))  # nothing from len(replies) on was decided
        finally:
            writer.cancel()  # its write fails once the call has ended; the read side has the status
            if writer.done() and not writer.cancelled():
                writer.exception()  # taken, so that asyncio does not log it as never retrieved
    return replies


def _line(reply: pb.EvaluateCustomersResponse) -> str:
    reply.ClearField("index")  # its place in one call: after a resume it starts again at 0; request_id names the line
    return json_format.MessageToJson(reply, indent=None, preserving_proto_field_name=True)


async def main(argv: Sequence[str] | None = None) -> None:
    """Evaluate the ids of a file, print a JSON line each."""
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("target")
    args.add_argument("ids", type=Path)
    args.add_argument("--as-of", default="")
    parsed = args.parse_args(argv)
    ids = [line.strip() for line in parsed.ids.read_text().splitlines() if line.strip()]
    # request_id: the line number, unique within the run, so a reply names the line it answers
    requests = [pb.EvaluateCustomerRequest(customer_id=customer_id, as_of=parsed.as_of, request_id=str(line))
                for line, customer_id in enumerate(ids, 1)]
    options = [("grpc.max_receive_message_length", 8 * 1024 * 1024)]  # the service's reply bound
    async with grpc.aio.insecure_channel(parsed.target, options=options) as channel:
        for reply in await evaluate_all(pb_grpc.CreditPolicyServiceStub(channel), requests):
            print(_line(reply))


if __name__ == "__main__":
    asyncio.run(main())
