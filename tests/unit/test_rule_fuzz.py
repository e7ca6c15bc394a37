"""Fuzzing the rule loader: every broken rules folder gives problems at a file and line, never a traceback.

The shipped rule files are mutated the ways hand-editing breaks them (tests/rule_mutations.py); for each folder,
`load_policy` (what `credit-policy lint`, `test` and the service's reload run) must either return a policy that
decides the demo customers, or raise PolicyLoadError whose every problem names a file of the folder (or the folder),
a line within that file, a known code and a one-line message with no Python in it, within TIME_BOUND.

The `rule-fuzz` profile (80 examples, junk values up to 20,000 characters) runs in ~30 s (32 s wall, 11 s of CPU,
measured on a loaded 2-vCPU VM); CREDIT_POLICY_RULE_FUZZ=hunt selects `rule-fuzz-hunt` (3,000 examples, values past
the 1 MiB bound, not shrunk; 21 min, none failing, the slowest 9.5 s wall) to hunt with.
"""

from __future__ import annotations

import os
import random
import re
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings

from policy_engine.api import Policy, PolicyLoadError, load_policy
from policy_engine.domain.models import CustomerSnapshot, OrderRequest
from policy_engine.rules.problems import CODES, Problem
from policy_engine.synthetic import BEHAVIOURS, make_snapshot
from tests.rule_mutations import Broken, Folder, broken_folders

AS_OF = date(2026, 11, 22)
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DEMO = [CustomerSnapshot.model_validate_json(p.read_text()) for p in sorted(EXAMPLES.glob("*.json"))] + [
    make_snapshot(random.Random(seed), AS_OF, f"F{seed}", behaviour=behaviour, invoices=12)
    for seed, behaviour in enumerate(BEHAVIOURS)]
"""The demo customers (examples/*.json) and one synthetic customer of each behaviour."""

TIME_BOUND = 60.0
"""CPU seconds one folder may take to load and decide the demo customers (CPU, not wall time: the machine is shared).
1 MiB of rule files, the most read, costs up to ~22 s (a flat list of 250,000 short items, measured), and the loader
refuses more."""
PYTHON_IN_MESSAGE = re.compile(r"Traceback|object at 0x|<class '|<built-in|\bNone\b(?!\w)|\\x[0-9a-f]{2}\\x")
LONGEST_MESSAGE = 1_000
"""A problem is one line a person reads: a value echoed in it is cut short."""
LINE_BREAK = re.compile(r"\r\n|[\n\r\x85\u2028\u2029]")

settings.register_profile("rule-fuzz", max_examples=80, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("rule-fuzz-hunt", settings.get_profile("rule-fuzz"), max_examples=3_000,
                          phases=[Phase.explicit, Phase.generate])  # a failure as found: shrinking one takes minutes
HUNT = os.environ.get("CREDIT_POLICY_RULE_FUZZ") == "hunt"
PROFILE = settings.get_profile("rule-fuzz-hunt" if HUNT else "rule-fuzz")
LARGEST = 2_000_000 if HUNT else 20_000
"""The longest junk text (a list a tenth as long): past 1 MiB when hunting, to reach every bound; short otherwise, so
that 80 examples run in well under a minute."""


def written(folder: Folder, root: Path) -> None:
    """The folder's files under `root`."""
    for name, data in folder.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)


def lines_in(data: bytes) -> int:
    """How many lines a parser may count in `data` (YAML breaks lines at CR, LF, NEL and U+2028/9 too)."""
    return len(LINE_BREAK.split(data.decode("utf-8", errors="replace")))


def assert_located(problem: Problem, root: Path, folder: Folder) -> None:
    """`problem` names the folder or one of its files, a line inside that file, a known code and a plain message."""
    rel = os.path.relpath(problem.path, root)
    # a required kind no file holds is placed at the file the shipped rules keep it in (kinds.kind_without_file)
    assert rel in (".", *folder) or problem.code == "missing_kind", f"{problem} names no file of the folder"
    last = lines_in(folder[rel]) + 1 if rel in folder else 1
    assert 1 <= problem.line <= last and problem.col >= 1, f"{problem}: line outside the file ({last - 1} lines)"
    assert problem.code in CODES, problem
    assert problem.message.strip() and len(problem.message) <= LONGEST_MESSAGE, f"{str(problem)[:2000]}"
    assert not PYTHON_IN_MESSAGE.search(problem.message), problem
    assert "\n" not in str(problem), problem


def decides_the_demo_customers(policy: Policy) -> None:
    """A policy that loads decides every demo customer and an order for each without an exception."""
    for snapshot in DEMO:
        decision = policy.evaluate(snapshot, as_of=AS_OF, explain=True)
        order = policy.check_order(snapshot, OrderRequest(amount=Decimal("25000.00")), as_of=AS_OF)
        assert decision.grade and order.outcome


class Hang(Exception):
    """A folder took more than TIME_BOUND: raised by SIGPROF inside whatever ran (the loader is pure Python)."""


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Fail with Hang where the code is once it has used `seconds` of CPU, not hours later; and after the block if
    the Hang was swallowed (raised inside a gc callback, it is only printed)."""
    fired = []

    def hung(signum: int, frame: Any) -> None:
        fired.append(signum)
        raise Hang(f"over {seconds:g} s of CPU")

    before = signal.signal(signal.SIGPROF, hung)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, before)
    if fired:
        raise Hang(f"over {seconds:g} s of CPU")


def check_folder(folder: Folder) -> None:
    """Load `folder` as a rules directory: a policy that decides, or located problems; never anything else."""
    with tempfile.TemporaryDirectory() as tmp, within(TIME_BOUND):
        root = Path(tmp) / "rules"
        root.mkdir()
        written(folder, root)
        try:
            policy = load_policy(root)
        except PolicyLoadError as exc:
            assert exc.problems, "refused without a problem"
            for problem in exc.problems:
                assert_located(problem, root, folder)
        else:
            try:
                decides_the_demo_customers(policy)
            finally:
                policy.close()


@PROFILE
@given(folder=broken_folders(LARGEST))
def test_a_broken_rules_folder_gives_located_problems_or_a_policy_that_decides(folder: Broken) -> None:
    check_folder(folder.files)
