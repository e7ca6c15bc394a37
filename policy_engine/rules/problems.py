"""Problems found in rule files, each with a stable code and a file:line:col location."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from policy_engine.domain.statements import INCONSISTENT_STATEMENT
from policy_engine.words import plural

CODES = {
    "yaml_error": "the file is not valid YAML",
    "unknown_field": "a key the format does not know",
    "missing_field": "a required key is absent",
    "type_mismatch": "a value of the wrong type",
    "invalid_value": "a value outside what is allowed",
    "ambiguous_number": "inside [ ], a comma with no space after it, in a list with spaces after others: a "
    "thousands separator or the end of an item",
    "unknown_kind": "the file's `kind` is not a known rule kind",
    "duplicate_kind": "two files define the same single-file kind",
    "missing_kind": "a rule file has no `kind`, or a required rule kind has no file",
    "no_rule_files": "the rules directory holds no rule file at all (a directory that did not mount, or the "
    "wrong one)",
    "duplicate_id": "two rules share an id, or a scorecard factor is written twice",
    "duplicate_item": "a review_information row lists one item twice (by either title, case aside)",
    "unknown_feature": "a condition names a field that does not exist",
    "field_not_available": "a field exists but this kind of rule cannot see it",
    "bad_operator": "an unknown or ill-typed comparison",
    "never_fires": "the condition can never be true",
    "shadowed": "an earlier rule of a first-hit table always wins over this one",
    "band_gap": "a band table leaves a range of its field uncovered",
    "band_overlap": "two bands of a table cover the same values",
    "grade_uncovered": "no row of a per-grade table applies to a grade",
    "not_monotonic": "a worse grade would get a more generous limit or a longer review interval, or a higher score "
    "a worse grade",
    "title_number_mismatch": "a rule's title states a number of months or days, or a percentage, its rule does not "
    "have (interval_months, validity_months, lead_days, a threshold in days or on a ratio)",
    "weights_sum": "scorecard weights do not add up to 1",
    "too_many_fields": "a rule stage (or one kind of the customer stage's rules) would send the engine a fact of "
    "more than 255 properties",
    "too_many_rules": "a rule stage would fill one of the engine's fixed node tables (it would hang or crash), or the "
    "rule files hold more than 1,000 rules",
    "too_many_groups": "a rule's condition makes more `and`/`or` groups than the engine takes in one rule (it would "
    "refuse the rule set naming no rule)",
    "too_many_at_once": "the comparisons of a rule stage (or of one kind of the customer stage's rules) could hold "
    "too many at once for one customer (the engine's match stack of 64 would overflow and fail that customer's "
    "decision)",
    "engine_rejected": "durable_rules refused the compiled ruleset",
    "unreadable": "the file cannot be read",
    "misplaced_file": "a rule test case file among the rule files, or a rule file among the case files in tests/",
    "is_a_directory": "a name ending .yaml or .yml in the rules directory is a directory (or a link to one), not a "
    "rule or case file",
    "rule_test_failed": "a test case in the rules' tests/ does not pass (the service refuses the rule set)",
    "likely_percent": "a threshold that reads as a percentage written whole (`order_trend_ratio: {gt: 150}` for "
    "1.5) but is a value the field can take: a warning, which `credit-policy lint --strict` fails on",
    "thousands_point": "a number with a point before three digits (`floor: 1.000`) where the place takes both "
    "readings: YAML reads 1.0, much of Europe writes a thousand so: a warning, which `--strict` fails on",
    INCONSISTENT_STATEMENT: "a financial statement in a rule test case or fixture does not add up (cash and "
    "inventory over its current assets, …): a warning, which `credit-policy test --strict` fails on (`import "
    "financials` gives an imported row's the same code, allowing for its rounding)",
}
"""Every problem code with its meaning; tests and tools rely on these names."""

SAID_PROBLEMS = 50
"""Problems or lint warnings one list that people or log shippers read names before it counts the rest: a refused
reload's and a served version's log lines (adapters/grpc/problem_lists.py), the batch's and simulate's stderr and the
batch summary's `policy_warnings`. The rule-file bounds do not bound how many there are: 1 MiB of one-letter unknown
keys is 211,377 problems, 1,000 rules comparing a ratio with 200 whole percentages are 200,000 warnings (53 MB);
`credit-policy lint` prints them all."""


_LINE_BREAKING = {c: repr(chr(c))[1:-1] for c in (*range(0x20), 0x7F, *range(0x80, 0xA0), 0x2028, 0x2029)
                  if c != 0x09}


def one_line(text: str) -> str:
    """`text` with line breaks and other control characters written as escapes (`\\n`): a path such as
    "snap\\nshot.json" (a file name may hold one) kept one problem to a line, as tools reading them expect."""
    return text.translate(_LINE_BREAKING)


@dataclass(frozen=True, order=True)
class Problem:
    """One problem: where it is, its stable code and what to do about it."""

    path: str
    line: int
    col: int
    code: str
    message: str

    def __str__(self) -> str:
        return one_line(f"{self.path}:{self.line}:{self.col}: {self.code}: {self.message}")


def in_files(problems: Sequence[Problem]) -> str:
    """` in 2 files`: the rule files the problems are in; empty when none is in a file (no rules directory, …)."""
    files = {p.path for p in problems if p.path.endswith((".yaml", ".yml"))}
    return f" in {len(files)} {plural(len(files), 'file')}" if files else ""


class PolicyLoadError(Exception):
    """A rules directory could not be loaded; `problems` lists every problem found, `note` (when not
    empty) what was not checked and why, printed after them, and `version` the policy_version the rule
    files read would have had (empty when some could not be read: then no hash is theirs)."""

    def __init__(self, problems: list[Problem], note: str = "", version: str = ""):
        self.problems = sorted(problems)
        self.note = note
        self.version = version
        super().__init__("\n".join([*(str(p) for p in self.problems), *([f"note: {note}"] if note else [])]))

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled with its problems and version (the service loads rule sets in a child process): the
        default would rebuild it from its message, one "problem" per character."""
        return (type(self), (self.problems, self.note, self.version))
