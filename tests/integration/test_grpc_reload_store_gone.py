"""A rules reload (a file change, or SIGHUP) while the SQLite store file is away from under a running `serve`
on port 0: it is not taken (its engine would open an empty store at the path, and the store could not keep the
version's files), the served version stays, GetPolicy says the directory's rule set is PENDING, and the reload
is taken once a store file is there again, its version's files kept in that file. GetPolicy's `pending`
says why it waits (before, nothing in GetPolicy did: `last_refused` is about rule problems only)."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from adapters.store import open_store
from tests.integration.conftest_grpc import TIMEOUT
from tests.integration.conftest_grpc import server_factory as server_factory  # a fixture: pytest finds it by name
from tests.integration.test_grpc_store_replaced import _serving
from tests.integration.test_rules_watch import a_rule_file, edit


def _kept_versions(path: Path, *versions: str) -> list[bool]:
    """Whether the store file at `path` keeps each version's rule files."""
    store = open_store(f"sqlite:///{path}", upgrade=False)
    kept = [store.policy_files(v) is not None for v in versions]
    store.close()
    return kept


@pytest.mark.parametrize("workers", [0, 2])
def test_a_reload_while_the_store_file_is_gone_waits_for_a_store_file(
        server_factory: Any, tmp_path: Path, workers: int) -> None:
    store_file, backup, server = _serving(server_factory, tmp_path, 1, workers=workers)
    first = server.version()
    store_file.unlink()
    server.wait_for_event("store file gone", timeout=30)

    edit(a_rule_file(server.rules_dir), "3.5", "3.2")
    server.proc.send_signal(signal.SIGHUP)
    failed = server.wait_for_event("policy reload failed", timeout=60)
    during = server.stub().GetPolicy(pb.GetPolicyRequest(), timeout=TIMEOUT)
    os.replace(backup, store_file)
    server.wait_for_event("store reopened", timeout=60)
    reloaded = server.wait_for_event("policy reloaded", timeout=90)
    after_info = server.stub().GetPolicy(pb.GetPolicyRequest(), timeout=TIMEOUT)
    after = after_info.version
    assert server.stop() == 0

    assert (during.version, during.rules_dir_state) == (first, "PENDING")
    assert failed["serving"] == first and "StoreUnavailable" in failed["error"]
    assert (during.pending.version, during.pending.attempt) == (failed["version"], failed["attempt"])
    assert during.pending.error == failed["error"] and during.pending.attempted_at
    assert not after_info.HasField("pending") and after_info.rules_dir_state == "SERVED"
    assert (reloaded["previous"], reloaded["version"]) == (first, after) and after != first
    assert _kept_versions(store_file, first, after) == [True, True]
    assert not [e for e in server.events() if e.get("event") == "policy reloaded" and e["version"] != after]
    assert "Traceback" not in server.log_path.read_text()
