"""A rule set whose values all pass writes none of the messages a refused value gets: as_written writes YAML
(~0.3 ms a value), and written eagerly for each of the ~200 values the shipped conditions compare it cost every
load (lint, test, evaluate, a reload) ~60 ms."""

from __future__ import annotations

from typing import Any

import pytest

from policy_engine.api import load_policy
from policy_engine.rules import conditions


def test_loading_the_shipped_rules_writes_no_refused_value_message(monkeypatch: pytest.MonkeyPatch) -> None:
    def written(value: Any) -> str:
        raise AssertionError(f"a message was written for {value!r}, which passed")

    monkeypatch.setattr(conditions, "as_written", written)

    policy = load_policy()

    assert policy.version
    policy.close()
