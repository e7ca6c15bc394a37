"""Which build of the decision code is running: the package version and a hash of policy_engine's source.

A logged decision depends on the rule files (its policy version) *and* on the code that computes the
features and applies the outcome (the order check's arithmetic, say). The decision log records this
build beside the policy version, so a replay that does not reproduce can tell a change in the code
from a change in the rules or the data.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from policy_engine import __version__

PACKAGE_DIR = Path(__file__).resolve().parent
HASH_CHARS = 12
"""Hex digits of the content hash kept in the identity (48 bits: as many as a policy version shows)."""


def source_hash(package_dir: Path = PACKAGE_DIR) -> str:
    """The sha256 of every `*.py` under `package_dir`: each file's relative path and bytes, by sorted path."""
    digest = hashlib.sha256()
    for path in sorted(package_dir.rglob("*.py"), key=lambda p: p.relative_to(package_dir).as_posix()):
        name = path.relative_to(package_dir).as_posix().encode()
        data = path.read_bytes()
        # Lengths first, so that no run of paths and bytes can be read as another (a file's end moved
        # into the next file's name).
        digest.update(b"%d:%s%d:" % (len(name), name, len(data)))
        digest.update(data)
    return digest.hexdigest()


@cache
def build_id() -> str:
    """This process's build of the decision code, e.g. `0.1.0+3f9a1c0b72de` (computed once, on first use)."""
    return f"{__version__}+{source_hash()[:HASH_CHARS]}"


__all__ = ["build_id", "source_hash"]
