"""Reading a version of the rules off to the side: what a child process sends back (a `PolicySummary`
with the compiled program) and the loader `serve --rule-tests` chooses.

The policy host (adapters/grpc/host.py) decides when to read; adapters/grpc/compile_child.py runs
`summarise_policy` in a child process so that the serving processes never compile."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.grpc.compile_child import CompileChildFailed, compile_in_child
from adapters.grpc.problem_lists import leading
from policy_engine.rule_table import RuleRow, rule_rows


@dataclass(frozen=True)
class PolicySummary:
    """What the front process keeps of a version read in a child process: what GetPolicy, the store
    and `on_loaded` need, and the compiled program's bytes (empty when the loader's policy has none)
    from which a serving process builds the engine in ~2 ms, without reading the files again."""

    version: str
    rule_ids: list[str]
    files: dict[str, str]
    program: bytes = b""
    rule_rows: tuple[RuleRow, ...] = ()
    """What each rule is (GetPolicy's `rules`), read here: the front process never holds the program itself."""
    warnings: tuple[Any, ...] = ()
    """Lint's warnings on the rule files (rules.problems.Problem): the child linted them, so the service logs
    them and GetPolicy gives them without linting again. The first ones, up to KEPT_PROBLEM_BYTES of their text:
    a rule set within the rule-file bounds can carry 200,000 (53 MB), which would cross the pipe for nothing."""
    warning_count: int = 0
    """How many warnings the rule files have, all counted."""


def summarise_policy(load_policy: Callable[[Path], Any], rules_dir: Path) -> PolicySummary:
    """Run in a child process: read, lint and compile the directory (and run its cases, with
    --rule-tests) as `load_policy` does; PolicyLoadError with every problem, else the summary."""
    policy = load_policy(rules_dir)
    try:
        program = program_of(policy)
        warnings = tuple(getattr(policy, "warnings", ()))
        return PolicySummary(policy.version, list(policy.rule_ids), dict(policy.files), program, rule_rows(policy),
                             tuple(leading(warnings)), len(warnings))
    finally:
        policy.close()


def program_of(policy: Any) -> bytes:
    """The program engine workers build `policy` from: a summary's bytes, a compiled Policy's pickled
    (`policy_engine.api.program_bytes`, ~3 ms), or b"" for a loader of another kind, whose workers then
    compile from the files."""
    program = getattr(policy, "program", b"")
    if isinstance(program, bytes):
        return program
    from policy_engine.api import program_bytes

    try:
        return program_bytes(policy)
    except Exception:  # noqa: BLE001 - not a program that pickles: the workers compile from the files
        return b""


def picklable(value: Any) -> bool:
    """Can `value` go to a child process (a module-level function can; a lambda a test passes cannot)?"""
    import pickle

    try:
        pickle.dumps(value)
    except Exception:
        return False
    return True


def rule_tests_option(rule_tests: bool) -> dict[str, Any]:
    """PolicyHost options for `serve --rule-tests` (off by default): a rule set read from the directory (at start or
    on a reload) is taken only if the cases in its tests/ pass; a failing or malformed case is a
    problem like a rule-file problem, so the reload is refused and the old version keeps serving."""
    if not rule_tests:
        return {}
    from policy_engine.casetests import load_tested_policy

    return {"load_policy": load_tested_policy}


def read_rules_dir(load_policy: Callable[[Path], Any], rules_dir: Path, *, serving: bool, in_child: bool,
                   workers: int, compile_off_to_the_side: Callable[..., Any] = compile_in_child) -> Any:
    """Load the rules directory (on a thread; PolicyLoadError if it has problems). While serving, the
    rule set is read, linted and compiled in a child process: compiled on a thread here it held the
    GIL for a few hundred ms a reload (far longer for a big rule set), and every call in flight
    waited behind it (bench/bench_reload_under_load.py). The child sends back the version's summary
    and its compiled program: with engine workers that is all the front process keeps (the workers
    build the engine from the program), and an in-process engine is built from it here in ~2 ms.
    Before the first version serves there is nobody to keep waiting, and a thread starts the
    service ~0.5 s sooner. `compile_off_to_the_side` is the host's RulesCompiler (a child forked by its
    long-lived compile process), or a one-shot child process."""
    if serving and in_child:
        summary = compile_off_to_the_side(load_policy, rules_dir)
        if workers > 0:
            return summary
        if summary.program:
            from policy_engine.api import policy_from_program

            return policy_from_program(summary.program)
    return load_policy(rules_dir)


DirLoader = Callable[[Path], Any]
FilesLoader = Callable[[dict[str, str]], Any]


def policy_loaders(load_policy: DirLoader | None, load_policy_from_files: FilesLoader | None,
                   ) -> tuple[DirLoader, FilesLoader]:  # fmt: skip
    """The host's loaders (of a rules directory, of given rule files): those given, else policy_engine.api's."""
    from policy_engine import api

    return load_policy or api.load_policy, load_policy_from_files or api.load_policy_from_files


def without_store_password(message: str, store: Any, store_url: str | None) -> str:
    """`message` without the database password of `store` (at `store_url`, or its SQLAlchemy engine's URL)."""
    engine_url = getattr(getattr(store, "engine", None), "url", None)
    url = store_url or (engine_url.render_as_string(hide_password=False) if engine_url else "")
    if not url:  # no SQL store: nothing to scrub, and no SQLAlchemy to import for it
        return message
    from adapters.store.engine import scrub_password

    return scrub_password(message, url)


def not_about_the_rules(exc: BaseException) -> bool:
    """Whether reading the rules directory failed for a reason other than its rule files, so the same files
    may well be taken on a later try: the compile child crashed, was killed or timed out
    (CompileChildFailed), or the system would not start it (OSError: no memory, no more processes).
    PolicyLoadError is the rules' problems, and any other error a loader's own, which the same files
    would meet again: those refuse the rule set until the directory changes."""
    return isinstance(exc, CompileChildFailed | OSError)
