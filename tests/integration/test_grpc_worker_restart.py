"""Starting and restarting the worker pool's processes: a start that timed out leaves nothing behind
that would keep the next one from starting."""

from __future__ import annotations

import asyncio

import pytest

from adapters.grpc import runtime
from adapters.grpc.engines import WorkerPoolEngine
from tests.integration.test_grpc_worker_pool import FILES, customer_of, expected, request


@pytest.mark.parametrize("event_loop", ["asyncio", "uvloop"])
def test_a_pool_whose_start_timed_out_leaves_the_next_pool_able_to_start(event_loop: str) -> None:
    """The timed-out handshakes stop watching their pipes: the next pool's pipes reuse the descriptor
    numbers, and a stale watch on one used to make that pool's start hang (a reload after a slow one)."""

    async def main() -> None:
        with pytest.raises(TimeoutError):
            await WorkerPoolEngine(FILES, 2).start(timeout=0.01)
        pool = await asyncio.wait_for(WorkerPoolEngine(FILES, 2).start(), 60)
        try:
            assert await customer_of(pool, request(5)) == expected(5)
        finally:
            await pool.aclose(grace=5)

    runtime.run(main(), event_loop)
