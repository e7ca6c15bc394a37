"""A compile child's memory bound (adapters/grpc/compile_memory.py): a compile that runs away with memory ends in
its child, as a refused reload that says so, and the version served serves on."""

from __future__ import annotations

import asyncio
import functools
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.grpc.compile_child import CompileChildFailed
from adapters.grpc.compile_zygote import RulesCompiler
from adapters.grpc.host import PolicyHost
from policy_engine.api import load_policy
from policy_engine.rules.problems import PolicyLoadError
from tests.hoarding_loader import hoard, hoard_then_abort
from tests.integration.conftest_grpc import RULES, copy_rules
from tests.integration.test_compile_zygote import segfault

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS and /proc: Linux")


@pytest.fixture
def compiler() -> Iterator[RulesCompiler]:
    """A compiler whose children may take 128 MiB more than they start with."""
    made = RulesCompiler(memory_mb=128)
    yield made
    made.close()


@pytest.mark.parametrize(("loader", "how"), [(hoard, ""), (hoard_then_abort, " (its process killed by SIGABRT)")])
def test_a_compile_past_its_memory_bound_is_refused_saying_so_and_the_next_compile_works(
        compiler: RulesCompiler, loader: Callable[[Path], Any], how: str) -> None:
    with pytest.raises(PolicyLoadError) as refused:
        compiler.compile(loader, RULES)

    [problem] = refused.value.problems
    assert (problem.path, problem.code) == (str(RULES), "compile_memory")
    assert problem.message.startswith(f"the rules compile ran past its memory bound of 128 MiB{how}; ")
    assert compiler.compile(load_policy, RULES).program  # the bound is the child's: the next one starts afresh


def test_a_crash_far_from_the_bound_is_still_a_failed_compile_not_a_refusal(compiler: RulesCompiler) -> None:
    with pytest.raises(CompileChildFailed, match="killed by SIGSEGV before answering"):
        compiler.compile(segfault, RULES)


def load_or_hoard(flag: Path, rules_dir: Path) -> Any:
    """load_policy, until `flag` exists: then run away with memory."""
    return hoard(rules_dir) if flag.exists() else load_policy(rules_dir)


def test_a_reload_past_the_memory_bound_is_refused_in_last_refused_and_the_served_version_serves_on(
        tmp_path: Path) -> None:
    rules, flag = copy_rules(tmp_path / "rules"), tmp_path / "hoard"
    limits = rules / "limits.yaml"

    async def scenario() -> None:
        host = PolicyHost(rules, load_policy=functools.partial(load_or_hoard, flag), compile_memory_mb=128)
        await host.start()
        try:
            served = host.served.policy.version
            flag.touch()
            limits.write_text(limits.read_text() + "\n# a new version\n")

            assert await host.reload("test") is False

            assert host.served.policy.version == served and host.rules_dir_state == "REFUSED"
            assert host.last_refused is not None and host.last_failed is None
            [problem] = host.last_refused.problems
            assert problem.code == "compile_memory" and "memory bound of 128 MiB" in problem.message
        finally:
            await host.aclose()

    asyncio.run(scenario())
