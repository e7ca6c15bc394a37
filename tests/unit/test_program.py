"""A program's bytes name the build that made them, and only code of that build unpickles them: a program of
another build (a release installed under a running service) is refused before any of its pickle is read, so no
policy is ever built from classes laid out by other code."""

from __future__ import annotations

import pickle
from typing import Any

import pydantic
import pytest

from policy_engine.api import load_policy_from_files, policy_from_program, program_bytes
from policy_engine.build import build_id
from policy_engine.program import MAGIC, UNNAMED, ProgramFromAnotherBuild, program_build, program_made_by
from policy_engine.rules.loader import read_rule_files
from tests.integration.conftest_grpc import RULES

UNPICKLED: list[str] = []


def _unpickled(mark: str) -> str:
    UNPICKLED.append(mark)
    return mark


class _Unpickling:
    """Records that it was unpickled (its pickle calls `_unpickled`)."""

    def __reduce__(self) -> tuple[Any, ...]:
        return _unpickled, ("read",)


def named(build: str, pickled: bytes) -> bytes:
    return MAGIC + build.encode() + b"\n" + pickled


def test_a_program_names_the_build_that_made_it_and_this_build_reads_it_back() -> None:
    policy = load_policy_from_files(read_rule_files(RULES))

    data = program_bytes(policy)
    rebuilt = policy_from_program(data)

    assert program_made_by(data) == program_build()
    assert program_build().startswith(build_id() + " ")
    assert f"pydantic-{pydantic.VERSION} " in program_build()
    assert rebuilt.version == policy.version and rebuilt.rule_ids == policy.rule_ids
    policy.close()
    rebuilt.close()


@pytest.mark.parametrize(("data", "made_by"), [
    (named("0.1.0+000000000000/durable_rules-2.0.28 pydantic-2.0.0", pickle.dumps(_Unpickling())),
     "0.1.0+000000000000/durable_rules-2.0.28 pydantic-2.0.0"),
    (pickle.dumps(_Unpickling()), UNNAMED),  # a release before programs named their build
    (MAGIC + b"x" * 300 + b"\n" + pickle.dumps(_Unpickling()), UNNAMED),  # no build line within bounds
    (MAGIC + b"\n" + pickle.dumps(_Unpickling()), UNNAMED),
])
def test_a_program_of_another_build_is_refused_naming_both_builds_and_never_unpickled(data: bytes,
                                                                                      made_by: str) -> None:
    UNPICKLED.clear()

    with pytest.raises(ProgramFromAnotherBuild) as refused:
        policy_from_program(data)

    assert UNPICKLED == []
    assert refused.value.code == "program_from_another_build"
    assert (refused.value.made_by, refused.value.running) == (made_by, program_build())
    assert str(refused.value) == f"made by {made_by}, this process runs {program_build()}"


def test_a_program_of_this_build_is_unpickled() -> None:
    """The check above is on the build, not on the pickle: this build's bytes are read (and fail as they do)."""
    UNPICKLED.clear()

    with pytest.raises(AttributeError):
        policy_from_program(named(program_build(), pickle.dumps(_Unpickling())))  # a str is not a Program

    assert UNPICKLED == ["read"]
