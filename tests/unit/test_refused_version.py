"""A refused rule set carries the policy_version its files would have had (PolicyLoadError.version, GetPolicy's
`last_refused.version`): the same hash `credit-policy status --rules DIR` wants, so a wait tells a refusal of its
own folder from another's; empty when some file could not be read, as then no hash is theirs."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest

from adapters.grpc.versions import RefusedAttempt
from policy_engine.api import load_policy
from policy_engine.cli.status_options import wanted_version
from policy_engine.rules.problems import PolicyLoadError

RULES = Path(__file__).resolve().parents[2] / "rules"
BROKEN_YAML = "rules:\n  - id: [unclosed\n    when: {\n"


def refusal(rules: Path) -> PolicyLoadError:
    with pytest.raises(PolicyLoadError) as refused:
        load_policy(rules).close()
    return refused.value


def test_a_refused_rule_set_names_the_version_status_wants_for_its_folder(tmp_path: Path) -> None:
    rules = Path(shutil.copytree(RULES, tmp_path / "rules", ignore=shutil.ignore_patterns("tests")))
    (rules / "zz_broken.yaml").write_text(BROKEN_YAML)

    error = refusal(rules)

    assert error.version == wanted_version(rules, None, wait=False).version
    assert len(error.version) == 16
    assert RefusedAttempt.of(error).version == error.version
    assert RefusedAttempt.of(error).log_fields()["version"] == error.version


def test_a_refused_rule_set_keeps_its_version_across_the_compile_childs_pipe(tmp_path: Path) -> None:
    rules = Path(shutil.copytree(RULES, tmp_path / "rules", ignore=shutil.ignore_patterns("tests")))
    (rules / "zz_broken.yaml").write_text(BROKEN_YAML)
    error = refusal(rules)

    crossed = pickle.loads(pickle.dumps(error))

    assert (crossed.version, crossed.problems, crossed.note) == (error.version, error.problems, error.note)


def test_a_rule_set_with_a_file_that_cannot_be_read_has_no_version(tmp_path: Path) -> None:
    rules = Path(shutil.copytree(RULES, tmp_path / "rules", ignore=shutil.ignore_patterns("tests")))
    (rules / "zz_latin1.yaml").write_bytes(b"rules:\n  - id: caf\xe9\n")

    error = refusal(rules)

    assert error.version == "" and error.note
    assert "version" not in RefusedAttempt.of(error).log_fields()
