"""Fixtures for every test."""

from __future__ import annotations

import logging
import signal
from collections.abc import Iterator

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Ctrl-C as a terminal's user has it, however the suite was started. A run started in the background
    (`make test &` from a script, some CI runners) inherits SIGINT ignored, and every process a test starts
    would keep it ignored (exec keeps an ignored signal): the CLI then rightly ignores the tests' Ctrl-C
    (tests/unit/test_cli_interrupt.py pins that), and the tests of Ctrl-C fail. A handler, unlike an
    ignored signal, is reset to the default in every child the tests start."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def _service_log_handler_removed() -> Iterator[None]:
    """A command run in-process (`serve` through CliRunner, say) installs the service's JSON log
    handler on the root logger, writing to the stderr of that moment: CliRunner's, closed when the
    command returns. Left in place, every later log record fails to write ("--- Logging error ---
    ... I/O operation on closed file" in the output of failing tests)."""
    from adapters.grpc.logs import JsonFormatter

    root = logging.getLogger()
    before, level = set(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in before and isinstance(handler.formatter, JsonFormatter):
            root.removeHandler(handler)
    root.setLevel(level)
