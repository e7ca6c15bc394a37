"""Rule test cases kept beside the rules (rules/tests/*.yaml): input, as_of, expected outcome.

A case file holds `fixtures` (named snapshots) and/or `cases`. A case's `snapshot` may name a
fixture with `base:` and override any top-level field. `expect` may check grade, grade_class,
outcome, credit_limit, next_review_on, fired / not_fired rule ids and actions / not_actions codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, get_args

from pydantic import ValidationError

from policy_engine.domain.errors import PolicyError, violations_from
from policy_engine.domain.models import CustomerSnapshot, OrderRequest, Outcome
from policy_engine.domain.values import GRADE_CLASSES, GRADES, parse_iso_date
from policy_engine.effects import FIXED_ACTION_CODES
from policy_engine.evaluator import Policy
from policy_engine.rules.loader import MAX_FILE_BYTES, MAX_FILES, TESTS_DIR, Document, parse_document, scan_rules_dir
from policy_engine.rules.problems import PolicyLoadError, Problem
from policy_engine.rules.schema import suggest

EXPECT_KEYS = frozenset(
    {
        "grade",
        "grade_class",
        "outcome",
        "credit_limit",
        "next_review_on",
        "score_at_least",
        "score_below",
        "fired",
        "not_fired",
        "actions",
        "not_actions",
    }
)
CASE_KEYS = frozenset({"id", "note", "as_of", "snapshot", "order", "expect"})


@dataclass
class CaseResult:
    """The outcome of one case: where it is, and what did not match."""

    case_id: str
    where: str
    failures: list[str] = field(default_factory=list)
    fired: set[str] = field(default_factory=set)
    not_run: bool = False
    """The case has problems (each in Suite.problems, and in `failures` here): it failed unrun."""


@dataclass
class Suite:
    """Every case result, setup problems, and the rules no case made fire."""

    results: list[CaseResult] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    uncovered: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every case passed, none was malformed and every rule fired somewhere."""
        return not self.problems and not self.uncovered and all(not r.failures for r in self.results)


def _docs(rules_dir: Path) -> tuple[list[Document], list[Problem]]:
    """The case files, bounded like the rule files: at most MAX_FILES, each at most MAX_FILE_BYTES."""
    docs: list[Document] = []
    tests_dir = rules_dir / TESTS_DIR
    tree = scan_rules_dir(rules_dir)
    problems: list[Problem] = list(tree.case_problems)
    paths = tree.case_files
    if len(paths) > MAX_FILES:
        message = f"{len(paths)} case files; at most {MAX_FILES} are read"
        return [], [Problem(str(tests_dir), 1, 1, "unreadable", message)]
    for path in paths:
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                problems.append(Problem(str(path), 1, 1, "unreadable", f"larger than {MAX_FILE_BYTES} bytes"))
                continue
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(str(path), 1, 1, "unreadable", str(exc)))
            continue
        doc, errs = parse_document(str(path), text)
        problems += errs
        if doc is not None:
            docs.append(doc)
    return docs, problems


_CASE_FILE_KEYS = ("cases", "fixtures")


def _file_shape_problems(doc: Document) -> list[Problem]:
    """A case file is a mapping with `cases:` (a list) and/or `fixtures:` (a mapping). Anything else
    used to be skipped without a word: a top-level list, a typo such as `case:`, an empty file, and
    the suite passed with those cases never run."""
    data = doc.data
    if data is None:
        return [doc.problem((), "missing_field", "empty case file: expected `cases:` (a list of cases)")]
    if not isinstance(data, dict):
        return [doc.problem((), "type_mismatch", f"a case file must be a mapping with `cases:` (a list); got a "
                                                 f"{'list' if isinstance(data, list) else type(data).__name__}")]
    problems = [doc.problem((key,), "unknown_field", f'unknown key "{key}" in a case file (expected cases or '
                                                     f'fixtures){suggest(str(key), list(_CASE_FILE_KEYS))}')
                for key in data if key not in _CASE_FILE_KEYS]
    if "cases" in data and not isinstance(data["cases"], list):
        problems.append(doc.problem(("cases",), "type_mismatch", "`cases` must be a list of cases"))
    if "fixtures" in data and not isinstance(data["fixtures"], dict):
        problems.append(doc.problem(("fixtures",), "type_mismatch", "`fixtures` must be a mapping of name → snapshot"))
    if not any(key in data for key in _CASE_FILE_KEYS):
        problems.append(doc.problem((), "missing_field", "a case file needs `cases:` (a list of cases)"))
    return problems


def run_suite(policy: Policy, rules_dir: Path) -> Suite:
    """Run every case under `rules_dir/tests`, and report rules no case fires."""
    suite = Suite()
    docs, suite.problems = _docs(rules_dir)
    fixtures: dict[str, Any] = {}
    for doc in docs:
        if isinstance(doc.data, dict):
            fixtures.update(doc.data.get("fixtures") or {})
    known = _Known.of(policy)
    first_of: dict[str, str] = {}
    for doc in docs:
        suite.problems += _file_shape_problems(doc)
        data = doc.data if isinstance(doc.data, dict) else {}
        cases = data.get("cases")
        for i, case in enumerate(cases if isinstance(cases, list) else []):
            own: list[Problem] = []  # this case's problems: it fails, and is not run
            case_id = case.get("id") if isinstance(case, dict) else None
            if isinstance(case_id, str):
                here = f"{doc.path}:{doc.where(('cases', i))[0]}"
                if case_id in first_of:
                    message = f'duplicate case id "{case_id}" (first at {first_of[case_id]})'
                    own.append(doc.problem(("cases", i, "id"), "duplicate_id", message))
                first_of.setdefault(case_id, here)
            suite.results.append(_run_case(policy, doc, ("cases", i), case, fixtures, own, known))
            suite.problems += own
    fired = set().union(*(r.fired for r in suite.results)) if suite.results else set()
    suite.uncovered = [f"{r.id} ({r.where})" for r in policy.program.rules if r.id not in fired]
    return suite


def failing(suite: Suite) -> list[Problem]:
    """What keeps a rule set from going live: each malformed case and each failing case, as
    problems (`rule_test_failed` at the case's line). Rules no case fires do not count here."""
    out = list(suite.problems)
    for result in suite.results:
        if result.failures and not result.not_run:  # a case not run: its problems are in suite.problems
            path, _, line = result.where.rpartition(":")
            message = f"case {result.case_id}: " + "; ".join(result.failures)
            out.append(Problem(path, int(line) if line.isdigit() else 1, 1, "rule_test_failed", message))
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
        raise PolicyLoadError(problems)
    return policy


@dataclass(frozen=True)
class _Known:
    """What expectations may name: a value outside these can never match (and a `not_fired` or
    `not_actions` naming it could never fail)."""

    rule_ids: tuple[str, ...]
    action_codes: tuple[str, ...]

    @classmethod
    def of(cls, policy: Policy) -> _Known:
        follow_ups = (r.spec.action for r in policy.program.rules if r.kind == "follow_up")
        return cls(tuple(policy.rule_ids), tuple(dict.fromkeys([*FIXED_ACTION_CODES, *follow_ups])))


_OUTCOMES: tuple[str, ...] = get_args(Outcome)


def _snapshot(doc: Document, loc: tuple[Any, ...], raw: Any, fixtures: dict[str, Any], problems: list[Problem]) -> Any:
    if not isinstance(raw, dict):
        problems.append(doc.problem(loc, "type_mismatch", "snapshot must be a mapping"))
        return None
    data = dict(raw)
    base = data.pop("base", None)
    if base is not None:
        if not isinstance(base, str) or base not in fixtures:
            hint = suggest(str(base), sorted(fixtures))
            problems.append(doc.problem((*loc, "base"), "invalid_value", f"no fixture named {base!r}{hint}"))
            return None
        data = {**fixtures[base], **data}
    return _validated(CustomerSnapshot, data, doc, loc, "snapshot", problems)


def _validated(model: Any, data: Any, doc: Document, loc: tuple[Any, ...], name: str, problems: list[Problem]) -> Any:
    """`model` validated from a case's `data`; else each violation reported at its place, and None."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for v in violations_from(exc):
            problems.append(doc.problem((*loc, *_loc_parts(v.field)), "invalid_value", f"{name}.{v}"))
        return None


def _loc_parts(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for chunk in path.replace("[", ".[").split("."):
        if chunk.startswith("["):
            parts.append(int(chunk[1:-1]))
        elif chunk:
            parts.append(chunk)
    return parts


def _run_case(
    policy: Policy, doc: Document, loc: tuple[Any, ...], case: Any, fixtures: dict[str, Any], problems: list[Problem],
    known: _Known,
) -> CaseResult:
    """The case's result. A case with a problem (each added to `problems`) fails without being run:
    one with a misspelt expectation, say, used to run and show `ok`, checking less than it said."""
    line, _ = doc.where(loc)
    label = str(case.get("id", f"case {loc[-1]}")) if isinstance(case, dict) else f"case {loc[-1]}"
    result = CaseResult(label, f"{doc.path}:{line}")
    inputs = _case_inputs(doc, loc, label, case, fixtures, problems, known)
    if inputs is None or problems:
        result.not_run = True
        result.failures = [f"not run: line {p.line}: {p.code}: {p.message}" for p in sorted(problems)]
        result.failures = result.failures or ["not run: the case could not be read"]
        return result
    snapshot, as_of, request, expect = inputs
    outcome = None
    try:
        if request is not None:
            order = policy.check_order(snapshot, request, as_of=as_of, explain=True)
            decision, outcome = order.customer, order.outcome
        else:
            decision = policy.evaluate(snapshot, as_of=as_of, explain=True)
    except PolicyError as exc:  # the engine could not decide (say, no grade band for the score): a failure
        result.failures = [f"no decision: {exc}"]
        return result
    result.fired = {t.rule_id for t in decision.trace if t.fired}
    result.failures = _compare(expect, decision, outcome, result.fired)
    return result


def _case_inputs(
    doc: Document, loc: tuple[Any, ...], label: str, case: Any, fixtures: dict[str, Any], problems: list[Problem],
    known: _Known,
) -> tuple[CustomerSnapshot, date, OrderRequest | None, dict[str, Any]] | None:
    """What running the case needs, with every problem of the case reported; None when it cannot run."""
    if not isinstance(case, dict):
        problems.append(doc.problem(loc, "type_mismatch", "a case must be a mapping"))
        return None
    for key in sorted(set(case) - CASE_KEYS, key=str):
        hint = suggest(str(key), sorted(CASE_KEYS))
        problems.append(doc.problem((*loc, key), "unknown_field", f'unknown case field "{key}"{hint}'))
    expect = case.get("expect")
    for key in sorted(set(expect) - EXPECT_KEYS, key=str) if isinstance(expect, dict) else ():
        hint = suggest(str(key), sorted(EXPECT_KEYS))
        problems.append(doc.problem((*loc, "expect", key), "unknown_field", f'unknown expectation "{key}"{hint}'))
    snapshot = _snapshot(doc, (*loc, "snapshot"), case.get("snapshot"), fixtures, problems)
    as_of = _as_of(doc, loc, case.get("as_of", DEFAULT_AS_OF), problems)
    request = _order(doc, (*loc, "order"), case["order"], problems) if "order" in case else None
    _checks_something(doc, loc, label, case, problems)
    if expect is not None:
        _check_expect(doc, (*loc, "expect"), expect, problems, known)
    if problems or snapshot is None or as_of is None or not isinstance(expect, dict):
        return None
    return snapshot, as_of, request, expect


def _checks_something(doc: Document, loc: tuple[Any, ...], label: str, case: dict[Any, Any],
                      problems: list[Problem]) -> None:  # fmt: skip
    """A case with no `expect`, an empty one, or one of empty lists only checks nothing: it would pass
    whatever the rules decide. Reported at the case's line."""
    expect = case.get("expect")
    if "expect" not in case:
        problems.append(doc.problem(loc, "missing_field", f"case {label} checks nothing: it has no expect"))
    elif expect is None or expect == {}:
        problems.append(doc.problem(loc, "invalid_value", f"case {label} checks nothing: expect is empty"))
    elif isinstance(expect, dict) and set(expect) <= EXPECT_KEYS and all(v == [] for v in expect.values()):
        message = f"case {label} checks nothing: every list in expect is empty"
        problems.append(doc.problem(loc, "invalid_value", message))


DEFAULT_AS_OF = "2026-11-22"
"""A case without as_of is evaluated as of this day, so its outcome never depends on the calendar."""


def _as_of(doc: Document, loc: tuple[Any, ...], raw: Any, problems: list[Problem]) -> date | None:
    try:
        return parse_iso_date(str(raw))
    except ValueError as exc:
        problems.append(doc.problem((*loc, "as_of"), "invalid_value", f"as_of: {exc}: {raw!r}"))
        return None


def _order(doc: Document, loc: tuple[Any, ...], raw: Any, problems: list[Problem]) -> OrderRequest | None:
    return _validated(OrderRequest, raw, doc, loc, "order", problems)  # type: ignore[no-any-return]


_TEXT_EXPECT = ("grade", "grade_class", "outcome", "next_review_on")
_NUMBER_EXPECT = ("score_at_least", "score_below")
_LIST_EXPECT = ("fired", "not_fired", "actions", "not_actions")


def _check_expect(doc: Document, loc: tuple[Any, ...], expect: Any, problems: list[Problem], known: _Known) -> None:
    """Each expectation has the type _compare needs (else it would crash instead of reporting), and
    names only grades, outcomes, rules and actions that exist (else it could never fail, or never pass)."""
    def bad(key: str, message: str, code: str = "type_mismatch", at: tuple[Any, ...] = ()) -> None:
        problems.append(doc.problem((*loc, key, *at), code, f"expect.{key}: {message}"))

    def unknown(key: str, value: Any, what: str, options: tuple[str, ...], at: tuple[Any, ...] = ()) -> None:
        if value not in options:
            bad(key, f"no {what} {value!r}{suggest(str(value), list(options))}", "invalid_value", at)

    if not isinstance(expect, dict):
        problems.append(doc.problem(loc, "type_mismatch", "expect must be a mapping"))
        return
    for key in _TEXT_EXPECT:
        if key in expect and not isinstance(expect[key], str):
            bad(key, f"a text, got {expect[key]!r}")
    for key in _NUMBER_EXPECT:
        if key in expect and (isinstance(expect[key], bool) or not isinstance(expect[key], int | float)):
            bad(key, f"a number, got {expect[key]!r}")
    for key in _LIST_EXPECT:
        if key in expect and not (isinstance(expect[key], list) and all(isinstance(x, str) for x in expect[key])):
            bad(key, f"a list of ids, got {expect[key]!r}")
    if "credit_limit" in expect:
        try:
            Decimal(str(expect["credit_limit"]))
        except ArithmeticError:
            bad("credit_limit", f"a decimal amount, got {expect['credit_limit']!r}")
    for key, what, options in (("grade", "grade", GRADES), ("grade_class", "grade class", GRADE_CLASSES),
                               ("outcome", "outcome", _OUTCOMES)):  # fmt: skip
        if isinstance(expect.get(key), str):
            unknown(key, expect[key], what, options)
    for key, what, options in (("fired", "rule", known.rule_ids), ("not_fired", "rule", known.rule_ids),
                               ("actions", "action", known.action_codes),
                               ("not_actions", "action", known.action_codes)):  # fmt: skip
        if isinstance(expect.get(key), list):
            for i, value in enumerate(expect[key]):
                if isinstance(value, str):  # a non-text item is already reported as the wrong type
                    unknown(key, value, what, options, (i,))


def _compare(expect: dict[str, Any], decision: Any, outcome: str | None, fired: set[str]) -> list[str]:
    failures = []
    for key in ("grade", "grade_class"):
        if key in expect and getattr(decision, key) != expect[key]:
            failures.append(f"{key}: expected {expect[key]}, got {getattr(decision, key)}")
    if "outcome" in expect and outcome != expect["outcome"]:
        failures.append(f"outcome: expected {expect['outcome']}, got {outcome}")
    if "credit_limit" in expect and decision.credit_limit != Decimal(str(expect["credit_limit"])):
        failures.append(f"credit_limit: expected {expect['credit_limit']}, got {decision.credit_limit}")
    if "next_review_on" in expect and str(decision.next_review_on) != str(expect["next_review_on"]):
        failures.append(f"next_review_on: expected {expect['next_review_on']}, got {decision.next_review_on}")
    if "score_at_least" in expect and decision.score < expect["score_at_least"]:
        failures.append(f"score: expected at least {expect['score_at_least']}, got {decision.score}")
    if "score_below" in expect and decision.score >= expect["score_below"]:
        failures.append(f"score: expected below {expect['score_below']}, got {decision.score}")
    codes = {a.code for a in decision.actions}
    for rule_id in expect.get("fired", []):
        if rule_id not in fired:
            failures.append(f"expected rule {rule_id} to fire")
    for rule_id in expect.get("not_fired", []):
        if rule_id in fired:
            failures.append(f"expected rule {rule_id} not to fire")
    for code in expect.get("actions", []):
        if code not in codes:
            failures.append(f"expected action {code}; got {sorted(codes)}")
    for code in expect.get("not_actions", []):
        if code in codes:
            failures.append(f"did not expect action {code}")
    return failures
