"""A reload of a good rule set that fails for a reason other than the rules (the store is away, the
engine workers fail): logged as `policy reload failed`, not refused (the directory is not REFUSED, its
gauge stays 0), the old version serves meanwhile, and the watcher tries again with a back-off until the
new version is served, without the files being touched (a PolicyHost in this process)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from adapters.grpc import rules_watch
from adapters.grpc.host import PolicyHost
from adapters.grpc.runtime import restart_delay
from tests.integration.conftest_grpc import copy_rules
from tests.integration.test_rules_watch import a_rule_file, edit, until, with_host

PASSWORD = "s3cr3t-pw"
STORE_URL = f"postgresql://credit:{PASSWORD}@db.internal/credit"


class Outage:
    """Makes a reload step raise a database-unavailable error for its first `calls` calls."""

    def __init__(self, calls: int) -> None:
        self.left = calls
        self.calls = 0

    def wrap(self, step: Any) -> Any:
        def failing(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            if self.left > 0:
                self.left -= 1
                raise OperationalError("INSERT INTO policy_versions", {},
                                       Exception(f"connection to {STORE_URL} failed: server closed the connection"))
            return step(*args, **kwargs)

        return failing


def break_step(host: PolicyHost, step: str, outage: Outage) -> None:
    """`record`: writing the version's files to the store; `engine`: getting an engine to take it."""
    if step == "record":
        host.store.record_policy = outage.wrap(host.store.record_policy)  # type: ignore[method-assign]
        return
    engine_for = outage.wrap(lambda *a: None)
    real = host._engine_for

    async def failing_engine_for(*args: Any) -> Any:
        engine_for()
        return await real(*args)

    host._engine_for = failing_engine_for  # type: ignore[method-assign]


def sample(host: PolicyHost, name: str, **labels: str) -> float | None:
    return host.metrics.registry.get_sample_value(name, labels)


def logged(caplog: pytest.LogCaptureFixture, name: str) -> list[dict[str, Any]]:
    return [getattr(r, "fields", {}) for r in caplog.records if r.getMessage() == name]


@pytest.mark.parametrize("step", ["record", "engine"])
def test_a_failed_reload_is_not_a_refusal_and_is_retried_until_the_new_version_serves(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, step: str) -> None:
    rules = copy_rules(tmp_path / "rules")
    outage = Outage(3)

    async def scenario(host: PolicyHost) -> None:
        first = host.served.policy.version
        break_step(host, step, outage)
        edit(a_rule_file(rules), "3.5", "3.2")
        await until(lambda: bool(logged(caplog, "policy reload failed")))

        assert host.served.policy.version == first  # the old version serves meanwhile
        assert host.rules_dir_state == "PENDING" and host.last_refused is None
        assert sample(host, "credit_policy_rules_dir_refused") == 0
        await until(lambda: host.served.policy.version != first)  # the files were not touched again
        assert host.rules_dir_state == "SERVED" and host.last_refused is None
        assert sample(host, "credit_policy_reloads_total", result="failure") == 3
        assert sample(host, "credit_policy_reloads_total", result="success") == 1

    with caplog.at_level(logging.INFO, logger="credit_policy.service"):
        with_host(rules, scenario, store_url=STORE_URL)
    assert logged(caplog, "policy reload refused") == []
    failed = logged(caplog, "policy reload failed")
    assert [(f["attempt"], f["will_retry"], f["retry_in_seconds"]) for f in failed] == [
        (1, True, restart_delay(1)), (2, True, restart_delay(2)), (3, True, restart_delay(3))]
    assert all("OperationalError" in f["error"] and PASSWORD not in f["error"] for f in failed)
    assert all(f["serving"] != f["version"] for f in failed)
    assert len(logged(caplog, "policy reloaded")) == 1


def test_a_change_to_the_directory_starts_the_back_off_again(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    rules = copy_rules(tmp_path / "rules")
    outage = Outage(10**6)

    async def scenario(host: PolicyHost) -> None:
        break_step(host, "record", outage)
        edit(a_rule_file(rules), "3.5", "3.2")
        await until(lambda: len(logged(caplog, "policy reload failed")) >= 3)
        edit(a_rule_file(rules), "3.2", "3.3")
        await until(lambda: logged(caplog, "policy reload failed")[-1]["attempt"] == 1)

        versions = [f["version"] for f in logged(caplog, "policy reload failed")]
        assert versions[0] == versions[2] != versions[-1]

    with caplog.at_level(logging.INFO, logger="credit_policy.service"):
        with_host(rules, scenario)


def test_without_a_watcher_a_failed_reload_is_not_retried_and_a_sighup_tries_at_once(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    rules = copy_rules(tmp_path / "rules")
    outage = Outage(1)

    async def main() -> None:
        host = PolicyHost(rules, workers=0)
        await host.start()
        first = host.served.policy.version
        break_step(host, "record", outage)
        edit(a_rule_file(rules), "3.5", "3.2")
        try:
            assert await host.reload("SIGHUP") is False
            assert (host.rules_dir_state, outage.calls) == ("PENDING", 1)
            await asyncio.sleep(restart_delay(1) * 2)
            assert outage.calls == 1  # nobody retries on their own

            assert await host.reload("SIGHUP") is True  # at once: no back-off for a SIGHUP
            assert host.served.policy.version != first and host.rules_dir_state == "SERVED"
        finally:
            await host.aclose()

    with caplog.at_level(logging.INFO, logger="credit_policy.service"):
        asyncio.run(main())
    [failed] = logged(caplog, "policy reload failed")
    assert (failed["trigger"], failed["will_retry"]) == ("SIGHUP", False)


def test_the_back_off_doubles_for_the_same_directory_and_starts_again_for_a_changed_one() -> None:
    a, b = (("a.yaml", 1),), (("b.yaml", 2),)

    first = rules_watch.next_retry(None, a)
    second = rules_watch.next_retry(first, a)
    changed = rules_watch.next_retry(second, b)

    assert (first.failures, second.failures, changed.failures) == (1, 2, 1)
    assert (first.delay(), second.delay(), changed.delay()) == (0.5, 1.0, 0.5)
    assert not rules_watch.reload_due(a, a, None)
    assert rules_watch.reload_due(b, a, None)
    assert rules_watch.reload_due(a, a, rules_watch.Retry(a, 1, due=0.0))
    assert not rules_watch.reload_due(a, a, rules_watch.Retry(a, 1, due=float("inf")))
