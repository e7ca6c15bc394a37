"""A rule file without its `kind`, and a required kind without a file: located at a file, saying what to write.

Both were reported away from any file: `rules/.:1:1: missing_kind: no rule file of kind
`review_cadence`` for a directory without reviews.yaml, and `reviews.yaml:1:1: unknown_kind: unknown
kind None` for a file whose `kind:` line was lost, which said neither what was missing nor what to
write. The kind a file without one was meant to have is the one whose shape its content fits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from policy_engine.rules.problems import Problem
from policy_engine.rules.rule_tree import TESTS_DIR
from policy_engine.rules.schema import FILE_MODELS

if TYPE_CHECKING:
    from policy_engine.rules.loader import Document

KIND_FILES = {
    "policy": "policy.yaml",
    "scorecard": "scorecard.yaml",
    "grade_bands": "grades.yaml",
    "warning_signs": "warnings.yaml",
    "credit_limits": "limits.yaml",
    "review_cadence": "reviews.yaml",
    "review_information": "review_information.yaml",
    "collection_reminders": "collection.yaml",
    "follow_ups": "follow_ups.yaml",
    "order_checks": "orders.yaml",
    "portfolio": "portfolio.yaml",
}
"""The file that holds each kind in the shipped rules/ (any name will do: `kind` decides)."""


def fitting_kinds(data: dict[str, Any]) -> list[str]:
    """The kinds whose shape `data` has once a `kind` is added: those with the fewest problems."""
    counts: dict[str, int] = {}
    for kind, model in FILE_MODELS.items():
        try:
            model.model_validate({**data, "kind": kind})
            counts[kind] = 0
        except ValidationError as exc:
            counts[kind] = exc.error_count()
    fewest = min(counts.values())
    return [kind for kind, count in counts.items() if count == fewest]


def no_kind_problem(doc: Document) -> Problem | None:
    """`missing_kind` at line 1 of a rule file (a mapping) with no `kind` or an empty one, else None."""
    if not isinstance(doc.data, dict) or doc.data.get("kind") is not None:
        return None
    if "cases" in doc.data or "fixtures" in doc.data:  # no kind fits a case file: naming one misled
        key = "cases" if "cases" in doc.data else "fixtures"
        return Problem(doc.path, 1, 1, "misplaced_file", f"this is a rule test case file (it holds `{key}:`), not a "
                       f"rule file; move it into the rules directory's {TESTS_DIR}/ folder, where "
                       "`credit-policy test` reads the cases")
    fits = fitting_kinds(doc.data)
    if len(fits) == 1:
        instead = f"write `kind: {fits[0]}` at its top (what the rest of it holds)"
    else:
        instead = f"write `kind: …` at its top, one of {', '.join(fits)}"
    return Problem(doc.path, 1, 1, "missing_kind", f"this rule file has no `kind`; {instead}")


def second_file_problem(doc: Document, kind: str, first: str, sub_folder: bool) -> Problem:
    """`duplicate_kind` at the `kind` of a second file of a one-file kind, `first` the file that holds it."""
    message = f"a second `{kind}` file; the first is {first}"
    if sub_folder:  # a copy kept "for reference" beside the live file is read as rules too
        message += ("; every .yaml file under the rules directory is read as rules, in sub-folders too: keep a "
                    "copy for reference outside the rules directory, or merge the two")
    return doc.problem(("kind",), "duplicate_kind", message)


def kind_without_file(kind: str, files: dict[str, str], shown: Any, directory: str) -> Problem:
    """`missing_kind` for a required kind no file holds: at the file the shipped rules keep it in,
    which is not there (or at the directory when a file of that name holds something else)."""
    name = KIND_FILES[kind]
    where = shown(name) if name not in files else directory
    message = f"no rule file of kind `{kind}`; write one, such as {name} starting with `kind: {kind}`"
    return Problem(where, 1, 1, "missing_kind", message)


def no_rule_files(directory: str) -> Problem:
    """`no_rule_files` at a rules directory holding none: said once, instead of one `missing_kind` per kind
    at a file that is not there, since a directory that did not mount or a wrong path is the likelier slip."""
    message = (f"no rule files here (*.yaml or *.yml, outside {TESTS_DIR}/): is this the rules directory? "
               "The shipped one is the project's rules/, read when no directory is given")
    return Problem(directory, 1, 1, "no_rule_files", message)
