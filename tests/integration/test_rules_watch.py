"""The rules directory as the service reads and watches it: what is read (hidden names, links, a
Kubernetes ConfigMap volume), what cannot be read is refused by name, and a watcher that notices
every change to what it reads, nothing else, and never stops (a PolicyHost in this process)."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.grpc import rules_watch
from adapters.grpc.host import PolicyHost, rule_tests_option
from policy_engine.api import load_policy
from policy_engine.rules.loader import read_rule_files, scan_rules_dir
from policy_engine.rules.problems import PolicyLoadError
from tests.integration.conftest_grpc import RULES, copy_rules

TICK = 0.05


def a_rule_file(rules: Path) -> Path:
    return rules / "limits.yaml"


def with_host(rules: Path, scenario: Callable[[PolicyHost], Awaitable[None]], **options: Any) -> None:
    """A started in-process host watching `rules` every TICK seconds while `scenario` runs."""

    async def main() -> None:
        host = PolicyHost(rules, workers=0, **options)
        await host.start()
        watcher = asyncio.create_task(host.watch(TICK, settle=TICK))
        try:
            await asyncio.wait_for(scenario(host), 180)  # room for two of until()'s waits and the rest
        finally:
            watcher.cancel()
            await host.aclose()

    asyncio.run(main())


async def until(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    # 60 s, not 20: a reload retried three times compiles the rules four times, over 20 s with both cores busy
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


# ---- what is read ----


def configmap_volume(root: Path) -> Path:
    """The layout of a Kubernetes ConfigMap volume: the files in a timestamped hidden directory,
    `..data` linking to it, and one link per file at the top (tests/ cannot be in a ConfigMap)."""
    volume = root / "volume"
    data = volume / "..2026_11_23_08_00_00.000000001"
    data.mkdir(parents=True)
    for path in sorted(RULES.glob("*.yaml")):
        shutil.copy(path, data / path.name)
    (volume / "..data").symlink_to(data.name)
    for path in sorted(data.iterdir()):
        (volume / path.name).symlink_to(Path("..data") / path.name)
    return volume


def swap_configmap(volume: Path, change: Callable[[Path], None]) -> None:
    """What the kubelet does on an update: a new timestamped directory, then `..data` replaced atomically."""
    old = (volume / "..data").resolve()
    new = volume / "..2026_11_23_09_00_00.000000002"
    shutil.copytree(old, new)
    change(new)
    (volume / "..data_tmp").symlink_to(new.name)
    os.replace(volume / "..data_tmp", volume / "..data")
    shutil.rmtree(old)


def test_a_configmap_volume_is_read_once_through_its_links_and_an_update_is_taken(tmp_path: Path) -> None:
    volume = configmap_volume(tmp_path)
    assert sorted(read_rule_files(volume)) == sorted(p.name for p in RULES.glob("*.yaml"))

    async def scenario(host: PolicyHost) -> None:
        first = host.served.policy.version
        swap_configmap(volume, lambda d: edit(d / "limits.yaml", "3.5", "3.2"))
        await until(lambda: host.served.policy.version != first)
        assert host.last_refused is None

    with_host(volume, scenario)


def test_hidden_files_and_directories_are_not_read(tmp_path: Path) -> None:
    rules = copy_rules(tmp_path / "rules")
    (rules / ".git" / "objects").mkdir(parents=True)
    (rules / ".git" / "objects" / "stray.yaml").write_text("not: [a rule file")
    (rules / "._limits.yaml").write_bytes(b"\x00\x05\x16\x07 macOS resource fork")
    (rules / "notes.txt").write_text("not read either")
    assert sorted(read_rule_files(rules)) == sorted(read_rule_files(RULES))


def test_a_link_that_leads_nowhere_is_refused_by_name(tmp_path: Path) -> None:
    rules = copy_rules(tmp_path / "rules")
    (rules / "extra.yaml").symlink_to(tmp_path / "missing.yaml")
    (rules / "loop.yaml").symlink_to("loop.yaml")
    with pytest.raises(PolicyLoadError) as caught:
        read_rule_files(rules)
    named = {Path(p.path).name: p for p in caught.value.problems}
    assert set(named) == {"extra.yaml", "loop.yaml"}
    assert all(p.code == "unreadable" for p in named.values())


def test_a_link_to_a_file_outside_the_rules_directory_is_refused_though_it_is_a_valid_rule_file(
        tmp_path: Path) -> None:
    """The service may read files its rules' authors may not, and serves every rule file it reads to any caller."""
    rules = copy_rules(tmp_path / "rules")
    outside = tmp_path / "elsewhere" / "limits.yaml"
    outside.parent.mkdir()
    shutil.copy(a_rule_file(rules), outside)
    a_rule_file(rules).unlink()
    a_rule_file(rules).symlink_to(outside)

    with pytest.raises(PolicyLoadError) as caught:
        read_rule_files(rules)

    [problem] = caught.value.problems
    assert (Path(problem.path).name, problem.code) == ("limits.yaml", "unreadable")
    assert "outside the rules directory" in problem.message


def test_a_rule_file_replaced_by_a_link_out_of_the_directory_is_a_refused_reload_never_served(
        tmp_path: Path) -> None:
    rules = copy_rules(tmp_path / "rules")
    outside = tmp_path / "secret" / "limits.yaml"  # valid rules, a figure changed: served, it would be a new version
    outside.parent.mkdir()
    outside.write_text(a_rule_file(rules).read_text().replace("3.5", "3.2", 1) + "# s3cret-outside\n")

    async def scenario(host: PolicyHost) -> None:
        first = host.served.policy.version
        link = rules / "limits.yaml.new"
        link.symlink_to(outside)
        os.replace(link, a_rule_file(rules))  # the file replaced in one rename, as an editor or deploy does
        await until(lambda: host.last_refused is not None)
        assert host.served.policy.version == first
        assert all("s3cret-outside" not in text for text in host.served.policy.files.values())
        assert [p.code for p in host.last_refused.problems] == ["unreadable"]

    with_host(rules, scenario)


def deny_listing(monkeypatch: pytest.MonkeyPatch, denied: Path) -> None:
    """os.scandir refuses `denied` as it would a directory without read permission (the tests run as
    root, which permissions do not stop)."""
    real = os.scandir

    def scandir(path: Any = ".") -> Any:
        if Path(path) == denied:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)


def test_a_directory_that_cannot_be_listed_is_refused_not_skipped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = copy_rules(tmp_path / "rules")
    (rules / "extra").mkdir()
    shutil.move(rules / "warnings.yaml", rules / "extra" / "warnings.yaml")
    assert "extra/warnings.yaml" in read_rule_files(rules)
    deny_listing(monkeypatch, rules / "extra")
    with pytest.raises(PolicyLoadError) as caught:
        read_rule_files(rules)
    [problem] = caught.value.problems
    assert (problem.path, problem.code) == (str(rules / "extra"), "unreadable")
    assert "Permission denied" in problem.message


def test_with_rule_tests_a_tests_directory_that_cannot_be_listed_refuses_the_rule_set(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = copy_rules(tmp_path / "rules")
    load = rule_tests_option(True)["load_policy"]
    load(rules)  # the shipped cases pass
    deny_listing(monkeypatch, rules / "tests")
    with pytest.raises(PolicyLoadError) as caught:
        load(rules)
    assert any(p.path == str(rules / "tests") and p.code == "unreadable" for p in caught.value.problems)
    load_policy(rules)  # without the cases the rule set itself is good


# ---- what the watcher notices ----


def test_a_same_size_edit_whose_mtime_was_put_back_is_reloaded(tmp_path: Path) -> None:
    rules = copy_rules(tmp_path / "rules")
    target = a_rule_file(rules)

    async def scenario(host: PolicyHost) -> None:
        first = host.served.policy.version
        before = target.stat()
        edit(target, "3.5", "3.2")  # same size
        os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))  # as cp -p, rsync -t or tar do
        assert (target.stat().st_size, target.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
        await until(lambda: host.served.policy.version != first)

    with_host(rules, scenario)


def test_a_file_made_readable_again_is_taken_without_an_edit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = copy_rules(tmp_path / "rules")
    target = a_rule_file(rules)
    real_open = Path.open

    def open_(self: Path, *args: Any, **kwargs: Any) -> Any:  # read_text and the loader's bounded read open here
        if self == target and not self.stat().st_mode & 0o444:  # what a non-root reader meets
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_)

    async def scenario(host: PolicyHost) -> None:
        first = host.served.policy.version
        edit(target, "3.5", "3.2")
        target.chmod(0)
        await until(lambda: host.last_refused is not None)
        assert "Permission denied" in str(host.last_refused.problems[0])  # type: ignore[union-attr]
        assert host.served.policy.version == first
        target.chmod(0o644)  # only the permissions change
        await until(lambda: host.served.policy.version != first)

    # Read here, where the patched open plays the non-root reader (a child process would not see it).
    with_host(rules, scenario, load_in_child=False)


def test_other_files_changing_all_the_time_do_not_hold_a_rule_change_back(tmp_path: Path) -> None:
    rules = copy_rules(tmp_path / "rules")

    async def scenario(host: PolicyHost) -> None:
        first = host.served.policy.version
        log = rules / "sync.log"
        changed = False
        # until a deadline, not for 200 ticks (5 s): with both cores busy the reload's compile alone took longer
        deadline = time.monotonic() + 60
        i = 0
        while time.monotonic() < deadline:  # written every half tick, before and after the change
            log.write_text(f"sync {i}\n" * (i % 100 + 1))
            if i == 10:
                edit(a_rule_file(rules), "3.5", "3.2")
            if i > 10 and host.served.policy.version != first:
                changed = True
                break
            i += 1
            await asyncio.sleep(TICK / 2)
        assert changed

    with_host(rules, scenario)


def test_the_watcher_logs_an_error_and_keeps_watching(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    rules = copy_rules(tmp_path / "rules")
    real = rules_watch.fingerprint
    failures = [3]

    def fingerprint(rules_dir: Path) -> Any:
        if failures[0] > 0:
            failures[0] -= 1
            raise OSError(40, "Too many levels of symbolic links", str(rules_dir))
        return real(rules_dir)

    async def scenario(host: PolicyHost) -> None:
        first = host.served.policy.version
        monkeypatch.setattr(rules_watch, "fingerprint", fingerprint)
        await until(lambda: failures[0] == 0)
        edit(a_rule_file(rules), "3.5", "3.2")
        await until(lambda: host.served.policy.version != first)
        # logged when the watcher's tick ends, which may be after the swap (the reload's last step reads
        # the directory once more, off the loop)
        await until(lambda: any(r.getMessage() == "rules watch recovered" for r in caplog.records))

    with caplog.at_level(logging.INFO, logger="credit_policy.service"):
        with_host(rules, scenario)
    events = [r.getMessage() for r in caplog.records]
    assert events.count("rules watch failed") == 1  # logged once while the same error repeats
    assert "rules watch recovered" in events and "policy reloaded" in events


def test_a_listing_error_in_the_tree_is_part_of_the_fingerprint_not_a_crash(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = copy_rules(tmp_path / "rules")
    (rules / "extra").mkdir()
    before = rules_watch.fingerprint(rules)
    deny_listing(monkeypatch, rules / "extra")
    denied = rules_watch.fingerprint(rules)
    assert denied != before
    assert scan_rules_dir(rules).problems[0].path == str(rules / "extra")


def test_a_directory_named_like_a_rule_file_changes_the_fingerprint_and_refuses_the_load(tmp_path: Path) -> None:
    rules = copy_rules(tmp_path / "rules")
    before = rules_watch.fingerprint(rules)

    (rules / "extra.yaml").mkdir()

    assert rules_watch.fingerprint(rules) != before
    with pytest.raises(PolicyLoadError) as caught:
        read_rule_files(rules)
    assert [(p.path, p.code) for p in caught.value.problems] == [(str(rules / "extra.yaml"), "is_a_directory")]
