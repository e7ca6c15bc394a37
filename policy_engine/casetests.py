"""Running the rule test cases kept beside the rules (rules/tests/*.yaml) and reporting the results.

A case file holds `fixtures` (named snapshots) and/or `cases`. A case's `snapshot` may name a
fixture with `base:` and override any top-level field. `expect` may check grade, grade_class,
outcome, credit_limit, next_review_on, limit_valid_until, fired / not_fired rule ids, actions / not_actions codes
and the review's items to gather.
casefiles.py reads and checks the files; a case with a problem is reported and not run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from policy_engine.case_statements import statement_warnings
from policy_engine.caseexpect import Known
from policy_engine.casefiles import Fixtures, case_inputs, file_shape_problems, read_case_docs, read_fixtures
from policy_engine.casewhy import asked_by, decided_by, saw, why_not_fired
from policy_engine.domain.errors import PolicyError
from policy_engine.evaluator import Policy
from policy_engine.ir import CompiledRule
from policy_engine.rules.loader import TESTS_DIR, Document
from policy_engine.rules.problems import PolicyLoadError, Problem
from policy_engine.rules.thousands_points import case_warnings
from policy_engine.words import plural


@dataclass(frozen=True)
class Failure:
    """What did not hold in a case, and at which line and column of its file: the failing expectation's, or
    0 for the case as a whole (it could not run or decide), whose own line `CaseResult.where` gives."""

    message: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass
class CaseResult:
    """The outcome of one case: where it is, and what did not match."""

    case_id: str
    where: str
    failures: list[Failure] = field(default_factory=list)
    fired: set[str] = field(default_factory=set)
    not_run: bool = False
    """The case has problems (each in Suite.problems, and in `failures` here): it failed unrun."""
    snapshot: Any = None
    """The snapshot the case decided (its fixture with its overrides), and as of when: `test --score` shows how
    its score is reached."""
    as_of: date | None = None


@dataclass
class Suite:
    """Every case result, setup problems, and the rules no case that ran made fire."""

    results: list[CaseResult] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    uncovered: list[str] = field(default_factory=list)
    unread_files: list[str] = field(default_factory=list)
    """Case files whose cases could not be read (a yaml_error, not UTF-8, not a mapping with `cases:` …):
    a rule in `uncovered` may fire in one of those cases, as in a case not run."""
    warnings: list[Problem] = field(default_factory=list)
    """What does not stop a case from running nor fail the suite (`test --strict` fails on them): a statement
    in a case or fixture that does not add up (case_statements.py)."""

    @property
    def ok(self) -> bool:
        """True when every case passed, none was malformed and every rule fired somewhere."""
        return not self.problems and not self.uncovered and all(not r.failures for r in self.results)

    @property
    def not_run(self) -> int:
        """How many cases were not run: a rule in `uncovered` may fire in one of them once it is fixed."""
        return sum(1 for r in self.results if r.not_run)


def run_suite(policy: Policy, rules_dir: Path) -> Suite:
    """Run every case under `rules_dir/tests`, and report rules no case fires."""
    suite = Suite()
    docs, suite.problems = read_case_docs(rules_dir)
    parsed = {doc.path for doc in docs}
    suite.unread_files = list(dict.fromkeys(p.path for p in suite.problems if p.path not in parsed))
    fixtures, fixture_problems = read_fixtures(docs, suite.problems)
    suite.problems += fixture_problems
    suite.warnings = statement_warnings(docs, fixtures) + case_warnings(docs)
    known = Known.of(policy)
    first_of: dict[str, str] = {}
    for doc in docs:
        shape = file_shape_problems(doc)
        suite.problems += shape
        data = doc.data if isinstance(doc.data, dict) else {}
        cases = data.get("cases")
        if shape and doc.data is not None and not isinstance(cases, list):  # cases it may hold went unread
            suite.unread_files.append(doc.path)  # (an empty file holds none; a stray key beside `cases:` hides none)
        for i, case in enumerate(cases if isinstance(cases, list) else []):
            own: list[Problem] = []  # this case's problems: it fails, and is not run
            case_id = case.get("id") if isinstance(case, dict) else None
            if isinstance(case_id, str):
                here = f"{doc.path}:{doc.where(('cases', i))[0]}"
                if case_id in first_of:
                    message = (f'duplicate case id "{case_id}" (first at {first_of[case_id]}): an id names one case '
                               "across every case file; give one of the two another id")
                    own.append(doc.problem(("cases", i, "id"), "duplicate_id", message))
                first_of.setdefault(case_id, here)
            suite.results.append(_run_case(policy, doc, ("cases", i), case, fixtures, own, known))
            suite.problems += [p for p in own if p not in suite.problems]  # a fixture's: once, at its line
    fired = set().union(*(r.fired for r in suite.results)) if suite.results else set()
    suite.uncovered = [f"{r.id} ({r.where})" for r in policy.program.rules if r.id not in fired]
    return suite


def failing(suite: Suite) -> list[Problem]:
    """What keeps a rule set from going live: each malformed case, and each expectation of a case that
    did not hold, as problems (`rule_test_failed` at that expectation's line; a case that could not
    decide, at its own). Rules no case fires do not count here."""
    out = list(suite.problems)
    for result in suite.results:
        if result.not_run:  # its problems are in suite.problems
            continue
        path, _, line = result.where.rpartition(":")
        for failure in result.failures:
            at = (failure.line, failure.col) if failure.line else (int(line) if line.isdigit() else 1, 1)
            out.append(Problem(path, *at, "rule_test_failed", f"case {result.case_id}: {failure.message}"))
    return out


def load_tested_policy(rules_dir: str | Path) -> Policy:
    """Load a rules directory as `load_policy` does, then run its test cases (`tests/`, if there is
    one): a rule set whose own cases fail, or whose case files are malformed, raises PolicyLoadError
    listing them, as a rule-file problem does. The service loads its rule sets this way."""
    from policy_engine.api import load_policy

    rules_dir = Path(rules_dir)
    policy = load_policy(rules_dir)
    if not (rules_dir / TESTS_DIR).is_dir():
        return policy
    try:
        problems = failing(run_suite(policy, rules_dir))
    except BaseException:
        policy.close()
        raise
    if problems:
        policy.close()
        raise PolicyLoadError(problems, version=policy.version)
    return policy


def _run_case(
    policy: Policy, doc: Document, loc: tuple[Any, ...], case: Any, fixtures: Fixtures,
    problems: list[Problem], known: Known,
) -> CaseResult:
    """The case's result. A case with a problem (each added to `problems`) fails without being run:
    one with a misspelt expectation, say, used to run and show `ok`, checking less than it said."""
    line, _ = doc.where(loc)
    label = str(case.get("id", f"case {loc[-1]}")) if isinstance(case, dict) else f"case {loc[-1]}"
    result = CaseResult(label, f"{doc.path}:{line}")
    inputs = case_inputs(doc, loc, label, case, fixtures, problems, known)
    if inputs is None or problems:
        result.not_run = True
        said = _not_run(sorted(problems), doc) or ["not run: the case could not be read"]
        result.failures = [Failure(message) for message in said]
        return result
    snapshot, as_of, request, expect = inputs
    result.snapshot, result.as_of = snapshot, as_of
    outcome = None
    try:
        if request is not None:
            order = policy.check_order(snapshot, request, as_of=as_of, explain=True)
            decision, outcome = order.customer, order.outcome
        else:
            decision = policy.evaluate(snapshot, as_of=as_of, explain=True)
    except PolicyError as exc:  # the engine could not decide (say, no grade band for the score): a failure
        result.failures = [Failure(f"no decision: {exc}")]
        return result
    result.fired = {t.rule_id for t in decision.trace if t.fired}
    rules = {r.id: r for r in policy.program.rules}
    # Each at its expectation (a list's at its item), not at the case: a case's expect may be 40 lines down;
    # in the order of the file's lines, as staff read them.
    failed = [Failure(message, *doc.where((*loc, "expect", *at)))
              for at, message in _compare(expect, decision, outcome, result.fired, rules)]
    result.failures = sorted(failed, key=lambda f: (f.line, f.col))
    return result



def _compare(
    expect: dict[str, Any], decision: Any, outcome: str | None, fired: set[str], rules: dict[str, CompiledRule],
) -> list[tuple[tuple[Any, ...], str]]:
    """What did not match, each with where under `expect` (its key, and a list item's index) and the rule behind
    the value (casewhy): which expectation, which rule, why."""
    failures: list[tuple[tuple[Any, ...], str]] = []
    if "outcome" in expect and outcome != expect["outcome"]:
        failures.append((("outcome",), f"outcome: expected {expect['outcome']}, got {outcome}"))
    for key in ("grade", "grade_class", "credit_limit", "next_review_on", "limit_valid_until"):
        if key in expect and _differs(key, expect[key], getattr(decision, key)):
            failures.append(((key,), f"{key}: expected {expect[key]}, got {getattr(decision, key)}"
                                     f"{decided_by(key, decision, rules)}"))
    if "score_at_least" in expect and decision.score < expect["score_at_least"]:
        failures.append((("score_at_least",), f"score: expected at least {expect['score_at_least']}, "
                                              f"got {decision.score}"))
    if "score_below" in expect and decision.score >= expect["score_below"]:
        failures.append((("score_below",), f"score: expected below {expect['score_below']}, got {decision.score}"))
    failures += _list_failures(expect, decision, fired, rules)
    if "gather" in expect:  # the items of the CREDIT_REVIEW, in the order the rule file lists them
        gather: list[str] = next((a.gather for a in decision.actions if a.code == "CREDIT_REVIEW"), [])
        if gather != expect["gather"]:
            failures.append((("gather",), f"gather: expected {expect['gather']}, got {gather}"))
    return failures


def _list_failures(
    expect: dict[str, Any], decision: Any, fired: set[str], rules: dict[str, CompiledRule],
) -> list[tuple[tuple[Any, ...], str]]:
    """The rule ids and action codes of `fired`, `not_fired`, `actions` and `not_actions` that did not hold."""
    codes = {a.code for a in decision.actions}
    got = ", ".join(sorted(codes)) or "no action"
    checks: tuple[tuple[str, Callable[[str], bool], Callable[[str], str]], ...] = (
        ("fired", lambda r: r in fired, lambda r: f"expected rule {r} to fire{why_not_fired(r, decision, rules)}"),
        ("not_fired", lambda r: r not in fired, lambda r: f"expected rule {r} not to fire{saw(r, decision)}"),
        ("actions", lambda c: c in codes, lambda c: f"expected action {c}; got {got}"),
        ("not_actions", lambda c: c not in codes, lambda c: f"did not expect action {c}{asked_by(c, decision)}"),
    )
    return [((key, i), said(item)) for key, holds, said in checks
            for i, item in enumerate(expect.get(key, [])) if not holds(item)]


def _differs(key: str, expected: Any, got: Any) -> bool:
    """Whether a decided value is not the one expected: a limit as an amount, the others as written."""
    return bool(got != Decimal(str(expected))) if key == "credit_limit" else str(got) != str(expected)


_SHOWN = 2
"""How many of a case's problems are repeated in full under it (all are printed above, each once)."""


def _not_run(problems: list[Problem], doc: Document) -> list[str]:
    """Why the case was not run: its first problems in full, then where the others are. A split amount on
    each of a fixture's 15 invoices printed 15 full lines under every case built on it (135 for 9 cases)."""
    if len(problems) <= _SHOWN + 1:
        return [f"not run: {_line(p, doc)}: {p.code}: {p.message}" for p in problems]
    shown, rest = _not_run(problems[:_SHOWN], doc), problems[_SHOWN:]
    lines: dict[str, list[str]] = {}
    for p in rest:
        lines.setdefault(p.path, []).append(str(p.line))
    where = "; ".join(f"{'this file' if path == doc.path else path} line{'s' * (len(at) > 1)} {', '.join(at)}"
                      for path, at in lines.items())
    more = f"{len(rest)} more {plural(len(rest), 'problem')}"
    return [*shown, f"not run: and {more} in its input (printed above): {where}"]


def _line(problem: Problem, doc: Document) -> str:
    """`line 12` in the case's own file; `tests/fixtures.yaml:8` in another (a fixture's problem)."""
    return f"line {problem.line}" if problem.path == doc.path else f"{problem.path}:{problem.line}"
