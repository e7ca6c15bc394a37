"""`serve` flags that contradict each other are refused before anything starts (exit 2, naming both)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from policy_engine.cli import build_app


@pytest.mark.parametrize("model", [[], ["--processes", "1"]])
def test_a_metrics_port_that_is_the_grpc_port_is_refused_naming_both_flags(model: list[str]) -> None:
    result = CliRunner().invoke(build_app(), ["serve", "--db", "memory", "--port", "50997", "--metrics-port", "50997",
                                              *model])

    said = " ".join(result.output.replace("│", " ").split())
    assert result.exit_code == 2, said
    assert "--metrics-port" in said and "--port" in said and "50997" in said
    assert "Address already in use" not in said
