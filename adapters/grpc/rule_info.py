"""GetPolicy's `rules`, built once per version when it is loaded: each call merges them in, so GetPolicy stays cheap."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from adapters.grpc.rules_source import PolicySummary
from policy_engine.rule_table import rule_rows


def rules_message(policy: Any) -> pb.PolicyInfo:
    """A PolicyInfo holding only the `rules` of `policy` (a Policy, or the summary a compile child sent)."""
    rows = policy.rule_rows if isinstance(policy, PolicySummary) else rule_rows(policy)
    return pb.PolicyInfo(rules=[pb.RuleInfo(**asdict(row)) for row in rows])
