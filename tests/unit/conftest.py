"""Shared fixtures for the policy core tests."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from policy_engine.api import DEFAULT_RULES_DIR, Policy, load_policy
from policy_engine.domain.models import CustomerSnapshot

AS_OF = date(2026, 11, 22)
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="session")
def policy() -> Policy:
    """The shipped policy pack, compiled once."""
    return load_policy()


@pytest.fixture
def example() -> Callable[[str], CustomerSnapshot]:
    """Load one of examples/*.json as a snapshot."""
    return lambda name: CustomerSnapshot.model_validate_json((EXAMPLES / f"{name}.json").read_text())


@pytest.fixture
def example_data() -> Callable[[str], dict[str, Any]]:
    """Load one of examples/*.json as plain data, to modify."""
    return lambda name: json.loads((EXAMPLES / f"{name}.json").read_text())


@pytest.fixture
def rules_copy(tmp_path: Path) -> Callable[..., Path]:
    """Copy the shipped rules to a temp dir, applying (file, old, new) text replacements."""

    def make(*edits: tuple[str, str, str]) -> Path:
        target = tmp_path / "rules"
        shutil.copytree(DEFAULT_RULES_DIR, target)
        for name, old, new in edits:
            path = target / name
            text = path.read_text()
            assert old in text, f"{old!r} not in {name}"
            path.write_text(text.replace(old, new, 1))
        return target

    return make
