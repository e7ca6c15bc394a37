"""Ctrl-C at any moment of a command: `credit-policy: interrupted` on stderr and exit 130, never a traceback.

Python turns SIGINT into KeyboardInterrupt wherever the main thread is; during the CLI's imports that is deep
inside some library's module code, where a KeyboardInterrupt may be wrapped or leave a half-imported module
behind. So until the app is built the CLI answers a SIGINT itself, at once; from then on KeyboardInterrupt is
raised as usual, so that the commands that stop cleanly on Ctrl-C (batch, compact-log, serve) still can.
Imported before the guard is up, this module (and the package's __init__) import nothing but `signal` and what
the interpreter has loaded already (not even typing), so that window stays under a millisecond.
"""

from __future__ import annotations

import os
import signal
import sys

MESSAGE = "credit-policy: interrupted"
EXIT_INTERRUPTED = 130
"""The shells' 128 + SIGINT."""


def _exit_now(_signum: int, _frame: object) -> None:
    # Nothing has been done yet that needs undoing; os._exit does not run the half-imported modules' exit hooks.
    os.write(2, f"{MESSAGE}\n".encode())
    os._exit(EXIT_INTERRUPTED)


class until_imported:  # a class only to be a context manager without importing contextlib; named as one
    """Within the block, SIGINT exits 130 with one line at once; Python's own handling after it.

    A SIGINT that is ignored (a background job, a supervisor's child) stays ignored."""

    def __enter__(self) -> None:
        """Answer SIGINT at once, unless it is ignored."""
        self.guarding = signal.getsignal(signal.SIGINT) is signal.default_int_handler
        if self.guarding:
            signal.signal(signal.SIGINT, _exit_now)

    def __exit__(self, *_exc: object) -> None:
        """Python's own handling again: KeyboardInterrupt."""
        if self.guarding:
            signal.signal(signal.SIGINT, signal.default_int_handler)


def interrupted() -> SystemExit:
    """Say `credit-policy: interrupted` on stderr; the SystemExit (130) to raise."""
    print(MESSAGE, file=sys.stderr, flush=True)
    # CPython (3.11, 3.12) notes a KeyboardInterrupt that ends a string eval (typer evaluates the commands' string
    # annotations so) even when it is caught, and `python -m` then dies by SIGINT, not with our 130; the next
    # string eval clears that note.
    eval("None")
    return SystemExit(EXIT_INTERRUPTED)
