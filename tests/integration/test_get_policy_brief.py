# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""GetPolicyRequest.brief: the answer a poller (`credit-policy status --wait`) asks for every half second holds
the version, the states and the counts and none of the lists, on a real `credit-policy serve`; without it the
answer is whole, as before."""

from __future__ import annotations

from typing import Any

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from policy_engine.rules.emit import policy_version
from policy_engine.rules.loader import read_rule_files
from tests.integration.conftest_grpc import TIMEOUT, ServerProcess, server_factory  # noqa: F401
from tests.integration.test_grpc_reload import BROKEN_YAML, wait_until


def test_a_brief_answer_has_the_version_states_and_counts_without_any_list(server_factory: Any) -> None:
    server: ServerProcess = server_factory("--watch-interval", "0.2", workers=0)
    stub = server.stub()
    (server.rules_dir / "zz_broken.yaml").write_text(BROKEN_YAML)
    wait_until(lambda: stub.GetPolicy(pb.GetPolicyRequest(), timeout=TIMEOUT).rules_dir_state == "REFUSED")

    whole = stub.GetPolicy(pb.GetPolicyRequest(include_files=True), timeout=TIMEOUT)
    brief = stub.GetPolicy(pb.GetPolicyRequest(brief=True, include_files=True), timeout=TIMEOUT)

    assert (brief.version, brief.loaded_at, brief.rules_dir, brief.rules_dir_state, brief.build) == (
        whole.version, whole.loaded_at, whole.rules_dir, "REFUSED", whole.build)
    assert brief.warning_count == whole.warning_count
    refused = brief.last_refused
    assert (refused.attempted_at, refused.problem_count, refused.note) == (
        whole.last_refused.attempted_at, whole.last_refused.problem_count, whole.last_refused.note)
    assert refused.version == whole.last_refused.version == policy_version(read_rule_files(server.rules_dir))
    assert len(whole.rule_ids) > 50 and len(whole.rules) == len(whole.rule_ids) and whole.files
    assert whole.last_refused.problems
    assert not (brief.rule_ids or brief.rules or brief.file_names or brief.files or brief.warnings
                or refused.problems)
    polled_before = stub.GetPolicy(pb.GetPolicyRequest(), timeout=TIMEOUT)  # what status --wait asked for
    assert brief.ByteSize() < 400 < 10_000 < polled_before.ByteSize()  # 235 and 16,413 bytes with the shipped rules
