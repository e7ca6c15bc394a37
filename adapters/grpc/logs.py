"""Structured logs: one JSON object per line on stderr."""

from __future__ import annotations

import json
import logging
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


def configure_logging(level: str = "INFO") -> None:
    """Send every log record to stderr as JSON (idempotent)."""
    root = logging.getLogger()
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    root.setLevel(level.upper())
    # alembic announces every plugin it sets up at INFO on each start: noise in a service's log.
    logging.getLogger("alembic.runtime.plugins").setLevel(max(logging.WARNING, root.level))


def event(name: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log one named event with its fields."""
    LOG.log(level, name, extra={"fields": fields})
