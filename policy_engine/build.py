"""Which build of the decision code is running: the package version, a hash of policy_engine's source
and the version of the rule engine that decides (durable_rules).

A logged decision depends on the rule files (its policy version) *and* on the code that computes the
features, applies the outcome (the order check's arithmetic, say) and matches the rules. The decision
log records this build beside the policy version, so a replay that does not reproduce can tell a
change in the code from a change in the rules or the data.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from policy_engine import __version__

PACKAGE_DIR = Path(__file__).resolve().parent
HASH_CHARS = 12
"""Hex digits of the content hash kept in the identity (48 bits: as many as a policy version shows)."""
RULE_ENGINE = "durable_rules"
"""The distribution of the rule engine (its C core included) that policy_engine/engine.py wraps."""
ENGINE_VERSION_CHARS = 24
"""An engine version is cut here, so that the identity always fits decision_log.build (64 characters)."""


def engine_version(distribution: str = RULE_ENGINE) -> str:
    """The installed version of the rule engine's distribution (read from its metadata, not imported),
    or `unknown` when it has no metadata (run from a source tree)."""
    from importlib import metadata  # ~19 ms to import where nothing has yet (the CLI, the service already have)

    try:
        version = metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "unknown"
    return "".join(version.split())[:ENGINE_VERSION_CHARS]  # one token, whatever the metadata says


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
    """This process's build of the decision code, e.g. `0.1.0+3f9a1c0b72de/durable_rules-2.0.28`: one
    token, computed once, on first use."""
    return f"{__version__}+{source_hash()[:HASH_CHARS]}/{RULE_ENGINE}-{engine_version()}"


__all__ = ["build_id", "engine_version", "source_hash"]
