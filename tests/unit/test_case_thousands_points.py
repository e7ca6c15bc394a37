"""`credit-policy test`: a number of a case's snapshot or order, or of a fixture, written `1.000` where its field takes
a thousand too (`payment_term_days: 1.000`, which the snapshot read as 1 day) is a `thousands_point` warning at it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from policy_engine.cli import build_app

RulesCopy = Callable[..., Path]
_INVOICE = 'invoice_id: I1, issued_on: "2026-10-01", due_on: "2026-10-31", amount: "1000.00"'
CASES = f"""cases:
  - id: q
    snapshot:
      base: q_base
      invoices:
        - {{{_INVOICE}, payment_term_days: 1.000, due_date_changes: 2.000}}
    order: {{amount: "1000.00", payment_term_days: 2.000}}
    expect: {{score_at_least: 0.000}}
fixtures:
  q_base:
    customer_id: C-Q
    name: Q
    size: small
    invoices:
      - {{{_INVOICE}, payment_term_days: 30.000}}
      - {{{_INVOICE}, payment_term_days: 3.000}}
"""


def _at(path: Path, text: str, nth: int = 0) -> str:
    """`line:col` of the `nth` line holding `text`, at it."""
    lines = [(i, t) for i, t in enumerate(path.read_text().splitlines(), 1) if text in t]
    line, row = lines[nth]
    return f"{line}:{row.index(text) + 1}"


def test_a_count_of_days_written_with_a_point_before_three_digits_is_a_warning_and_strict_fails(
    rules_copy: RulesCopy,
) -> None:
    """`payment_term_days: 1.000` ran the case on a 1-day term without a word."""
    rules = rules_copy()
    cases = rules / "tests" / "q.yaml"
    cases.write_text(CASES)

    plain = CliRunner().invoke(build_app(), ["test", str(rules)])
    strict = CliRunner().invoke(build_app(), ["test", "--strict", str(rules)])

    said = [line.split(f"{cases}:", 1)[1] for line in plain.output.splitlines() if "thousands_point" in line]
    assert said == [
        f"{_at(cases, 'payment_term_days: 1.000')}: thousands_point: case q: snapshot.invoices[0].payment_term_days: "
        "1.000 is read as 1 (in YAML a point is a decimal point), but may be 1000 with a point between thousands, "
        "as much of Europe writes it; write 1000 if the point separates thousands, or 1 if the point is a decimal "
        "point",
        f"{_at(cases, 'payment_term_days: 2.000')}: thousands_point: case q: order.payment_term_days: 2.000 is read "
        "as 2 (in YAML a point is a decimal point), but may be 2000 with a point between thousands, as much of "
        "Europe writes it; write 2000 if the point separates thousands, or 2 if the point is a decimal point",
        f"{_at(cases, 'payment_term_days: 3.000')}: thousands_point: fixture q_base: invoices[1].payment_term_days: "
        "3.000 is read as 3 (in YAML a point is a decimal point), but may be 3000 with a point between thousands, "
        "as much of Europe writes it; write 3000 if the point separates thousands, or 3 if the point is a decimal "
        "point",
    ]  # not 30.000 (30000 days is past 3650), 2 000 due-date changes (past 1000) nor a score's 0.000
    assert plain.exit_code == 0 and strict.exit_code == 1


MONEY_CASES = """cases:
  - id: m
    snapshot:
      base: m_base
      invoices:
        - {invoice_id: I1, issued_on: "2026-10-01", due_on: "2026-10-31", amount: 50.000, payment_term_days: 30}
    order: {amount: 1.000}
    expect: {score_at_least: 0}
fixtures:
  m_base:
    customer_id: C-M
    name: M
    size: small
    current_limit: 250.000
"""


def test_bare_money_written_with_a_point_before_three_digits_names_the_thousand_as_the_rule_files_do(
    rules_copy: RulesCopy,
) -> None:
    """Before, `amount: 1.000` was refused echoing `1.0`: the reading as a thousand, which the rule files name
    (thousands_point), went unsaid."""
    rules = rules_copy()
    cases = rules / "tests" / "m.yaml"
    cases.write_text(MONEY_CASES)

    result = CliRunner().invoke(build_app(), ["test", str(rules)])

    said = [line.split(f"{cases}:", 1)[1] for line in result.output.splitlines() if line.startswith(f"{cases}:")]
    refused = 'invalid_value: {}: not a decimal: write money as a decimal string in quotes, such as "125000.00": '
    both = ("{0}.000 is read as {0}.0 (in YAML a point is a decimal point), but may be {0}000 with a point between "
            'thousands, as much of Europe writes it; write "{0}000" if the point separates thousands, or "{0}.0" if '
            "the point is a decimal point (money in a case is a decimal string: in quotes)")
    assert said == [
        f"{_at(cases, 'amount: 50.000')}: " + refused.format("snapshot.invoices[0].amount") + both.format(50),
        f"{_at(cases, 'current_limit: 250.000')}: " + refused.format("fixture m_base: current_limit")
        + both.format(250),
        f"{_at(cases, 'amount: 1.000')}: " + refused.format("order.amount") + both.format(1),
    ]
    assert result.exit_code == 1
