"""SIGTERM or SIGINT while `serve` is starting: the start is abandoned, what had started is stopped in order, and the
command exits 0, as a stop while serving does (docs/service.md, Operations).

Before, the stop handlers were wired only once the service served: a `systemctl stop` or `restart` soon after a
start killed it by SIGTERM's default action (no log line), its engine workers printed a BrokenPipeError traceback
each, and workers still compiling outlived it. The start-up now goes through three phases:

1. From the top of `serve` (`stops_while_starting`, around the command) until its store is opened, a stop signal
   raises StopWhileStarting at once: nothing has started yet that needs stopping.
2. From just before the store is opened (`keep_stop_signals`) until the event loop has its own handlers, a stop
   signal is kept, not raised: a schema migration is never cut half-way (its wait for another process's SQLite
   write lock is inside the driver, where no signal reaches Python anyway), nor the hand-over to the loop.
3. From the top of `run_service` (`StartStop`), on the loop: the long part of the start (the rules compiled on a
   daemon thread, the engine workers spawned and compiling) is raced against a stop; a stop cancels it, and its
   clean-up stops what had started (the workers killed and reaped — they have decided nothing —, the server, the
   store, the metrics endpoint), then StopWhileStarting ends the command. A signal that comes after that part but
   before the serving handlers are wired is passed on to them (`StartStop.serving`): an ordinary stop.

`stopping` (with `during`: `start-up`, and the `signal`) is logged as the stop begins, `stopped` once all is
stopped. The `--processes` supervisor keeps a signal for its own handlers the same way (Supervisor.run), and
its server processes, spawned with SIGTERM blocked, take it from phase 3 on (process_slots.py).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import signal
import threading
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, ParamSpec, TypeVar

from adapters.grpc.logs import JsonFormatter, configure_logging, event

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
DURING = "start-up"
"""The `during` field of the `stopping` and `stopped` lines of a stop that came while starting."""

_P = ParamSpec("_P")
_T = TypeVar("_T")


class StopWhileStarting(BaseException):
    """A stop signal (or the supervisor's stop) came while starting: what started has been stopped, or is on the
    way out. A BaseException: no `except Exception` on its way takes it for a failure to start."""

    def __init__(self, sig: signal.Signals | None, *, announced: bool = False):
        super().__init__(sig.name if sig is not None else "stop")
        self.signal = sig
        self.announced = announced
        """`stopping` was logged already."""


class _KeptSignals:
    """This process's stop signal in phases 1 and 2 (signal dispositions are the process's, so is this)."""

    received: signal.Signals | None = None
    keep = False


_process = _KeptSignals()


def _on_signal(signum: int, _frame: object) -> None:
    if _process.received is None:  # the first one names the stop
        _process.received = signal.Signals(signum)
    if not _process.keep:
        raise StopWhileStarting(_process.received)


def keep_stop_signals() -> None:
    """Phase 2: from here a stop signal is kept for the event loop's handlers (`StartStop`, the supervisor's)."""
    _process.keep = True


def take_kept_signal() -> signal.Signals | None:
    """The stop signal kept so far (phase 2), now the event loop's to act on; None if none came."""
    kept, _process.received = _process.received, None
    return kept


def stops_while_starting(command: Callable[_P, None]) -> Callable[_P, None]:
    """Wrap `serve`: a stop signal from its first line on stops the start (phases above) and the command returns
    (exit 0) after `stopped`; the signals' previous handlers are back when it returns."""

    @functools.wraps(command)
    def serve(*args: _P.args, **kwargs: _P.kwargs) -> None:
        previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
        for sig, handler in previous.items():
            if handler is not signal.SIG_IGN:  # an ignored SIGINT (a background job) stays ignored
                signal.signal(sig, _on_signal)
        try:
            command(*args, **kwargs)
        except StopWhileStarting as stop:
            for sig in STOP_SIGNALS:  # stopping already: another one changes nothing, and must not kill us now
                signal.signal(sig, signal.SIG_IGN)
            _log_stop(stop)
        finally:
            _process.received, _process.keep = None, False
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    return serve


def _log_stop(stop: StopWhileStarting) -> None:
    if not any(isinstance(h.formatter, JsonFormatter) for h in logging.getLogger().handlers):
        configure_logging()  # the signal came before serve had set up its log
    if not stop.announced:
        event("stopping", during=DURING, signal=stop.signal.name if stop.signal else None)
    event("stopped", during=DURING)


class StartStop:
    """Phase 3 (run_service): the stop signals on the loop, from its first line until the serving handlers."""

    def __init__(self, loop: asyncio.AbstractEventLoop, stop_signals: Iterable[signal.Signals],
                 stop: asyncio.Event | None = None, event_prefix: str = ""):
        """`stop`: set by someone else to stop (a `--processes` server process's supervisor gone)."""
        self.signal: signal.Signals | None = None
        self._asked = asyncio.Event()
        self._stop = stop
        self._prefix = event_prefix
        stop_signals = tuple(stop_signals)
        for sig in stop_signals:
            loop.add_signal_handler(sig, self._on_signal, sig)
        # A --processes server process was spawned with SIGTERM blocked (process_slots.py): from here it is taken.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, stop_signals)
        kept = take_kept_signal()
        if kept is not None:
            self._on_signal(kept)

    def _on_signal(self, sig: signal.Signals) -> None:
        if self.signal is None:
            self.signal = sig
        self._asked.set()

    async def unless_stopped(self, start: Awaitable[_T]) -> _T:
        """`start`'s result; if a stop comes first, `stopping` is logged, `start` is cancelled (its clean-up
        runs) and StopWhileStarting raised."""
        task = asyncio.ensure_future(start)
        waits = [asyncio.ensure_future(self._asked.wait())]
        if self._stop is not None:
            waits.append(asyncio.ensure_future(self._stop.wait()))
        try:
            await asyncio.wait({task, *waits}, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:  # run_service itself cancelled: the start with it
            task.cancel()
            raise
        finally:
            for wait in waits:
                wait.cancel()
        if task.done():
            return task.result()
        event(f"{self._prefix}stopping", during=DURING, signal=self.signal.name if self.signal else None)
        task.cancel()
        try:
            await task
        except BaseException:  # noqa: BLE001 - cancelled as asked, or failed on the way out: it is stopping either way
            pass
        raise StopWhileStarting(self.signal, announced=True)

    def serving(self, on_signal: Callable[[signal.Signals], Any]) -> None:
        """The serving handlers are wired: a stop signal that came since the start ended is theirs now."""
        if self.signal is not None:
            on_signal(self.signal)


async def on_daemon_thread(fn: Callable[..., _T], *args: Any) -> _T:
    """`fn(*args)` on a daemon thread of its own, for work with no effect outside this process (compiling the
    rules): a start abandoned meanwhile exits without waiting for it, where the interpreter joins the threads of
    asyncio.to_thread at exit (a start with --rule-tests compiles for seconds, far longer on a loaded host)."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[_T] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if done.done():  # cancelled: nobody waits for it
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(result)

    def run() -> None:
        try:
            result, error = fn(*args), None
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting task
            result, error = None, exc
        try:
            loop.call_soon_threadsafe(settle, result, error)
        except RuntimeError:  # the loop has closed: the start was abandoned
            pass

    threading.Thread(target=run, name="start-compile", daemon=True).start()
    return await done
