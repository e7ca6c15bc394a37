"""What `credit-policy status` concludes from one GetPolicy answer: the version wanted is served, the rules were
refused, or not yet; and the exit code each conclusion has (docs/service.md, "Is my rule change live?")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

ANSWERED, SERVED, REFUSED, NOT_SERVED, TIMED_OUT, NOT_REACHABLE = (
    "answered", "served", "refused", "not_served", "timed_out", "not_reachable")

EXIT_CODES = {ANSWERED: 0, SERVED: 0, REFUSED: 1, NOT_SERVED: 3, TIMED_OUT: 3, NOT_REACHABLE: 4}
"""2 is left to bad options, as every command has it (click's usage errors, options.USAGE_EXIT)."""


@dataclass
class Watch:
    """The version wanted (None: any answer will do) and what counts as a refusal of it.

    A refusal that names its version (GetPolicy's `last_refused.version`) and names another is never this one's,
    however new. One that names the version wanted counts while the rules directory holds it (`REFUSED`), or by
    time as one without a version does (an older server; rule files the service could not all read, so no hash
    is theirs): when a wait saw it come (its `attempted_at` other than the first answer's) or the service dated
    it at or after `started_at`, or after `changed_at` (the last change to the `--rules` files, by their
    modification times). A single look (no wait) takes the rules directory's state as it stands, unless its
    refusal names another version."""

    wanted: str | None
    started_at: datetime
    waiting: bool
    changed_at: datetime | None = None
    first_refusal: str | None = None
    answered: bool = field(default=False, init=False)

    def judge(self, info: Any) -> str | None:
        """The conclusion `info` (a PolicyInfo) allows, or None while a wait should go on."""
        refused = info.last_refused if info.HasField("last_refused") else None
        refused_at = refused.attempted_at if refused is not None else None
        if not self.answered:
            self.answered, self.first_refusal = True, refused_at
        if self.wanted is None:
            return ANSWERED
        if info.version == self.wanted:
            return SERVED
        named = refused.version if refused is not None else ""
        if not self.waiting:
            ours = named == self.wanted if named else True
            return REFUSED if info.rules_dir_state == "REFUSED" and ours else NOT_SERVED
        if named and named != self.wanted:
            return None
        # Its version named: the directory holds the refused rule set now, or the refusal is new; else it is from
        # before the files were copied back in (a --rule-tests case since fixed may make the same version good).
        holds_it = bool(named) and info.rules_dir_state == "REFUSED"
        if refused_at is not None and (holds_it or refused_at != self.first_refusal or self._since_start(refused_at)):
            return REFUSED
        return None

    def _since_start(self, stamp: str) -> bool:
        since = min(self.started_at, self.changed_at or self.started_at)
        try:
            return datetime.fromisoformat(stamp) >= since
        except (ValueError, TypeError):  # an aware and a naive time, or no time at all: the seen change decides
            return False
