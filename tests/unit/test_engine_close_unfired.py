"""Closing a ruleset whose every match fired nothing: the core's delete_state segfaulted on such a session."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
    import sys
    from policy_engine.engine import Ruleset
    from policy_engine.engine_terms import rule_definition
    ruleset = Ruleset("close_unfired", {"r": rule_definition([{"_f": "c"}, {"k": 1}])})
    fired = [ruleset.match([{"id": 1, "_f": "c", "k": k}]) for k in map(int, sys.argv[1:])]
    ruleset.close()
    print(fired)
""")


@pytest.mark.parametrize(("values", "fired"), [
    ((), "[]"),                                   # never matched
    ((0,), "[[]]"),                               # matched, fired nothing: segfaulted (-11) before
    ((0, 0, 0), "[[], [], []]"),                  # the same, three times
    ((0, 1), "[[], [('r', 1)]]"),                 # fired once: its session is deleted as before
    ((1, 0), "[[('r', 1)], []]"),
])  # fmt: skip
def test_a_ruleset_closes_cleanly_whatever_its_matches_fired(values: tuple[int, ...], fired: str) -> None:
    # in a child process: a segfault would take the test run with it
    done = subprocess.run([sys.executable, "-c", SCRIPT, *map(str, values)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert (done.returncode, done.stdout.strip()) == (0, fired), done.stderr[-2000:]
