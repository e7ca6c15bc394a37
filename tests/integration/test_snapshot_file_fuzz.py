"""`evaluate` and `check-order` fed snapshot files with one fault put at a random place (a bad money, date, id or
code, a wrong type, a key twice or unknown, 1e400, NaN, deep nesting, broken JSON, Latin-1 bytes) or written
differently but validly (BOM, CRLF, indentation), generated with hypothesis: never a traceback; a fault is exit 2
with nothing on stdout and the file named with the field's path; a valid file is a decision, exit 0.

More examples to hunt with: CREDIT_POLICY_FUZZ_EXAMPLES=2000 pytest tests/integration/test_snapshot_file_fuzz.py
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from policy_engine.cli import build_app

EXAMPLES = int(os.environ.get("CREDIT_POLICY_FUZZ_EXAMPLES", "60"))
EXAMPLE = json.loads((Path(__file__).resolve().parents[2] / "examples" / "new-customer.json").read_text())
EXAMPLE["financials"] = [{"period_end": "2025-12-31", "current_assets": "500000.00", "current_liabilities": "250000.00",
                          "total_assets": "900000.00", "total_liabilities": "400000.00", "equity": "500000.00"}]
EXAMPLE["signals"] = [{"code": "bad_rumours", "observed_on": "2026-11-01"}]
MONEY = [("invoices", 0, "amount"), ("invoices", 1, "paid_amount"), ("orders", 0, "amount"),
         ("financials", 0, "current_assets")]
DATES = [("relationship_since",), ("invoices", 0, "issued_on"), ("orders", 1, "ordered_on"),
         ("financials", 0, "period_end"), ("signals", 0, "observed_on")]
IDS = [("customer_id",), ("invoices", 1, "invoice_id"), ("orders", 0, "order_id")]
BAD: list[tuple[list[tuple[Any, ...]], list[Any]]] = [
    (MONEY, ["1e400", "NaN", "-5.00", "-0.00", "99999999999999999999", "1,000.00", 12.5, float("inf"), [], {}, True,
             "Infinity", "1.0000001"]),
    ([("financials", 0, "equity"), ("current_limit",)], ["1e400", "NaN", 12.5, "abc", "--5", "1e3"]),
    (DATES, ["2026-02-30", "0000-01-01", "2026/01/01", "10000-01-01", 20260101, "", None]),
    (IDS, ["", "C\x07X", "C\u200bX", "C" * 65, 5, None, ["x"]]),
    ([("signals", 0, "code")], ["bad_rumour", "", 3]),
    ([("size",), ("currency",), ("current_grade",)], ["huge", "XXX", "usd", "Z", 1]),
    ([("name",), ("segment",)], ["n" * 201, "A\x1b[2JB", 7, {"a": 1}]),
    ([("invoices", 0, "payment_term_days"), ("invoices", 0, "due_date_changes")], [-1, 10 ** 40, "thirty", 1.5, 3651]),
]


def _set(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    target: Any = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


def _shown(path: tuple[Any, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p) for i, p in enumerate(path))


@st.composite
def snapshot_files(draw: st.DrawFn) -> tuple[bytes, str | None]:
    """The file's bytes and what the refusal must name: a field's path, "" for the file alone, None when valid."""
    data, named = copy.deepcopy(EXAMPLE), None
    kind = draw(st.sampled_from(["value", "value", "value", "text", "valid"]))
    if kind == "value":
        paths, values = draw(st.sampled_from(BAD))
        path, value = draw(st.sampled_from(paths)), draw(st.sampled_from(values))
        _set(data, path, value)
        named = _shown(path)
    text = json.dumps(data, ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 2])))
    if kind == "text":
        text, named = draw(st.sampled_from([
            (text[: draw(st.integers(1, len(text) - 1))], ""), ("[" + text + "]", ""),
            ("[" * 100_000 + "]" * 100_000, ""),
            (text[:-1] + ', "customer_id": "C2"}', "customer_id"), (text[:-1] + ', "colour": 1}', "colour"),
            (text.replace('"20000.00"', "1e400", 1), "invoices[0].amount"), (text.replace('"20000.00"', "NaN", 1), ""),
            ("9" * 5000, ""), ("", ""), ('{"customer_id": "C1", "name": "Caf\udce9"}', ""),  # a Latin-1 byte
        ]))
    raw = text.replace("\n", "\r\n") if draw(st.booleans()) else text
    data_bytes = raw.encode("utf-8", "surrogateescape")
    return (b"\xef\xbb\xbf" if draw(st.booleans()) else b"") + data_bytes, named


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=snapshot_files(), check_order=st.booleans())
def test_a_snapshot_file_with_a_fault_is_refused_naming_file_and_field_and_nothing_crashes(
    tmp_path: Path, case: tuple[bytes, str | None], check_order: bool
) -> None:
    data, named = case
    path = tmp_path / "snap.json"
    path.write_bytes(data)
    command = ["check-order", str(path), "--amount", "100"] if check_order else ["evaluate", str(path)]

    result = CliRunner().invoke(build_app(), [*command, "--as-of", "2026-11-22"])

    assert isinstance(result.exception, SystemExit | None), result.exception
    assert "Traceback" not in result.stderr + result.stdout
    if named is None:
        assert result.exit_code == 0 and json.loads(result.stdout)["customer_id"], result.stderr
        return
    said = result.stderr.splitlines()
    assert result.exit_code == 2 and result.stdout == "" and said, result.stderr
    assert all(line.startswith((f"error: {path}", f"{path}:")) for line in said), said
    assert not named or any(f"{path}: {named}" in line or f"{path}: {named}:" in line for line in said), said
