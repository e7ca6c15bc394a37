"""A compiled policy's program as bytes for another of our processes, and the build of the code that made it.

The program is a pickle of policy_engine's own classes (Program, CompiledRule, the rule files' pydantic models).
Unpickling restores their attributes as the code that pickled them laid them out, without running any of the
reading code's constructors or checks: a field added, renamed or given another meaning since then is silently
missing or wrong. So the bytes start with the build that made them (`program_build`), and only code of exactly
that build unpickles them; any other raises ProgramFromAnotherBuild before a byte of the pickle is read.

Two processes of one service differ in build when a release was installed under a running `serve`: an engine
worker spawned after that (replacing one that died) imports the new code, while the program was made by the old.
"""

from __future__ import annotations

import pickle
import sys
from functools import cache

from policy_engine.build import build_id
from policy_engine.domain.errors import PolicyError
from policy_engine.evaluator import Policy

MAGIC = b"credit-policy program\n"
"""The first bytes of every program: then its build (ASCII) and a newline, then the pickle."""
MAX_BUILD_BYTES = 256
"""A build named longer than this is not one of ours (this build's name is ~90 characters)."""
UNNAMED = "a build that does not name itself (a release before programs named theirs)"


class ProgramFromAnotherBuild(PolicyError):
    """The program was made by another build of the decision code than this process runs: it is not unpickled."""

    code = "program_from_another_build"

    def __init__(self, made_by: str, running: str):
        self.made_by, self.running = made_by, running
        super().__init__(f"made by {made_by}, this process runs {running}")


@cache
def program_build() -> str:
    """What must be the same where a program is pickled and unpickled: policy_engine's build (its source hash and
    the rule engine's version, `build_id`), and the versions of pydantic and Python, whose pickles of the
    rule files' models and the standard types a program holds are theirs to lay out."""
    import pydantic
    import pydantic_core

    python = ".".join(map(str, sys.version_info[:3]))
    return f"{build_id()} pydantic-{pydantic.VERSION} pydantic-core-{pydantic_core.__version__} python-{python}"


def program_bytes(policy: Policy) -> bytes:
    """A compiled policy's program, named with this build and pickled, for `policy_from_program` in another of
    our processes.

    Reading and checking the rule files is nearly all the cost of compiling (the YAML parser: ~120 ms
    of ~130 ms for the shipped rules); the engine's own ruleset from a program takes ~2 ms. So the
    service reads and lints a new version once, in a child process, and its serving processes only
    build the engine from these bytes. They are only ever exchanged between the service's own
    processes over their pipes, never read from a file or the network."""
    pickled = pickle.dumps(policy.program, protocol=pickle.HIGHEST_PROTOCOL)
    return MAGIC + program_build().encode() + b"\n" + pickled


def program_made_by(data: bytes) -> str:
    """The build named at the start of a program's bytes; UNNAMED for bytes that name none."""
    if not data.startswith(MAGIC):
        return UNNAMED
    end = data.find(b"\n", len(MAGIC), len(MAGIC) + MAX_BUILD_BYTES + 1)
    made_by = data[len(MAGIC):end].decode("ascii", "replace") if end > 0 else ""
    return made_by if made_by.isprintable() and made_by else UNNAMED


def policy_from_program(data: bytes) -> Policy:
    """The Policy of `program_bytes(policy)`: the same version, deciding the same way. ProgramFromAnotherBuild
    (nothing unpickled) when another build made it."""
    made_by, running = program_made_by(data), program_build()
    if made_by != running:
        raise ProgramFromAnotherBuild(made_by, running)
    return Policy(pickle.loads(data[len(MAGIC) + len(made_by) + 1:]))


__all__ = ["MAGIC", "ProgramFromAnotherBuild", "policy_from_program", "program_build", "program_bytes",
           "program_made_by"]
