"""`simulate` with a candidate folder that does not load, and `batch` with rules that do not, name that folder's
policy_version, as lint, `test` and the service's refused reload do, so the refusal can be matched with
`credit-policy status`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from adapters.batch.opening import BatchInputError, BatchOptions, load_rules
from adapters.batch.simulate import simulate
from policy_engine.rules.emit import policy_version
from policy_engine.rules.loader import read_rule_files

RULES = Path(__file__).resolve().parents[2] / "rules"


def test_a_refused_candidate_is_named_with_its_policy_version(rules_copy: Callable[..., Path], tmp_path: Path) -> None:
    candidate = rules_copy(("limits.yaml", "floor: 80000", "flor: 80000"))

    with pytest.raises(BatchInputError) as refused:
        simulate(f"sqlite:///{tmp_path / 'unused.sqlite'}", RULES, candidate, date(2026, 11, 22))

    version = policy_version(read_rule_files(candidate))
    assert str(refused.value).startswith(f"candidate rules {candidate} (policy_version {version}) do not load: ")
    assert "unknown_field" in str(refused.value)


def test_a_candidate_folder_that_cannot_be_read_names_no_version(tmp_path: Path) -> None:
    with pytest.raises(BatchInputError) as refused:
        simulate(f"sqlite:///{tmp_path / 'unused.sqlite'}", RULES, tmp_path / "missing", date(2026, 11, 22))

    assert str(refused.value).startswith(f"candidate rules {tmp_path / 'missing'} do not load: ")


def test_the_batchs_refused_rules_are_named_with_their_policy_version(rules_copy: Callable[..., Path]) -> None:
    rules = rules_copy(("limits.yaml", "floor: 80000", "flor: 80000"))

    with pytest.raises(BatchInputError) as refused:
        load_rules(BatchOptions("sqlite://", date(2026, 11, 22), rules))

    version = policy_version(read_rule_files(rules))
    assert str(refused.value).startswith(f"rules {rules} (policy_version {version}) do not load: ")
