# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""`serve --db URL`: customers read from the SQL store, every decision in its audit log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc
import pytest

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from policy_engine.domain.models import CustomerSnapshot
from tests.integration.conftest_grpc import (
    TIMEOUT,
    order_request,
    sample_dict,
    server_factory,  # noqa: F401  (fixtures: pytest finds them by name)
)

store_module = pytest.importorskip("adapters.store")


@pytest.mark.parametrize("workers", [0, 2])
def test_a_customer_id_is_read_from_the_sql_store_and_each_decision_logged(
    server_factory: Any, tmp_path: Path, workers: int
) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    store = store_module.open_store(url)
    store.save_snapshot(CustomerSnapshot.model_validate(sample_dict(1)))
    store.close()
    server = server_factory("--db", url, workers=workers, name=f"db{workers}")
    stub = server.stub()

    decision = stub.CheckOrder(order_request(customer_id="C00001"), timeout=TIMEOUT)
    with pytest.raises(grpc.RpcError) as missing:
        stub.EvaluateCustomer(pb.EvaluateCustomerRequest(customer_id="C99999"), timeout=TIMEOUT)
    assert server.stop() == 0  # the audit log is flushed at shutdown

    store = store_module.open_store(url)
    logged = store.history("C00001")
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    assert [(d.source, d.policy_version) for d in logged] == [("service", decision.policy_version)]
    assert store.policy_files(decision.policy_version)
    store.close()
