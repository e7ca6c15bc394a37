"""The static checks of `make lint` and `make typecheck` as tests, so that CI (which runs `make test`)
holds the code to them: ruff over the code, mypy strict over policy_engine/, adapters/ and scripts/."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_tool(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed (it comes with the dev extras: make install)")
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)  # fmt: skip


def test_ruff_finds_nothing() -> None:
    run = run_tool("ruff", "check", "policy_engine", "adapters", "tests", "bench", "scripts")
    assert run.returncode == 0, run.stdout + run.stderr


def test_mypy_strict_finds_nothing() -> None:
    run = run_tool("mypy")  # pyproject.toml [tool.mypy] names the files
    assert run.returncode == 0, run.stdout + run.stderr
