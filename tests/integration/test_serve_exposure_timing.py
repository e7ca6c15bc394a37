# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""`callers not authenticated` is said when the service is about to serve, never by a start that fails:
that start's output is its error alone (a broken rules directory, a port in use), in both models."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest_grpc import (
    ROOT,
    ServerProcess,
    server_factory,  # noqa: F401  (fixtures: pytest finds them by name)
)

MODELS = [("--workers", "0"), ("--processes", "1")]
WARNING = "callers not authenticated"


def serve_exit(rules: Path, port: int, *model: str) -> subprocess.CompletedProcess[str]:
    """`credit-policy serve` on every address (plaintext: the warning's case) that does not start."""
    command = [sys.executable, "-c", "from policy_engine.cli import main; main()", "serve", "--rules", str(rules),
               "--db", "memory", "--port", str(port), "--host", "0.0.0.0", *model]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m[0])
def test_a_start_refused_for_its_rules_prints_the_problems_and_no_warning(
        tmp_path: Path, model: tuple[str, ...]) -> None:
    result = serve_exit(tmp_path, 0, *model)

    assert result.returncode == 1
    assert "no_rule_files" in result.stderr
    assert WARNING not in result.stdout + result.stderr


def test_a_start_on_a_port_in_use_prints_the_error_and_no_warning() -> None:
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()

        result = serve_exit(ROOT / "rules", taken.getsockname()[1], "--workers", "0")

    assert result.returncode == 1
    assert result.stderr.startswith("serve: ")
    assert WARNING not in result.stdout + result.stderr


@pytest.mark.parametrize("model", [{"workers": 0}, {"processes": 1}], ids=["workers", "processes"])
def test_a_service_that_starts_says_the_warning_before_it_serves(server_factory: Any, model: dict[str, int]) -> None:
    server: ServerProcess = server_factory("--host", "0.0.0.0", **model)

    names = [json.loads(line).get("event") for line in server.log_path.read_text().splitlines()
             if line.startswith("{")]

    assert names.count(WARNING) == 1
    assert names.index(WARNING) < names.index("serving")
