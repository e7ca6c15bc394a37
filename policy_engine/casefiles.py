"""Reading and checking rule test case files (rules/tests/*.yaml) before any case is run.

Every problem of a case file or a case is reported as `path:line:col: code: message`; a case with a
problem is not run (casetests.py runs the others and reports the results).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, get_args

from pydantic import ValidationError

from policy_engine.domain.errors import violations_from
from policy_engine.domain.models import CustomerSnapshot, OrderRequest, Outcome
from policy_engine.domain.values import GRADE_CLASSES, GRADES, parse_iso_date
from policy_engine.effects import FIXED_ACTION_CODES
from policy_engine.evaluator import Policy
from policy_engine.rules.loader import MAX_FILE_BYTES, MAX_FILES, TESTS_DIR, Document, parse_document, scan_rules_dir
from policy_engine.rules.problems import Problem
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


def read_case_docs(rules_dir: Path) -> tuple[list[Document], list[Problem]]:
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


def file_shape_problems(doc: Document) -> list[Problem]:
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


@dataclass(frozen=True)
class Known:
    """What expectations may name: a value outside these can never match (and a `not_fired` or
    `not_actions` naming it could never fail)."""

    rule_ids: tuple[str, ...]
    action_codes: tuple[str, ...]

    @classmethod
    def of(cls, policy: Policy) -> Known:
        """The rule ids and action codes of `policy`."""
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


def case_inputs(
    doc: Document, loc: tuple[Any, ...], label: str, case: Any, fixtures: dict[str, Any], problems: list[Problem],
    known: Known,
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


def _check_expect(doc: Document, loc: tuple[Any, ...], expect: Any, problems: list[Problem], known: Known) -> None:
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
