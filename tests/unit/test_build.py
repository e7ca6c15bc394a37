"""The build identity of the decision code: the package version and a hash of policy_engine's source."""

from __future__ import annotations

import re
from pathlib import Path

from policy_engine import __version__
from policy_engine.build import PACKAGE_DIR, build_id, source_hash


def _package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_the_build_is_the_package_version_and_a_short_hash_of_the_decision_code() -> None:
    assert re.fullmatch(rf"{re.escape(__version__)}\+[0-9a-f]{{12}}", build_id())
    assert build_id() == f"{__version__}+{source_hash(PACKAGE_DIR)[:12]}"
    assert build_id() is build_id()  # computed once per process


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
