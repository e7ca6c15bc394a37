"""The policy core's front door: load a rules directory once, then evaluate many customers.

Everything outside policy_engine (CLI, gRPC, store, batch) goes through these names:

    policy = load_policy("rules")            # lint + compile; raises PolicyLoadError with every problem
    decision = policy.evaluate(snapshot, as_of=date(2026, 11, 22), explain=False)
    order = policy.check_order(snapshot, OrderRequest(amount=Decimal("5000")), as_of=...)
    policy.version, policy.loaded_at, policy.files, policy.rule_ids
    program_bytes(policy) / policy_from_program(data)  # the compiled program, between our processes (program.py)
    build_id()                               # this build, e.g. "0.1.0+3f9a1c0b72de/durable_rules-2.0.28"

A Policy is safe to call from many threads (calls into the engine are serialised per process);
for parallelism use one Policy per worker process.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from policy_engine.build import build_id
from policy_engine.evaluator import Policy
from policy_engine.program import ProgramFromAnotherBuild, policy_from_program, program_bytes
from policy_engine.rules import DEFAULT_RULES_DIR
from policy_engine.rules.problems import SAID_PROBLEMS, PolicyLoadError, Problem

# The loader and the compiler (the YAML parser among them, ~0.12 s of imports) are imported by the functions
# that read rule files: an engine worker only builds its policy from a program (policy_from_program).


def load_policy(rules_dir: str | Path = DEFAULT_RULES_DIR) -> Policy:
    """Read, lint and compile a rules directory; raise PolicyLoadError listing every problem."""
    from policy_engine.rules.compiler import compile_policy
    from policy_engine.rules.loader import read_rule_files_in_part

    files, unread = read_rule_files_in_part(Path(rules_dir))  # the files read are linted even when one is not
    return compile_policy(files, source_dir=str(rules_dir), unread=unread)


def lint_warnings(policy: Any) -> list[str]:
    """Lint's warnings on a policy's rule files, each `path:line:col: code: message` (what `lint` prints)."""
    return [str(w) for w in getattr(policy, "warnings", ())]


def said_warnings(warnings: list[str], rules_dir: str | Path) -> list[str]:
    """The first SAID_PROBLEMS of `warnings`, then `… and N more (`credit-policy lint DIR` lists them all)`."""
    if len(warnings) <= SAID_PROBLEMS:
        return list(warnings)
    more = len(warnings) - SAID_PROBLEMS
    return [*warnings[:SAID_PROBLEMS], f"… and {more:,} more (`credit-policy lint {shlex.quote(str(rules_dir))}` "
                                       "lists them all)"]


def load_policy_from_files(files: dict[str, str]) -> Policy:
    """Compile a policy from {relative path: YAML text}, e.g. a version kept in the audit log."""
    from policy_engine.rules.compiler import compile_policy

    return compile_policy(files, source_dir="")


__all__ = ["DEFAULT_RULES_DIR", "SAID_PROBLEMS", "Policy", "PolicyLoadError", "Problem", "ProgramFromAnotherBuild",
           "build_id", "lint_warnings", "load_policy", "load_policy_from_files", "policy_from_program", "program_bytes",
           "said_warnings"]
