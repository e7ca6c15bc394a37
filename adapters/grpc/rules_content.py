"""What a reload of the rules directory would read, as one hash: the watcher's fingerprint
(adapters/grpc/rules_watch.py) moves on a `touch`, a checkout of the same content or a deploy tool
rewriting identical files; this tells such a change from one to the bytes, so the policy host need not
compile and log again a rule set it has already served or refused (adapters/grpc/host_reload.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from policy_engine.rules.loader import MAX_FILE_BYTES
from policy_engine.rules.rule_tree import scan_rules_dir

_READ_AT_MOST = 5 << 20
"""Bytes read in all: the rule files (the loader reads at most MAX_TOTAL_BYTES of them; a file past its
limits is refused for its size, which the hash holds) and the case files after them, so a directory of
huge files costs no more than a good one. Not lowered with MAX_TOTAL_BYTES: case files count here too."""


def content_digest(rules_dir: Path) -> str:
    """A hash of the files a reload reads (rule files and test cases, as `scan_rules_dir` lists them):
    each one's path, permissions, size and bytes, what could not be read and why, and the listing's
    problems. Run it on a thread: it reads up to a few MiB. Never raises for the file system."""
    tree = scan_rules_dir(rules_dir)
    digest = hashlib.blake2b(digest_size=16)
    budget = _READ_AT_MOST
    for path in (*tree.rule_files, *tree.case_files):
        digest.update(f"\0file {path}\0".encode())
        try:
            st = path.stat()
            # the permissions decide what a reader other than root can read: a fix to them alone is a change
            digest.update(f"{st.st_mode} {st.st_size}\0".encode())
            with path.open("rb") as f:
                data = f.read(max(0, min(MAX_FILE_BYTES + 1, budget)))
        except OSError as exc:
            digest.update(f"error {exc.errno}".encode())
            continue
        budget -= len(data)
        digest.update(f"{len(data)}\0".encode() + data)
    for problem in (*tree.problems, *tree.case_problems):
        digest.update(f"\0problem {problem}".encode())
    return digest.hexdigest()
