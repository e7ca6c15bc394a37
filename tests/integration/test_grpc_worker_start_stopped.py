"""An engine worker start cut short: a worker whose server went away before it was ready exits quietly (it printed
a BrokenPipeError traceback, twice chained), as does one whose server closed the pipe before taking its answer (to a
request or to a reload's control message), and a pool whose start failed or was stopped has reaped its workers."""

from __future__ import annotations

import multiprocessing
import os

import pytest

from adapters.grpc import runtime
from adapters.grpc.engines import DEFAULT_FILES_LOADER, WorkerPoolEngine
from adapters.grpc.pipe_frames import send_frame
from adapters.grpc.worker import DISCARD, KIND_CODES, _answer_until_eof, worker_main
from tests.integration.test_grpc_worker_pool import FILES


def test_a_worker_whose_server_is_gone_before_it_is_ready_exits_quietly(capfd: pytest.CaptureFixture[str]) -> None:
    ctx = multiprocessing.get_context("spawn")
    server_end, worker_end = ctx.Pipe(duplex=True)
    worker = ctx.Process(target=worker_main, args=(worker_end, DEFAULT_FILES_LOADER, FILES, None), daemon=True)
    worker.start()
    worker_end.close()

    server_end.close()  # the server is gone (killed, or stopped while the worker started)
    worker.join(60)

    assert worker.exitcode == 0
    assert "Traceback" not in capfd.readouterr().err


def test_a_pool_whose_start_was_cut_short_has_reaped_its_workers() -> None:
    pool = WorkerPoolEngine(FILES, 2)

    async def start_cut_short() -> None:
        with pytest.raises(TimeoutError):  # as a stop while starting cancels it
            await pool.start(timeout=0.01)

    runtime.run(start_cut_short(), "asyncio")

    for w in pool._workers:  # reaped: no longer a child of this process, not a zombie waiting for its exit
        with pytest.raises(ChildProcessError):
            os.waitpid(w.process.pid, os.WNOHANG)


def test_a_worker_whose_server_closed_the_pipe_before_taking_its_answer_ends_quietly() -> None:
    # A stop whose --grace ran out closes the pool while workers decide the calls it cut off: each then
    # printed a BrokenPipeError traceback (`Process SpawnProcess-1: … os.write … Broken pipe`) into the log.
    server_end, worker_end = multiprocessing.Pipe(duplex=True)
    send_frame(server_end, KIND_CODES["evaluate"] + b"\xff")  # no request message: answered with its error
    server_end.close()

    exit_code = _answer_until_eof(worker_end, policy=None, store=None)

    assert exit_code == 0


def test_a_worker_whose_server_closed_the_pipe_before_taking_a_control_answer_ends_quietly() -> None:
    # A pool closed during a reload (a stop while PREPARE/USE/DISCARD are in the workers' pipes): the control
    # message's answer raised BrokenPipeError, a traceback in the service's JSON log.
    server_end, worker_end = multiprocessing.Pipe(duplex=True)
    send_frame(server_end, DISCARD)  # nothing prepared: answered at once with DISCARD
    server_end.close()

    exit_code = _answer_until_eof(worker_end, policy=None, store=None)

    assert exit_code == 0
