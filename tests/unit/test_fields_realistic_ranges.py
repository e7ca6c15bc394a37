"""`credit-policy fields` shows the realistic range lint judges a threshold by (`likely_percent`) and how a percentage
is written on the field, so a rule writer knows to write 1.5, not 150, on a ratio; `--json` gives the same."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from policy_engine.cli import build_app
from policy_engine.rules.scopes import SCOPES

runner = CliRunner()


def _line(output: str, name: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(f"{name} "))


def test_a_ratio_and_a_fraction_show_their_realistic_range_and_how_a_percentage_is_written() -> None:
    result = runner.invoke(build_app(), ["fields", "--stage", "customer"])

    assert result.exit_code == 0
    assert "(≥ 0; real values 0 to 10, written as a ratio: 1.5 for 150%) Monthly orders" in (
        _line(result.stdout, "order_trend_ratio"))
    assert "(0-1+; real values 0 to 5, written as a fraction: 0.8 for 80%) Exposure" in (
        _line(result.stdout, "limit_utilisation"))
    assert "(fraction; real values -5 to 1, written as a fraction: 0.8 for 80%) Net profit" in (
        _line(result.stdout, "net_margin"))


def test_a_field_without_a_realistic_range_reads_as_before() -> None:
    result = runner.invoke(build_app(), ["fields", "--stage", "customer"])

    assert _line(result.stdout, "dbt_open_max").endswith("  (days, ≥ 0) Most days past due among open invoices "
                                                         "(0 when none)")
    assert _line(result.stdout, "purchase_interval_ratio").endswith("  (≥ 0) Days since last purchase / average "
                                                                    "days between purchases")


def test_json_gives_each_field_with_its_unit_bounds_and_realistic_range() -> None:
    result = runner.invoke(build_app(), ["fields", "--stage", "order", "--json"])

    records = {r["name"]: r for r in json.loads(result.stdout)}
    assert result.exit_code == 0 and list(records) == list(SCOPES["order"])
    assert records["order_trend_ratio"] == {
        "name": "order_trend_ratio", "type": "number", "unit": "", "minimum": 0, "maximum": None,
        "realistic": {"low": 0, "high": 10}, "written_as": "ratio",
        "description": "Monthly orders of the last 3 months / monthly average of the 12 before", "values": []}
    assert (records["debt_ratio"]["realistic"], records["debt_ratio"]["written_as"]) == ({"low": 0, "high": 5},
                                                                                        "fraction")
    assert (records["order_amount"]["unit"], records["order_amount"]["realistic"]) == ("money", None)
    assert records["grade"]["values"][:2] == ["AAA", "AA"] and records["grade"]["written_as"] is None


def test_json_takes_the_word_filter_too() -> None:
    result = runner.invoke(build_app(), ["fields", "margin", "--json"])

    assert [r["name"] for r in json.loads(result.stdout)] == ["net_margin"]
