"""A backup of an older release restored (`mv`) under a running `serve --processes 2`: each server process
notices and reopens the file on its own, the schema is migrated once (the second process finds it done under
the migration's write lock), and calls from both processes are then logged in the restored file."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2_grpc as pb_grpc
from adapters.store import open_store
from adapters.store.revisions import downgrade, head_revision
from policy_engine.api import load_policy
from policy_engine.domain.models import CustomerSnapshot
from tests.integration.conftest_grpc import TIMEOUT, ServerProcess, order_request, sample_dict
from tests.integration.conftest_grpc import server_factory as server_factory  # a fixture: pytest finds it by name
from tests.integration.test_grpc_processes import connections_by_process, new_connection, pids_of, wait_until
from tests.integration.test_grpc_store_restored import _revision

OLD_RELEASE = "0002"
"""The decision log's first release: before the batch bookkeeping, shared snapshots and build ids (0003-0006)."""
CUSTOMERS = ("C00002", "C00003")


def _backup_of_an_older_release(path: Path) -> Path:
    """A store with two customers and one decision logged, stepped back to revision OLD_RELEASE."""
    store = open_store(f"sqlite:///{path}")
    policy = load_policy()
    for index in (2, 3):
        snapshot = CustomerSnapshot.model_validate(sample_dict(index))
        store.save_snapshot(snapshot)
    store.record_decision(snapshot, policy.evaluate(snapshot, as_of=date(2026, 1, 5)), source="test", policy=policy)
    downgrade(store.engine, OLD_RELEASE)
    store.close()
    return path


def _events(server: ServerProcess, name: str) -> list[dict[str, Any]]:
    return [e for e in server.events() if str(e.get("event", "")).startswith(name)]


def _logged(path: Path) -> dict[str, list[str]]:
    """Each customer's logged decisions, by source."""
    store = open_store(f"sqlite:///{path}", upgrade=False)
    try:
        return {customer: [d.source for d in store.history(customer)] for customer in CUSTOMERS}
    finally:
        store.close()


def test_an_older_backup_restored_under_two_server_processes_is_migrated_once_and_served_by_both(
        server_factory: Any, tmp_path: Path) -> None:
    store_file = tmp_path / "store.sqlite"
    open_store(f"sqlite:///{store_file}").close()
    backup = _backup_of_an_older_release(tmp_path / "backup.sqlite")
    server = server_factory("--db", f"sqlite:///{store_file}", processes=2)
    pids = pids_of(server)

    os.replace(backup, store_file)
    wait_until(lambda: {e["pid"] for e in _events(server, "store reopened")} == set(pids), timeout=90)
    answered = []
    for n in range(64):  # a channel each: new connections, spread over both processes by SO_REUSEPORT
        stub = pb_grpc.CreditPolicyServiceStub(new_connection(server))
        answered.append(stub.CheckOrder(order_request(customer_id=CUSTOMERS[n % 2]), timeout=TIMEOUT).customer_id)
        if n >= 7 and all(connections_by_process(server, pids).values()):
            break
    served_by_both = all(connections_by_process(server, pids).values())
    assert server.stop() == 0  # each process writes the decisions it still holds

    reopened = _events(server, "store reopened")
    assert sorted(e["pid"] for e in reopened) == sorted(pids)
    # One migrated; the other found it done under the migration's lock. Before, both said from_revision 0002.
    assert sorted((e["migrated"], e["from_revision"], e["to_revision"]) for e in reopened) == [
        (False, head_revision(), head_revision()), (True, OLD_RELEASE, head_revision())]
    assert len(_events(server, f"Running upgrade {OLD_RELEASE} ->")) == 1
    assert not _events(server, "store not reopened")
    assert served_by_both and set(answered) == set(CUSTOMERS)
    assert _revision(store_file) == head_revision()
    logged = _logged(store_file)
    assert sum(sources.count("service") for sources in logged.values()) == len(answered)
    assert logged["C00003"][0] == "test"  # the backup's own log, kept through the migration
