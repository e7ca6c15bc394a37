"""A release installed under a running service: an engine worker spawned after that (replacing one that died)
imports the new code while the served program was pickled by the old. It does not unpickle that program (a class
laid out otherwise would come back wrong or half-filled); it compiles the served version's rule files, which the pool
keeps, with its own code, warns once, and must come up on the served version, else its start fails as any other."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from adapters.grpc import runtime
from adapters.grpc.engines import WorkerPoolEngine
from policy_engine.api import load_policy_from_files, program_bytes
from policy_engine.domain.errors import EngineFailure
from policy_engine.program import MAGIC, program_build
from tests.integration.conftest_grpc import ROOT
from tests.integration.test_grpc_worker_pool import FILES
from tests.integration.test_grpc_worker_program import served_versions

OTHER_BUILD = "0.0.9+000000000000/durable_rules-2.0.28 pydantic-2.0.0 pydantic-core-2.0.0 python-3.11.0"


def served_program() -> tuple[bytes, str]:
    """The shipped rules' program, made by this build, and its version."""
    policy = load_policy_from_files(FILES)
    try:
        return program_bytes(policy), policy.version
    finally:
        policy.close()


def of_other_build(program: bytes) -> bytes:
    """`program` as if another build had made it: the same pickle, named otherwise."""
    return MAGIC + OTHER_BUILD.encode() + program[program.index(b"\n", len(MAGIC)):]


def with_pool(pool: WorkerPoolEngine, scenario: Callable[[WorkerPoolEngine], Awaitable[None]]) -> None:
    async def main() -> None:
        await pool.start()
        try:
            await asyncio.wait_for(scenario(pool), 90)
        finally:
            await pool.aclose(grace=5)

    runtime.run(main(), "asyncio")


def warnings_logged(err: str) -> list[dict[str, object]]:
    """The workers' JSON lines on stderr that say a worker compiled the files."""
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    return [line for line in lines if str(line["event"]).startswith("worker built the policy from its files")]


@pytest.fixture
def new_release(tmp_path: Path) -> Iterator[Path]:
    """A copy of the code in which a field was added to a pickled class (Program) and is read as a policy is built:
    what a release installed under the running service could be."""
    release = tmp_path / "release"
    for package in ("policy_engine", "adapters"):
        shutil.copytree(ROOT / package, release / package, ignore=shutil.ignore_patterns("__pycache__"))
    ir = release / "policy_engine" / "ir.py"
    anchor = "    warnings: tuple[Any, ...] = ()\n"
    ir.write_text(ir.read_text().replace(anchor, anchor + "    reviewed_by: list[str] = field(default_factory=list)\n"))
    evaluator = release / "policy_engine" / "evaluator.py"
    anchor = "        self.warnings = program.warnings"
    reads_it = "        self.reviewed_by = program.reviewed_by\n"
    evaluator.write_text(evaluator.read_text().replace(anchor, reads_it + anchor))
    assert "reviewed_by" in ir.read_text() and "reviewed_by" in evaluator.read_text()
    yield release


def test_a_replacement_of_a_new_release_compiles_the_served_files_warns_and_serves_the_same_version(
        new_release: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """Before, the new worker unpickled the old Program without its new field: AttributeError, a failed start tried
    again and again, and no worker (with a field read only later, it would have served with it missing)."""
    program, version = served_program()

    async def scenario(pool: WorkerPoolEngine) -> None:
        victim = pool._workers[0].process.pid
        assert victim is not None
        sys.path.insert(0, str(new_release))  # what a spawn hands its child: the child imports the new release
        try:
            os.kill(victim, signal.SIGKILL)
            while pool._workers[0].process.pid == victim:
                await asyncio.sleep(0.01)
        finally:
            sys.path.remove(str(new_release))
        while not pool._workers[0].serving:
            assert not pool._start_failure, pool._start_failure
            await asyncio.sleep(0.01)
        assert await served_versions(pool, 3) == [version] * 3

    with_pool(WorkerPoolEngine(FILES, 1, program=program, version=version), scenario)

    [warning] = warnings_logged(capfd.readouterr().err)
    assert warning["version"] == version and warning["program_build"] == program_build()
    assert warning["worker_build"] != program_build()


def test_workers_given_a_program_of_another_build_compile_the_files_and_each_warns_naming_both_builds(
        capfd: pytest.CaptureFixture[str]) -> None:
    program, version = served_program()

    async def scenario(pool: WorkerPoolEngine) -> None:
        assert pool.version == version
        assert await served_versions(pool, 4) == [version] * 4

    with_pool(WorkerPoolEngine(FILES, 2, program=of_other_build(program), version=version), scenario)

    warnings = warnings_logged(capfd.readouterr().err)
    assert [w["event"] for w in warnings] == [
        "worker built the policy from its files: the program was made by another build "
        f"({OTHER_BUILD}; this worker runs {program_build()}); restart serve to run one build"] * 2
    assert [w["level"] for w in warnings] == ["warning"] * 2


def test_files_that_are_another_version_than_the_pools_fail_the_start_saying_which() -> None:
    """The files are the version's, as the pool was given them; if the new code made another version of them
    (or they were not the version's), the worker is not taken: a failed start, as any other."""
    program, version = served_program()
    files = dict(FILES)
    files[sorted(files)[0]] += "\n# another version\n"
    pool = WorkerPoolEngine(files, 1, program=of_other_build(program), version=version)

    came_up = rf"workers came up on \['[0-9a-f]+'\], not the one version \['{version}'\]"
    with pytest.raises(EngineFailure, match=came_up):
        runtime.run(pool.start(), "asyncio")
