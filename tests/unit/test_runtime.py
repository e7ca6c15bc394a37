"""adapters/grpc/runtime.py: the event loop `serve --event-loop` picks, and the settled heap."""

from __future__ import annotations

import asyncio
import builtins
import gc
import threading
import weakref
from pathlib import Path
from typing import Any, cast

import pytest

from adapters.grpc import runtime

RULES = Path(__file__).resolve().parents[2] / "rules"


def _without_uvloop(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "uvloop":
            raise ImportError("No module named 'uvloop'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)


def test_auto_is_uvloop_where_it_is_installed_and_the_loop_runs_on_it() -> None:
    assert runtime.resolve("auto") == runtime.resolve("uvloop") == "uvloop"

    async def kind() -> str:
        return runtime.loop_name(asyncio.get_running_loop())

    assert runtime.run(kind()) == "uvloop"
    assert runtime.run(kind(), "asyncio") == "asyncio"


def test_without_uvloop_auto_falls_back_to_asyncio_and_uvloop_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _without_uvloop(monkeypatch)

    assert runtime.resolve("auto") == "asyncio"
    with pytest.raises(runtime.EventLoopUnavailable, match="--event-loop asyncio"):
        runtime.resolve("uvloop")


def test_an_unknown_loop_is_refused_naming_the_choices() -> None:
    with pytest.raises(ValueError, match="auto, uvloop, asyncio"):
        runtime.resolve("tokio")


def test_settle_heap_collects_start_up_garbage_then_freezes_what_is_alive() -> None:
    class Cycle:
        def __init__(self) -> None:
            self.me = self

    alive = Cycle()
    dead = weakref.ref(Cycle())  # unreachable, kept only by its own cycle
    gc.disable()
    try:
        frozen_before = gc.get_freeze_count()
        runtime.settle_heap()

        assert dead() is None  # collected before the freeze, not frozen forever
        assert gc.get_freeze_count() > frozen_before
        assert not any(o is alive for o in gc.get_objects())  # frozen: later collections skip it
    finally:
        gc.unfreeze()
        gc.enable()


def test_a_replaced_policy_is_freed_by_reference_counting_so_a_frozen_one_does_not_leak() -> None:
    from policy_engine.api import load_policy

    policy = load_policy(RULES)
    ref, program = weakref.ref(policy), weakref.ref(policy.program)
    gc.disable()
    try:
        del policy
        assert ref() is None and program() is None  # no collector needed
    finally:
        gc.enable()


def test_the_restart_pause_doubles_from_half_a_second_to_thirty_and_stays_there() -> None:
    delays = [runtime.restart_delay(failures) for failures in (1, 2, 3, 4, 5, 6, 7, 8)]

    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert runtime.restart_delay(5000) == 30.0  # the formula alone overflows a float past ~1,025 failures


class _SlowToJoin:
    """A process whose join, in its thread, ends only when the test lets it."""

    def __init__(self) -> None:
        self.joining = threading.Event()
        self.release = threading.Event()

    def join(self, timeout: float) -> None:
        self.joining.set()
        self.release.wait(timeout)


def test_a_cancelled_reap_ends_only_when_its_join_has_ended() -> None:
    """Else whoever cancelled it (a closing engine pool) would join the process too, from a second thread."""
    process = _SlowToJoin()

    async def main() -> None:
        reaping = asyncio.ensure_future(runtime.reap(cast(Any, process), 5))
        await asyncio.to_thread(process.joining.wait, 5)
        reaping.cancel()
        await asyncio.sleep(0.1)
        assert not reaping.done()
        process.release.set()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(reaping, 5)

    runtime.run(main(), "asyncio")
