"""Structured logs: one JSON object per line on stderr."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

LOG = logging.getLogger("credit_policy.service")


class JsonFormatter(logging.Formatter):
    """Render a record as `{"ts", "level", "logger", "event", ...fields}`."""

    def format(self, record: logging.LogRecord) -> str:
        """One JSON line per record."""
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """A handler writing to sys.stderr as it is when each record comes, not as it was when set up: a
    caller that swaps stderr (a test runner's capture, closed after its command) would otherwise get
    `--- Logging error ---` and a traceback in place of every later line."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        """Write the record to the current sys.stderr (called under the handler's lock)."""
        self.stream = sys.stderr
        super().emit(record)


def configure_logging(level: str = "INFO") -> None:
    """Send every log record to stderr as JSON (idempotent)."""
    root = logging.getLogger()
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = CurrentStderr()
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    root.setLevel(level.upper())
    core = logging.getLogger(GRPC_CORE_LOGGER)
    if not any(isinstance(f, UndeliveredReplies) for f in core.filters):
        core.addFilter(UndeliveredReplies())
    # alembic announces every plugin it sets up at INFO on each start: noise in a service's log.
    logging.getLogger("alembic.runtime.plugins").setLevel(max(logging.WARNING, root.level))
    migration = logging.getLogger("alembic.runtime.migration")
    if not any(isinstance(f, MigrationSetUp) for f in migration.filters):
        migration.addFilter(MigrationSetUp())


class MigrationSetUp(logging.Filter):
    """Drop alembic's `Context impl SQLiteImpl.` and `Will assume non-transactional DDL.`, which it logs at INFO
    each time the store is opened (twice on a first start), and keep its `Running upgrade A -> B` lines: a
    schema change is worth a line, the set-up of the tool that checks for one is not."""

    def filter(self, record: logging.LogRecord) -> bool:
        """False for the two set-up lines (their format strings, as alembic's migration.py logs them)."""
        return not str(record.msg).startswith(("Context impl %s", "Will assume %s"))


def event(name: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log one named event with its fields."""
    LOG.log(level, name, extra={"fields": fields})


GRPC_CORE_LOGGER = "grpc._cython.cygrpc"
"""The logger of grpc.aio's server core (`_LOGGER` in its server.pyx.pxi)."""

_FINAL_SEND_FAILED = re.compile(r"ExecuteBatchError raised in core by servicer method \[(?:/[^/\]]*/)?([^\]]*)\]")
"""What grpc.aio logs, at error with a traceback, when a call's last batch (reply and status) fails in its core
because the caller went away or reset the stream, and the core had not yet said so (grpc/grpc#31570, #32551:
otherwise the same failure is dropped silently)."""


class UndeliveredReplies(logging.Filter):
    """Turn gRPC's `ExecuteBatchError raised in core by servicer method […]` error and traceback into one
    `reply not delivered` warning naming the method: the decision was made, its caller did not take it."""

    def filter(self, record: logging.LogRecord) -> bool:
        """False (the record is dropped) for that message, after logging ours instead; True for any other."""
        match = _FINAL_SEND_FAILED.match(record.getMessage())
        if match is None:
            return True
        event("reply not delivered", logging.WARNING, method=match[1],
              reason="the caller went away or reset the call while its reply was being sent; the decision was made")
        return False


def policy_warnings(version: str, fields: dict[str, Any]) -> None:
    """The `policy warnings` line (level warning) of a version with lint warnings, its `fields` as
    versions.ServedWarnings.log_fields gives them (`count`, the first 50 `warnings`, `more`, `see`); nothing for
    one without (no fields)."""
    if fields:  # the version is taken all the same: they are probable slips, not problems
        event("policy warnings", logging.WARNING, version=version, **fields)
