"""Fixtures for every test."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


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
