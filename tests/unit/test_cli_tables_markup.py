"""Text from the records (customer names and ids, messages) shows on screen as written: never read as Rich markup,
which made a name `[/]` crash `queue` and a `[link=…]` in one put a hyperlink of the file's choosing on the screen."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from rich.console import Console

import adapters.batch.workqueue as workqueue
from policy_engine.cli.history_cmd import _history_table
from policy_engine.cli.queue_cmd import _queue_table
from policy_engine.cli.simulate_view import _changed_customers

NAME = "[/]Acme [link=https://example.com]pay here[/link]"


def _shown(renderable: Any) -> str:
    console = Console(width=400, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_a_name_and_id_in_the_work_queue_are_shown_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    item = {"category": "hold", "due_on": date(2026, 11, 22), "customer_id": "C[/]1", "name": NAME,
            "code": "HOLD_ORDERS", "target_id": "[b]I1", "message": "[red]pay"}
    monkeypatch.setattr(workqueue, "iter_queue", lambda *args: iter([item]))

    shown = _shown(_queue_table(None, "run-1", date(2026, 11, 22), None, 40, None))  # type: ignore[arg-type]

    assert "C[/]1" in shown and "[/]Acme [link=https" in shown and "[b]I1" in shown and "[red]pay" in shown


def test_a_customer_id_in_the_simulation_table_is_shown_as_written() -> None:
    change = {"customer_id": "C[/]1", "credit_limit": ["100.00", "90.00"], "currency": "USD", "name": NAME}
    console = Console(width=400, record=True, color_system=None)

    _changed_customers(console, {"changed": 1, "changes": [change], "order_check": None}, 10)

    assert "C[/]1" in console.export_text()


def test_a_customer_id_in_the_history_title_is_shown_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    _history_table("C[/]1", [], {})

    assert "decisions for C[/]1" in capsys.readouterr().out
