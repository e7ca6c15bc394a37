"""Acceptance: a decision made through the gRPC service appears in `history` with its evidence and replays."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.demo_data import generate_demo_data
from adapters.store import open_store
from policy_engine.build import build_id

AS_OF = date(2026, 11, 22)


def test_a_service_decision_is_in_history_with_its_evidence_and_replays_exactly(db_url: str, tmp_path: Path) -> None:
    # Both ways the service reaches the store, one per database to keep the run short:
    # in-process (the host's store) on SQLite, worker processes (each opens the URL) on PostgreSQL.
    workers = 0 if db_url.startswith("sqlite") else 2
    grpc_helpers = pytest.importorskip("tests.integration.conftest_grpc")
    pb = grpc_helpers.pb
    store = open_store(db_url)
    generate_demo_data(store.engine, 30, seed=5, as_of=AS_OF)
    store.close()
    server = grpc_helpers.start_server_process(
        grpc_helpers.RULES, tmp_path / "server.log", "--db", db_url, workers=workers
    )
    try:
        reply = server.stub().EvaluateCustomer(
            pb.EvaluateCustomerRequest(customer_id="C0000007", as_of=AS_OF.isoformat()),
            timeout=grpc_helpers.TIMEOUT,
        )
    finally:
        assert server.stop() == 0, server.log_path.read_text()

    from policy_engine.cli import build_app

    app = build_app()
    result = CliRunner().invoke(app, ["history", "C0000007", "--db", db_url, "--json", "--replay"])

    assert result.exit_code == 0, result.output
    [entry] = json.loads(result.stdout)
    assert entry["source"] == "service" and entry["as_of"] == AS_OF.isoformat()
    assert entry["grade"] == reply.grade and entry["policy_version"] == reply.policy_version
    assert entry["decision"]["reasons"] and all("evidence" in r for r in entry["decision"]["reasons"])
    assert entry["build"] == build_id()  # the service's process (or worker) named the code that decided
    build = {"logged": build_id(), "current": build_id(), "note": ""}
    assert entry["replay"] == {"reproduces": True, "diffs": [], "wording": [], "note": "", "build": build}
