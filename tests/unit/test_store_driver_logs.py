"""psycopg's "error ignored …" warnings (a cleanup that failed while an error propagates, which the
caller reports) are dropped; psycopg's other warnings still show."""

from __future__ import annotations

import logging

import pytest

import adapters.store.engine  # noqa: F401  (installs the filter)


def test_psycopgs_secondary_error_warnings_are_dropped_and_its_other_warnings_kept(
    caplog: pytest.LogCaptureFixture,
) -> None:
    psycopg_log = logging.getLogger("psycopg")
    with caplog.at_level(logging.WARNING):
        psycopg_log.warning("error ignored terminating %r: %s", "<psycopg.Pipeline [BAD]>", "consuming input failed")
        psycopg_log.warning("error ignored in rollback on %s: %s", "<psycopg.Connection [BAD]>", "server closed")
        psycopg_log.warning("some other driver warning: %s", "kept")

    assert [r.getMessage() for r in caplog.records] == ["some other driver warning: kept"]
