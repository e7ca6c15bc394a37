"""The build identity of the decision code: the package version, a hash of policy_engine's source and
the version of the rule engine (durable_rules) that decides."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from policy_engine import __version__
from policy_engine.build import PACKAGE_DIR, build_id, engine_version, source_hash


def _package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_the_build_is_the_package_version_a_short_hash_of_the_decision_code_and_the_rule_engine() -> None:
    from importlib import metadata

    installed = metadata.version("durable_rules")

    assert re.fullmatch(rf"{re.escape(__version__)}\+[0-9a-f]{{12}}/durable_rules-{re.escape(installed)}", build_id())
    assert build_id() == f"{__version__}+{source_hash(PACKAGE_DIR)[:12]}/durable_rules-{installed}"
    assert build_id() is build_id()  # computed once per process


def test_the_build_is_one_token_that_fits_the_decision_log_column() -> None:
    from adapters.store.schema import decision_log

    assert len(build_id().split()) == 1
    assert len(build_id()) <= decision_log.c.build.type.length


def test_a_rule_engine_without_metadata_or_with_a_long_version_still_gives_one_short_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from importlib import metadata

    def missing(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    assert engine_version() == "unknown"
    monkeypatch.setattr(metadata, "version", lambda name: "2.0.28.dev3+g0123456789ab.d20261124 local")
    assert engine_version() == "2.0.28.dev3+g0123456789a"


def test_the_source_hash_follows_the_python_files_contents_and_paths_only(tmp_path: Path) -> None:
    files = {"a.py": "x = 1\n", "rules/b.py": "y = 2\n"}
    base = source_hash(_package(tmp_path / "base", files))

    same_reversed = source_hash(_package(tmp_path / "reversed", dict(reversed(files.items()))))
    with_other_files = source_hash(_package(tmp_path / "other", {**files, "notes.txt": "z", "a.pyc": "\0"}))
    edited = source_hash(_package(tmp_path / "edited", {**files, "a.py": "x = 2\n"}))
    moved = source_hash(_package(tmp_path / "moved", {"a.py": "x = 1\n", "rules/c.py": "y = 2\n"}))
    added = source_hash(_package(tmp_path / "added", {**files, "c.py": ""}))
    bytes_shifted = source_hash(_package(tmp_path / "shifted", {"a.py": "x = 1\n" + "y = 2\n", "rules/b.py": ""}))

    assert base == same_reversed == with_other_files
    assert len({base, edited, moved, added, bytes_shifted}) == 5
