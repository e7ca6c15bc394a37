"""A refusal with thousands of problems: the `policy reload refused` line lists the first 50 with the exact
count and says where the rest are; GetPolicy's last_refused keeps them all up to 1 MiB of their text and
the count (adapters/grpc/versions.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.grpc.host import PolicyHost
from adapters.grpc.policy_info import policy_info
from adapters.grpc.versions import KEPT_PROBLEM_BYTES, RefusedAttempt
from policy_engine.rules.problems import SAID_PROBLEMS, PolicyLoadError, Problem
from tests.integration.conftest_grpc import copy_rules
from tests.integration.test_reload_failure import logged

UNKNOWN_KEYS = 3000


def many_unknown_keys(rules: Path) -> None:
    """A rule file of UNKNOWN_KEYS keys the format does not know: one `unknown_field` problem each."""
    keys = "".join(f"k{i}: 1\n" for i in range(UNKNOWN_KEYS))
    (rules / "zz_many.yaml").write_text(f"kind: collection_reminders\nhit: first\n{keys}")


def policy_info_after_reload(rules: Path, edit: Callable[[Path], None], taken: bool) -> Any:
    """GetPolicy's answer (no files) from a host serving `rules` once `edit` changed them and a SIGHUP reload
    read them in the compile child, as `serve` does (`taken`: the reload served the new version)."""
    async def main() -> Any:
        host = PolicyHost(rules, workers=0)
        await host.start()
        try:
            edit(rules)
            assert await host.reload("SIGHUP") is taken
            return policy_info(host, include_files=False)
        finally:
            await host.aclose()

    return asyncio.run(main())


def test_a_refusal_of_thousands_of_problems_logs_the_first_50_and_the_count_and_get_policy_has_them_all(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    rules = copy_rules(tmp_path / "rules")

    with caplog.at_level(logging.INFO, logger="credit_policy.service"):
        refused = policy_info_after_reload(rules, many_unknown_keys, taken=False).last_refused

    [line] = logged(caplog, "policy reload refused")
    count = line["count"]
    assert count > UNKNOWN_KEYS and refused.problem_count == count == len(refused.problems)
    assert line["problems"] == [f"{p.path}:{p.line}:{p.col}: {p.code}: {p.message}"
                                for p in refused.problems[:SAID_PROBLEMS]]
    assert line["more"] == count - SAID_PROBLEMS
    assert f"has all {count}" in line["see"] and f"credit-policy lint {rules}" in line["see"]


def test_a_refusal_of_a_few_problems_logs_them_all_with_the_count_and_no_more() -> None:
    problems = [Problem("rules/a.yaml", n, 1, "unknown_field", f'unknown field "k{n}"') for n in range(1, 4)]

    fields = RefusedAttempt.of(PolicyLoadError(problems)).log_fields("rules")

    assert fields == {"count": 3, "problems": [str(p) for p in problems]}


def test_last_refused_keeps_the_first_mebibyte_of_problems_and_counts_every_one() -> None:
    problems = [Problem("rules/a.yaml", n, 1, "unknown_field", f'unknown field "k{n}"') for n in range(1, 60_001)]

    refused = RefusedAttempt.of(PolicyLoadError(problems))
    fields = refused.log_fields("rules")

    kept_bytes = sum(len(str(p).encode()) for p in refused.problems)
    assert refused.count == 60_000 and refused.problems == problems[:len(refused.problems)]
    assert KEPT_PROBLEM_BYTES - 100 < kept_bytes <= KEPT_PROBLEM_BYTES
    assert (len(fields["problems"]), fields["more"]) == (SAID_PROBLEMS, 60_000 - SAID_PROBLEMS)
    assert fields["see"] == (f"GetPolicy's last_refused has the first {len(refused.problems)} (1 MiB of them); "
                             "`credit-policy lint rules` prints all 60000")


def test_an_error_without_problems_is_one_problem() -> None:
    refused = RefusedAttempt.of(ValueError("no loader"))

    assert (refused.count, refused.log_fields()) == (1, {"count": 1, "problems": ["ValueError('no loader')"]})
