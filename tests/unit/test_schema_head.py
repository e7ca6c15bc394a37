"""The schema revision written down for processes that open a store without alembic is alembic's head."""

from __future__ import annotations

from adapters.store.revisions import head_revision
from adapters.store.schema_head import SCHEMA_HEAD


def test_the_schema_head_written_down_is_alembics_head() -> None:
    assert SCHEMA_HEAD == head_revision()
