"""The supervisor's receiving of its server processes' messages: a thread per process reads them
from its pipe, so a process that stalls halfway through sending a large rule set holds up nothing
else, and the event loop handles each in order (`serving`, `loaded`, `warnings`, `failed`: server_process.py).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from typing import Any

from adapters.grpc.logs import event, policy_warnings
from adapters.grpc.process_slots import ProcessSlots, _Slot


class ProcessMessages(ProcessSlots):
    """What the server processes tell the supervisor: received on a thread, handled on the event loop."""

    def _read_messages(self, slot: _Slot, conn: Any, loop: asyncio.AbstractEventLoop) -> None:
        """In a thread of its own, one per process: receive the process's messages until its end of the
        pipe closes, and hand each to the event loop (_handle, in order). A message can carry a whole
        rule set, up to the loader's bounds; received here, it never holds up the event loop, even if
        the process stalls halfway through sending it."""
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                return
            except Exception as exc:  # a message that does not unpickle: log it, keep reading
                error = f"{type(exc).__name__}: {exc}"
                loop.call_soon_threadsafe(functools.partial(event, "server process message unreadable",
                                                            logging.ERROR, process=slot.index, error=error))
                continue
            try:
                loop.call_soon_threadsafe(self._handle, slot, message)
            except RuntimeError:  # the loop has closed: nobody is left to tell
                return

    def _handle(self, slot: _Slot, message: tuple[Any, ...]) -> None:
        if message[0] == "serving" and message[1] == slot.pid:
            _, _pid, _port, slot.version, files = message
            if files is not None:
                self._good = (slot.version, files)
            slot.serving_since = time.monotonic()
            if slot.replaces is not None:
                self._restart_counted("started")
                event("server process replaced", pid=slot.pid, previous_pid=slot.replaces, process=slot.index,
                      version=slot.version)
                slot.replaces = None
            if (not self._announced and self._started is not None and not self._started.done()
                    and all(s.serving_since is not None for s in self._slots)):
                self._started.set_result(None)
        elif message[0] == "loaded" and message[1] == slot.pid:
            _, _pid, version, files = message
            slot.version, self._good = version, (version, files)
        elif message[0] == "warnings" and message[1] == slot.pid:
            self._said_warnings(message[2], dict(message[3]))
        elif message[0] == "failed":
            slot.failure = (message[1], list(message[2]), message[3])

    def _said_warnings(self, version: str, fields: dict[str, Any]) -> None:
        """Lint's warnings on a version a process loaded, logged as `policy warnings` by the first process to load
        it: every process loads each version, and N identical lines said no more than one. A version loaded again
        after another (a change rolled back) is said again, as a reload of it is."""
        if version != self._warnings_version:
            self._warnings_version = version
            policy_warnings(version, fields)
