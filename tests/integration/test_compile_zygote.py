"""A serving process's long-lived compile process (adapters/grpc/compile_zygote.py): compiles answer through
children it forks, and every way a child or the zygote itself ends is what it was with a one-shot child."""

from __future__ import annotations

import functools
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.grpc.compile_child import CompileChildFailed, CompileStopped
from adapters.grpc.compile_zygote import RulesCompiler
from adapters.grpc.rules_source import PolicySummary
from policy_engine.api import load_policy
from tests.integration.conftest_grpc import RULES
from tests.integration.test_batch_support import alive
from tests.sleeping_loader import sleep_in_child

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the zygote is Linux-only (PR_SET_PDEATHSIG)")


@pytest.fixture
def compiler() -> Iterator[RulesCompiler]:
    """A compiler whose zygote is killed at teardown, as the host's aclose does."""
    made = RulesCompiler()
    yield made
    pid = made.zygote_pid
    made.close()
    if pid is not None:
        until(lambda: not alive(pid))


def until(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def live_processes(*, parent: int = -1, session: int = -1, zombies: bool = False) -> list[int]:
    """Running (not zombie) processes whose parent is `parent` or whose session is `session`; with `zombies`, those
    that have ended and not been reaped instead."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if (fields[0] == "Z") == zombies and (int(fields[1]) == parent or int(fields[3]) == session):
            found.append(int(stat.parent.name))
    return found


def exit_with_nine(rules_dir: Path) -> Any:
    os._exit(9)


def segfault(rules_dir: Path) -> Any:
    os.kill(os.getpid(), signal.SIGSEGV)


def count_runs(rules_dir: Path) -> Any:
    """Module state a loader sets, in its own module and in one the zygote imported before forking."""
    import policy_engine.api as preimported

    runs = getattr(preimported, "_test_runs", 0) + 1
    preimported._test_runs = runs  # type: ignore[attr-defined]
    raise RuntimeError(f"run {runs}")


def test_compiles_through_the_zygote_answer_and_reuse_one_process(compiler: RulesCompiler) -> None:
    first = compiler.compile(load_policy, RULES)
    zygote = compiler.zygote_pid
    second = compiler.compile(load_policy, RULES)

    assert isinstance(first, PolicySummary) and first.program
    assert first.version == second.version == load_policy(RULES).version
    assert zygote is not None and compiler.zygote_pid == zygote
    assert live_processes(parent=zygote) == []  # each compile's child has ended and been reaped
    assert len(os.listdir(f"/proc/{zygote}/task")) == 1  # single-threaded: forking from it is safe
    assert os.getpriority(os.PRIO_PROCESS, zygote) >= 10


@pytest.mark.parametrize(("loader", "words"), [
    (exit_with_nine, "the child process compiling the rules exited with code 9 before answering"),
    (segfault, "the child process compiling the rules killed by SIGSEGV before answering"),
])
def test_a_child_that_ends_before_answering_fails_as_the_one_shot_child_did_and_the_zygote_serves_on(
        compiler: RulesCompiler, loader: Callable[[Path], Any], words: str) -> None:
    compiler.compile(load_policy, RULES)
    zygote = compiler.zygote_pid

    with pytest.raises(CompileChildFailed, match=words):
        compiler.compile(loader, RULES)

    assert compiler.compile(load_policy, RULES).program
    assert compiler.zygote_pid == zygote


def test_module_state_a_compile_sets_does_not_reach_the_next_one(compiler: RulesCompiler) -> None:
    with pytest.raises(RuntimeError, match="run 1"):
        compiler.compile(count_runs, RULES)

    with pytest.raises(RuntimeError, match="run 1"):
        compiler.compile(count_runs, RULES)


def test_a_zygote_killed_between_compiles_is_replaced_and_logged_once(
        compiler: RulesCompiler, caplog: pytest.LogCaptureFixture) -> None:
    compiler.compile(load_policy, RULES)
    killed = compiler.zygote_pid
    assert killed is not None
    os.kill(killed, signal.SIGKILL)
    until(lambda: not alive(killed))

    with caplog.at_level(logging.INFO, logger="credit_policy.service"):
        summary = compiler.compile(load_policy, RULES)
        compiler.compile(load_policy, RULES)

    assert summary.program
    assert compiler.zygote_pid not in (None, killed)
    ended = [r for r in caplog.records if r.getMessage() == "rules compiler ended"]
    assert [(r.fields["pid"], r.fields["cause"]) for r in ended] == [(killed, "killed by SIGKILL")]  # type: ignore[attr-defined]


def test_a_zygote_that_dies_between_compiles_is_reaped_and_logged_when_it_dies_not_at_the_next_compile(
        compiler: RulesCompiler, caplog: pytest.LogCaptureFixture) -> None:
    compiler.compile(load_policy, RULES)
    killed = compiler.zygote_pid
    assert killed is not None

    with caplog.at_level(logging.INFO, logger="credit_policy.service"):
        os.kill(killed, signal.SIGKILL)
        until(lambda: any(r.getMessage() == "rules compiler ended" for r in caplog.records), timeout=10)

    [ended] = [r.fields for r in caplog.records if r.getMessage() == "rules compiler ended"]  # type: ignore[attr-defined]
    assert (ended["pid"], ended["cause"]) == (killed, "killed by SIGKILL")
    assert ended["action"] == "the next reload starts a new compiler"
    assert not Path(f"/proc/{killed}").exists()  # reaped: no zombie left to the next reload
    assert compiler.zygote_pid is None
    assert compiler.compile(load_policy, RULES).program and compiler.zygote_pid not in (None, killed)


class SleepingCompile:
    """A compile whose child sleeps for two minutes, on a thread: its child's and its zygote's pids, its error."""

    def __init__(self, compiler: RulesCompiler, tmp_path: Path, **options: Any) -> None:
        pid_file = tmp_path / "child.pid"
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, args=(compiler, pid_file, options), daemon=True)
        self.thread.start()
        until(lambda: pid_file.exists() and pid_file.read_text() != "")
        self.child, zygote = int(pid_file.read_text()), compiler.zygote_pid
        assert zygote is not None
        self.zygote: int = zygote

    def _run(self, compiler: RulesCompiler, pid_file: Path, options: dict[str, Any]) -> None:
        try:
            compiler.compile(functools.partial(sleep_in_child, pid_file), RULES, **options)
        except BaseException as exc:  # noqa: BLE001 - the test looks at it
            self.errors.append(exc)

    def ended_with(self, timeout: float) -> list[str]:
        """The compile's error, in words, once its thread is done."""
        self.thread.join(timeout)
        return [str(e) for e in self.errors]


def test_a_zygote_killed_during_a_compile_takes_its_child_along_and_the_next_compile_works(
        compiler: RulesCompiler, tmp_path: Path) -> None:
    compiling = SleepingCompile(compiler, tmp_path)

    os.kill(compiling.zygote, signal.SIGKILL)

    assert compiling.ended_with(30) == ["the child process compiling the rules killed by SIGKILL before answering "
                                        "(its compile process killed by SIGKILL)"]
    until(lambda: not alive(compiling.child))
    assert compiler.compile(load_policy, RULES).program


def test_a_compile_over_its_time_is_refused_as_before_and_leaves_no_process(
        compiler: RulesCompiler, tmp_path: Path) -> None:
    compiler.compile(load_policy, RULES)  # the compile process started: its start is not part of the 3 s
    compiling = SleepingCompile(compiler, tmp_path, timeout=3.0)

    assert compiling.ended_with(60) == ["the child process compiling the rules took more than 3 s"]
    until(lambda: not alive(compiling.child) and not alive(compiling.zygote))
    assert compiler.compile(load_policy, RULES).program


def test_close_kills_a_compile_at_work_without_waiting_and_no_compile_starts_after(
        compiler: RulesCompiler, tmp_path: Path) -> None:
    compiling = SleepingCompile(compiler, tmp_path)

    began = time.monotonic()
    compiler.close()
    closed_in = time.monotonic() - began

    assert closed_in < 0.5
    assert compiling.ended_with(30) == ["the process compiling the rules was stopped with the service"]
    assert isinstance(compiling.errors[0], CompileStopped)  # not a crash: the host drops it unlogged as failed
    until(lambda: not alive(compiling.child) and not alive(compiling.zygote))
    with pytest.raises(CompileStopped, match="stopped with the service"):
        compiler.compile(load_policy, RULES)


def test_a_loader_importable_only_from_a_path_added_after_the_zygote_started_is_found(
        compiler: RulesCompiler, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compiler.compile(load_policy, RULES)  # the zygote runs, with sys.path as it was
    (tmp_path / "late_rules_loader.py").write_text("from policy_engine.api import load_policy\n\n\n"
                                                   "def late_loader(rules_dir):\n    return load_policy(rules_dir)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "late_rules_loader", raising=False)
    try:
        from late_rules_loader import late_loader  # type: ignore[import-not-found]

        assert compiler.compile(late_loader, RULES).version == load_policy(RULES).version
    finally:
        sys.modules.pop("late_rules_loader", None)
