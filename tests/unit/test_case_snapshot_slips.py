"""`credit-policy test`: a misspelt field of a case's snapshot, fixture or order says which field was meant, at the
place it is written and at every level, as one problem."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from policy_engine.cli import build_app

RulesCopy = Callable[..., Path]

_INVOICE = 'invoice_id: I1, issued_on: "2026-10-01", due_on: "2026-10-31", payment_term_days: 30'


def _problems(rules: Path, file: str = "q.yaml") -> list[str]:
    """The problem lines `credit-policy test` prints for `file`, from its line number on."""
    output = CliRunner().invoke(build_app(), ["test", str(rules)]).output
    return [row.split(f"{file}:", 1)[1] for row in output.splitlines() if f"/{file}:" in row and ": " in row]


def _case(rules: Path, snapshot: str) -> None:
    (rules / "tests" / "q.yaml").write_text(f"cases:\n  - id: q\n    snapshot:\n{snapshot}    expect: {{grade: AA}}\n")


@pytest.mark.parametrize(("written", "meant"), [("exposur", "exposure"), ("open_order_amount", "open_orders_amount")])
def test_a_misspelt_feature_name_says_which_feature_and_that_it_is_computed(
    rules_copy: RulesCopy, written: str, meant: str
) -> None:
    """`snapshot.exposur: unknown field` had no hint: no snapshot field is near it, a computed feature is."""
    rules = rules_copy()
    _case(rules, f'      base: steady\n      {written}: "1000.00"\n')

    [problem] = _problems(rules)

    assert problem.startswith(f'5:7: unknown_field: snapshot.{written}: unknown field — did you mean "{meant}"? '
                              f'"{meant}" is computed from the snapshot, not given in it (')


def test_a_snapshot_field_nearer_than_any_feature_is_the_one_suggested(rules_copy: RulesCopy) -> None:
    rules = rules_copy()
    _case(rules, '      base: steady\n      last_contacted_on: "2026-11-02"\n')

    [problem] = _problems(rules)

    assert problem == '5:7: unknown_field: snapshot.last_contacted_on: unknown field — did you mean "last_contact_on"?'


@pytest.mark.parametrize("base", ["      base: steady\n", ""])
def test_a_misspelt_required_field_of_an_invoice_is_one_problem_at_the_misspelling(
    rules_copy: RulesCopy, base: str
) -> None:
    """`invoices[0].amout` was two problems: `amount: required` at the invoice and the unknown `amout` beside it."""
    rules = rules_copy()
    line = 5 if base else 4
    _case(rules, f'{base}      invoices: [{{{_INVOICE}, amout: "10.00"}}]\n')

    assert [p for p in _problems(rules) if "invoices[0]" in p] == [
        f'{line}:{_col(rules, "amout")}: unknown_field: snapshot.invoices[0].amout: unknown field — did you mean '
        '"amount"? (the one missing here: rename "amout" to "amount")']


@pytest.mark.parametrize(("text", "said"), [
    (f'fixtures:\n  odd:\n    customer_id: C1\n    invoices: [{{{_INVOICE}, amout: "10.00"}}]\n'
     "cases:\n  - id: q\n    snapshot: {base: odd}\n    expect: {grade: AA}\n", "fixture odd: invoices[0].amout"),
    ('cases:\n  - id: q\n    snapshot: {base: steady}\n    order: {order_id: O1, amout: "10.00"}\n'
     "    expect: {outcome: APPROVE}\n", "order.amout"),
])
def test_a_misspelt_required_field_of_a_fixture_or_an_order_is_one_problem_where_written(
    rules_copy: RulesCopy, text: str, said: str
) -> None:
    rules = rules_copy()
    (rules / "tests" / "q.yaml").write_text(text)

    assert [p for p in _problems(rules) if "amount" in p] == [
        f'4:{_col(rules, "amout")}: unknown_field: {said}: unknown field — did you mean "amount"? (the one missing '
        'here: rename "amout" to "amount")']


def test_a_required_field_missing_beside_an_unrelated_unknown_one_is_still_reported(rules_copy: RulesCopy) -> None:
    rules = rules_copy()
    _case(rules, f'      base: steady\n      invoices: [{{{_INVOICE}, colour: red}}]\n')

    found = [re.sub(r"^\d+:\d+: ", "", p) for p in _problems(rules) if "invoices[0]" in p]

    assert sorted(found) == ["missing_field: snapshot.invoices[0].amount: required",
                             "unknown_field: snapshot.invoices[0].colour: unknown field"]


def _col(rules: Path, text: str) -> int:
    """The column `text` starts at on its line of the case file."""
    line = next(row for row in (rules / "tests" / "q.yaml").read_text().splitlines() if text in row)
    return line.index(text) + 1
