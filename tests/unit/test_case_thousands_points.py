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
