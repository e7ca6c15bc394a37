"""Reading and checking rule test case files (rules/tests/*.yaml) before any case is run.

Every problem of a case file or a case is reported as `path:line:col: code: message`; a case with a
problem is not run (casetests.py runs the others and reports the results).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from policy_engine.case_slips import said_once
from policy_engine.caseexpect import EXPECT_KEYS, Known, check_expect, checks_something, in_case
from policy_engine.domain.dates import refused_date
from policy_engine.domain.errors import violations_from
from policy_engine.domain.models import CustomerSnapshot, OrderRequest
from policy_engine.domain.suggest import echoed_input
from policy_engine.domain.values import parse_iso_date
from policy_engine.rules.full_width import name_slips
from policy_engine.rules.loader import MAX_FILE_BYTES, MAX_FILES, TESTS_DIR, Document, scan_rules_dir
from policy_engine.rules.node_budget import NodeBudget
from policy_engine.rules.parsed_files import parse_file
from policy_engine.rules.problems import Problem
from policy_engine.rules.rule_tree import read_rule_text
from policy_engine.rules.schema import suggest
from policy_engine.rules.thousands_points import case_money_said
from policy_engine.rules.yaml_constructor import CaseConstructor

MAX_CASE_CHARS = 4 << 20
"""Characters of all case files together (the shipped ones are ~120 K): parsing costs ~15 s a MiB, so 200 files of
1 MiB each took most of an hour of every `test` and `serve --rule-tests` reload, and gigabytes of YAML nodes."""

MAX_CASE_NODES = 1_000_000
"""YAML nodes of all case files together, aliases and `<<:` merges expanded where they are used (as MAX_NODES for
the rule files). The shipped cases make ~5,200 (they name fixtures with `base:`); 4 MiB of cases like them ~190,000;
a case that merges a ~270-node snapshot with `<<:` makes it again: ~3,700 such cases fit. At the bound `test` peaks
at ~290 MB. Bounded per file, 200 case files each aliasing one snapshot made 39 million nodes within 4 MiB: `test`
took 508 s and 7.8 GB (bench/bench_lint_bounds.py, docs/bench.md)."""

CASE_KEYS = frozenset({"id", "note", "as_of", "snapshot", "order", "expect"})


def read_case_docs(rules_dir: Path) -> tuple[list[Document], list[Problem]]:
    """The case files, bounded like the rule files: at most MAX_FILES, each at most MAX_FILE_BYTES, MAX_CASE_CHARS
    and MAX_CASE_NODES in all (the file that crosses one is refused, and those after it are not read)."""
    docs: list[Document] = []
    tests_dir = rules_dir / TESTS_DIR
    tree = scan_rules_dir(rules_dir)
    problems: list[Problem] = list(tree.case_problems)
    paths = tree.case_files
    if len(paths) > MAX_FILES:
        message = f"{len(paths)} case files; at most {MAX_FILES} are read"
        return [], [Problem(str(tests_dir), 1, 1, "unreadable", message)]
    total, budget = 0, _case_node_budget()
    for path in paths:
        text = read_rule_text(path, MAX_FILE_BYTES)
        if isinstance(text, Problem):
            problems.append(text)
            continue
        total += len(text)
        if total > MAX_CASE_CHARS:
            problems.append(Problem(str(path), 1, 1, "unreadable", f"the case files up to this one come to {total} "
                                    f"characters; at most {MAX_CASE_CHARS} in all are read (~15 s a MiB to read)"))
            break
        doc, errs = parse_file(str(path), text, budget, CaseConstructor)
        problems += name_slips(errs, {str(path): text})
        if doc is not None:
            docs.append(doc)
        if budget.spent:
            break
    return docs, problems


def _case_node_budget() -> NodeBudget:
    """The nodes all case files may make together (MAX_CASE_NODES, read when called: the tests lower it)."""
    return NodeBudget(MAX_CASE_NODES, "case files", "the shipped ones make ~5,200",
                      "name a fixture with `base:` rather than repeat a snapshot with aliases or `<<:`, or write fewer "
                      "cases")


_CASE_FILE_KEYS = ("cases", "fixtures")


def file_shape_problems(doc: Document) -> list[Problem]:
    """A case file is a mapping with `cases:` (a list) and/or `fixtures:` (a mapping). Anything else
    used to be skipped without a word: a top-level list, a typo such as `case:`, an empty file, and
    the suite passed with those cases never run."""
    data = doc.data
    if data is None:
        return [doc.problem((), "missing_field", "empty case file: expected `cases:` (a list of cases) or `fixtures:`; "
                            "write them, or remove the file")]
    if not isinstance(data, dict):
        return [doc.problem((), "type_mismatch", f"a case file must be a mapping with `cases:` (a list); got a "
                                                 f"{'list' if isinstance(data, list) else type(data).__name__}")]
    if isinstance(data.get("kind"), str) and not any(key in data for key in _CASE_FILE_KEYS):
        # one problem, not an unknown key per section of the rule file and a missing `cases:`
        return [doc.problem((), "misplaced_file", f"this is a rule file (`kind: {data['kind']}`), not a case file: "
                            f"{TESTS_DIR}/ holds the rule test cases only; move it up into the rules directory")]
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
class Fixture:
    """A named base snapshot, and the file it is written in."""

    name: str
    doc: Document
    data: Any
    problems: list[Problem] = field(default_factory=list)
    """Reported, but the fixture was still read: another fixture of its name (this one is kept)."""

    @property
    def where(self) -> str:
        """`path:line` of the fixture's name."""
        return f"{self.doc.path}:{self.doc.where(('fixtures', self.name))[0]}"


class Fixtures(dict[str, Fixture]):
    """Every fixture by name, and the problems of the case files that could not be read: a fixture a
    case names may be in one of those, so it is not "no fixture named …" at the case."""

    def __init__(self, unread: list[Problem]):
        super().__init__()
        self.unread = unread


def read_fixtures(docs: list[Document], read_problems: list[Problem]) -> tuple[Fixtures, list[Problem]]:
    """Every fixture by name. A name used twice (the later file's fixture silently replaced the
    earlier one for every case) and a fixture that is not a mapping (a traceback) are problems."""
    parsed = {doc.path for doc in docs}
    fixtures = Fixtures([p for p in read_problems if p.path not in parsed])
    problems: list[Problem] = []
    for doc in docs:
        named = doc.data.get("fixtures") if isinstance(doc.data, dict) else None
        for name, data in named.items() if isinstance(named, dict) else ():  # else: file_shape_problems
            if name in fixtures:
                message = f'duplicate fixture "{name}" (first at {fixtures[name].where})'
                problems.append(doc.problem(("fixtures", name), "duplicate_id", message))
                fixtures[name].problems.append(problems[-1])  # which of the two a case meant is unknown
                continue
            if not isinstance(data, dict):
                message = f'fixture "{name}" must be a mapping of snapshot fields; got {data!r}'
                problems.append(doc.problem(("fixtures", name), "type_mismatch", message))
            fixtures[name] = Fixture(name, doc, data)
    return fixtures, problems


def _snapshot(doc: Document, loc: tuple[Any, ...], raw: Any, fixtures: Fixtures,
              problems: list[Problem]) -> Any:  # fmt: skip
    if not isinstance(raw, dict):
        problems.append(doc.problem(loc, "type_mismatch", "snapshot must be a mapping"))
        return None
    data = dict(raw)
    base = data.pop("base", None)
    if base is None:
        return _validated(CustomerSnapshot, data, doc, loc, "snapshot", problems)
    fixture = fixtures.get(base) if isinstance(base, str) else None
    if fixture is None and fixtures.unread:  # that file's problem, once: not one guess per case at its line
        problems += fixtures.unread
        return None
    if fixture is None:
        hint = suggest(str(base), sorted(fixtures))
        problems.append(doc.problem((*loc, "base"), "invalid_value", f"no fixture named {base!r}{hint}"))
        return None
    if not isinstance(fixture.data, dict):
        message = f"fixture {base!r} is not a mapping of snapshot fields ({fixture.where})"
        problems.append(doc.problem((*loc, "base"), "invalid_value", message))
        return None
    try:
        return CustomerSnapshot.model_validate({**fixture.data, **data})
    except ValidationError as exc:  # each violation where it is written: the case, or the fixture
        for parts, said, code in said_once(violations_from(exc)):
            if parts and parts[0] in data:
                at = (*loc, *parts)
                problems.append(doc.problem(at, code, in_case(case_money_said(f"snapshot.{said}", doc.points.get(at)))))
            else:
                at = ("fixtures", base, *parts)
                said = case_money_said(f"fixture {base}: {said}", fixture.doc.points.get(at))
                problems.append(fixture.doc.problem(at, code, in_case(said)))
        return None


def _validated(model: Any, data: Any, doc: Document, loc: tuple[Any, ...], name: str, problems: list[Problem]) -> Any:
    """`model` validated from a case's `data`; else each violation reported at its place, and None."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for parts, said, code in said_once(violations_from(exc), model):
            at = (*loc, *parts)
            problems.append(doc.problem(at, code, in_case(case_money_said(f"{name}.{said}", doc.points.get(at)))))
        return None


def case_inputs(
    doc: Document, loc: tuple[Any, ...], label: str, case: Any, fixtures: Fixtures, problems: list[Problem],
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
    problems += _case_id_problems(doc, loc, case)
    problems += read_past(doc, loc, case, fixtures)
    snapshot = _snapshot(doc, (*loc, "snapshot"), case.get("snapshot"), fixtures, problems)
    as_of = _as_of(doc, loc, case.get("as_of", DEFAULT_AS_OF), problems)
    request = _order(doc, (*loc, "order"), case["order"], problems) if "order" in case else None
    checks_something(doc, loc, label, case, problems)
    if expect is not None:
        check_expect(doc, (*loc, "expect"), expect, problems, known)
    if problems or snapshot is None or as_of is None or not isinstance(expect, dict):
        return None
    return snapshot, as_of, request, expect


_ID_HINT = ("a name in words, unique across every case file, such as quick_ratio_below_a_quarter_is_cash_short: a "
            "failing case, coverage and the service's refusals name the case by it")


def _case_id_problems(doc: Document, loc: tuple[Any, ...], case: dict[Any, Any]) -> list[Problem]:
    """A case without an id ran as `case 0` (every file has one) and passed; one whose id is no text
    (`id: 7`) escaped the duplicate check."""
    if "id" not in case:
        return [doc.problem(loc, "missing_field", f'missing field "id": write id: … ({_ID_HINT})')]
    case_id = case["id"]
    if isinstance(case_id, str) and case_id.strip():
        return []
    return [doc.problem((*loc, "id"), "type_mismatch", f"id: got {echoed_input(case_id)[0]}; write {_ID_HINT}")]


def read_past(doc: Document, loc: tuple[Any, ...], case: dict[Any, Any], fixtures: dict[str, Fixture]) -> list[Problem]:
    """The problems the loader reported but read past in what the case is built from: its own lines, its
    fixture, and the fields it takes from that fixture (not those the case overrides). A case built on a
    rejoined `amount: 1,500,000` ran on the repaired value and showed `ok` beside the problem."""
    own = [p for at, p in doc.read_past.items() if at[: len(loc)] == loc]
    snapshot = case.get("snapshot")
    base = snapshot.get("base") if isinstance(snapshot, dict) else None
    fixture = fixtures.get(base) if isinstance(base, str) else None
    if fixture is None or not isinstance(snapshot, dict):
        return own
    taken = [p for at, p in fixture.doc.read_past.items()
             if at[:2] == ("fixtures", base) and (len(at) < 3 or at[2] not in snapshot)]  # fmt: skip
    return [*own, *fixture.problems, *taken]


DEFAULT_AS_OF = "2026-11-22"
"""A case without as_of is evaluated as of this day, so its outcome never depends on the calendar."""


def _as_of(doc: Document, loc: tuple[Any, ...], raw: Any, problems: list[Problem]) -> date | None:
    try:
        return parse_iso_date(str(raw))
    except ValueError as exc:
        message = f"as_of: {refused_date(raw, str(exc))}"
        problems.append(doc.problem((*loc, "as_of"), "invalid_value", message))
        return None


def _order(doc: Document, loc: tuple[Any, ...], raw: Any, problems: list[Problem]) -> OrderRequest | None:
    return _validated(OrderRequest, raw, doc, loc, "order", problems)  # type: ignore[no-any-return]
