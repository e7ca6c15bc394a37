"""Replay a logged decision with the rule files of its own policy version and compare the outputs."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from adapters.store.audit import LoggedDecision
from policy_engine.build import build_id
from policy_engine.words import plural

MAX_DIFFS = 20


@dataclass(frozen=True)
class ReplayResult:
    """Whether a replay reproduced the logged outputs; `reproduces` is None when it could not run.

    `diffs` are differences in what was decided; `wording` are differences only in the text of a
    message (an action's or a reason's), which a later release may word differently without the
    decision changing. They do not count against `reproduces`.

    `logged_build` is the build of the decision code that logged the entry (None: not recorded, the
    entry is older than that), `current_build` the one that replayed it ("" when the replay did not
    run: a snapshot missing or altered, rules not recorded)."""

    entry_id: int
    reproduces: bool | None
    diffs: list[str] = field(default_factory=list)
    note: str = ""
    wording: list[str] = field(default_factory=list)
    logged_build: str | None = None
    current_build: str = ""

    def build_note(self) -> str:
        """What to say next to a result that is not an exact reproduction (NO, or yes in wording only)
        when another build of the code replayed it: the code changed, not only possibly the rules. ""
        otherwise, and whenever the replay did not run."""
        exact = self.reproduces is True and not self.wording
        if self.reproduces is None or exact or not self.current_build or self.logged_build == self.current_build:
            return ""
        if self.logged_build is None:
            return (f"logged before builds were recorded, now {self.current_build}: the code may have changed "
                    "since, not only possibly the rules")
        return (f"logged by build {self.logged_build}, now {self.current_build}: the code changed since, not only "
                "possibly the rules")


def is_wording(difference: str) -> bool:
    """A difference (as `diff` words it) in a message text only: its path ends in `.message`, or in a
    trace entry's notes on why a rule that fired added no action (they explain the decision, not make it)."""
    path = difference.split(": ", 1)[0]
    return path == "message" or path.endswith((".message", ".no_action", ".superseded_by"))


def diff(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Paths where two JSON values differ, each as `path: expected → actual`."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out: list[str] = []
        for key in sorted(set(expected) | set(actual)):
            sub = f"{path}.{key}" if path else str(key)
            if key not in actual:
                out.append(f"{sub}: missing in replay")
            elif key not in expected:
                if actual[key] not in ([], ""):  # empty: a field added since (`gather`, `no_action`), empty then too
                    out.append(f"{sub}: only in replay")
            else:
                out.extend(diff(expected[key], actual[key], sub))
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{path}: {len(expected)} {plural(len(expected), 'item')} logged → {len(actual)} replayed"]
        return [d for i, (e, a) in enumerate(zip(expected, actual, strict=True)) for d in diff(e, a, f"{path}[{i}]")]
    if expected == actual or _same_amount(path, expected, actual):
        return []
    return [f"{path}: {expected!r} → {actual!r}"]


_AMOUNTS = frozenset({"credit_limit", "exposure", "available_credit", "available_credit_after"})
"""A decision's amounts: the same amount written to another scale ("0" and "0.00": decisions logged before
amounts were shown with two decimal places) is the same decision."""


def _same_amount(path: str, expected: Any, actual: Any) -> bool:
    if path.rsplit(".", 1)[-1] not in _AMOUNTS or not (isinstance(expected, str) and isinstance(actual, str)):
        return False
    try:
        return Decimal(expected) == Decimal(actual)
    except InvalidOperation:
        return False


class Replayer:
    """Compiles each policy version once; `files_of(version)` returns its rule files or None.

    `current_build` is the build of the decision code the replays run on (default: this process's)."""

    def __init__(
        self,
        files_of: Callable[[str], dict[str, str] | None],
        compile_files: Callable[[dict[str, str]], Any] | None = None,
        current_build: str | None = None,
    ):
        self._files_of = files_of
        self._compile = compile_files
        self._build = current_build or build_id()
        self._policies: dict[str, Any] = {}

    def _policy(self, version: str) -> Any:
        if version not in self._policies:
            files = self._files_of(version)
            if files is None:
                self._policies[version] = None
            else:
                if self._compile is None:
                    from policy_engine.api import load_policy_from_files  # the core is only needed to replay

                    self._compile = load_policy_from_files
                self._policies[version] = self._compile(files)
        return self._policies[version]

    def replay(self, entry: LoggedDecision) -> ReplayResult:
        """Re-run one logged decision and compare it with what was logged."""
        return replace(self._replay(entry), logged_build=entry.build)

    def _replay(self, entry: LoggedDecision) -> ReplayResult:
        if entry.snapshot_json is None:
            return ReplayResult(entry.id, False, [f"snapshot: no stored copy under {entry.snapshot_hash[:12]}"])
        if not entry.snapshot_intact():
            return ReplayResult(entry.id, False, ["snapshot: stored copy does not match its hash"])
        if entry.snapshot is None:  # intact, yet today's model refuses it: cannot run, not a finding
            return ReplayResult(entry.id, None, note="logged snapshot no longer validates against the model")
        try:
            policy = self._policy(entry.policy_version)
        except Exception as exc:  # a stored version that no longer compiles is a finding, not a crash
            return ReplayResult(entry.id, None, note=f"policy {entry.policy_version[:12]} does not load: {exc}")
        if policy is None:
            return ReplayResult(
                entry.id, None, note=f"rule files of policy {entry.policy_version[:12]} were not recorded"
            )
        found = _replayed_differences(policy, entry)
        note = (
            "order request not logged: replayed the customer decision only"
            if entry.order and not entry.order_request
            else ""
        )
        decided = [d for d in found if not is_wording(d)]
        wording = [d for d in found if is_wording(d)]
        return ReplayResult(entry.id, not decided, decided[:MAX_DIFFS], note, wording[:MAX_DIFFS],
                            current_build=self._build)


def _replayed_differences(policy: Any, entry: LoggedDecision) -> list[str]:
    """Run the logged order check (or, without one, the customer decision) again and diff it with the log."""
    # Compare JSON with JSON: what was logged against the replay serialised the same way.
    if entry.order_json is not None and entry.order_request is not None:
        order = policy.check_order(entry.snapshot, entry.order_request, as_of=entry.as_of)
        return diff(json.loads(entry.order_json), json.loads(order.model_dump_json()), "order")
    decision = policy.evaluate(entry.snapshot, as_of=entry.as_of, explain=entry.explained)
    logged = json.loads(entry.decision_json)
    if entry.snapshot is not None and not entry.snapshot.value_class:
        # Logged before snapshots carried the value class: the batch attached it to the decision after
        # evaluating, where no rule saw it, so the logged one is carried over. Since then it is the
        # snapshot's, and the replay takes it from there like any other input.
        decision = decision.model_copy(update={"value_class": logged.get("value_class", "")})
    return diff(logged, json.loads(decision.model_dump_json()))
