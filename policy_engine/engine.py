"""The only module that touches durable_rules.

We call its C core (`durable_rules_engine`) directly instead of `durable.engine.Host`: the Host
starts timer threads that call into the C core concurrently with ours (a crash, since the core is
not thread-safe), decodes every fired message from JSON in Python, and keeps a registry in which a
ruleset name cannot be registered twice. What we do instead, for each pitfall:

- Not thread-safe: every call into the core holds one process-wide lock.
- At most 1,024 live sessions per ruleset: every match uses one fixed session id, so one session
  is ever live. Its facts are retracted after each match (creating a session costs ~40 µs, a
  retract a few); if anything fails mid-match, the ruleset is compiled afresh and the old one
  abandoned (deleting a session in that state has crashed the core).
- Events fire only the first matching rule: we assert *facts*, so every matching rule fires.
- Nothing matching raises / returns "not handled": that is an empty match, not an error.
- Re-asserting an identical fact is refused: facts are retracted after each match, so none repeats.
- Strings compare as text: callers pass numbers as JSON numbers (the compiler types every field).
- Its JSON reader does not take an exponent after a mantissa without a point (`2e-6`, `1e+16`, as
  orjson and `json` write 0.000002 and 1e16): in a fact the property is silently lost, with the
  rest of the fact after it, so no rule on them fires; in a ruleset it is refused (error 204).
  Every text sent to the core goes through `engine_terms.engine_json`, which writes such numbers `2.0e-6`.
- Exceptions in actions are swallowed into state: our rules have no Python actions at all; the
  fired rule names are read from the engine's action queue.
- Names cannot be re-registered: each compiled policy gets a fresh, versioned ruleset name.
- 255 properties per object: the compiler refuses facts that would carry more (per fact: see below).
- Fixed-size node tables that hang or crash when full instead of refusing: 512 distinct comparisons
  after one node (a 513th hangs the compile, holding the GIL; 512 hang the first match), 256 rules
  ending at one node (a 257th crashes the first match), 128 `$nex`/`$or` ends at one node.
  `engine_network.overloads` counts them from the definition and we refuse past 400, 200 and 100
  before the core sees it (the compiler says where, as `too_many_rules`).
- A fixed-size match stack that fails the match (error 303) when full: a match walks the network depth
  first on a stack of 64 (events.c MAX_STACK_SIZE). Visiting a node pushes at once every successor that
  holds for the fact (comparisons that hold, `$nex` on absent fields, an `$or`'s continuation per branch
  that held); the last pushed is visited next, so what waits at each node on the path adds up: the peak is
  the sum along the worst path of (successors holding - 1), plus 1, and 65 fail (measured: 65 holding after
  the stage; 36 holding each followed by 30 holding). It depends on the fact, so `engine_stack` bounds the
  most any fact could push and we refuse past 60 before the core sees it (`too_many_at_once`). The stack is
  per fact, and so the customer stage's scorecard rows, warning signs and follow-ups each match a fact of
  their own (ir.fact_of; ids 0, 1, 2, in one assert): the shipped warning signs reach 38 (all 21 warning
  flags and the largest thresholds holding), the scorecard rows 16, the follow-ups 6 (as one fact: 56). A
  303 that happens anyway reads as the stack overflowing (`match_failure`), not as a bare code.
- At most 15 `$and`/`$or` terms in one rule: the 16th refuses the whole ruleset (error 113, naming no rule).
  `engine_network.overloads` counts them per rule (`too_many_groups`); the emitter writes an `all` within an
  `all` as one `$and`, so only the `or`s and their branches' `and`s count.
- Facts are told apart by their `id`: a second fact with an id already asserted is taken as the same
  (result 2, "observed"; its retract would find only one), so the facts of one match have distinct ids.

Two measured economies: facts carry short property names (`short_keys`: the core parses and
hashes every name of every fact, ~8% of its time on the customer fact) and no `sid` property (the
core's default session id is "0", the one session we use).
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from typing import Any

import durable_rules_engine as _core
import orjson

from policy_engine.engine_network import overloads
from policy_engine.engine_terms import engine_json

MAX_PROPERTIES = 255
MAX_REPLACEMENTS = 100
"""Failed matches a Ruleset recovers from (each abandons one engine ruleset); past that it is closed."""
_LOCK = threading.Lock()
_COUNTER = itertools.count(1)
_SID = "0"
_OBSERVED = 2  # assert result code: an identical fact is already in the session


def _dumps(facts: list[dict[str, Any]]) -> str:
    # orjson: ~5x faster than json for the flat facts we send; the core takes a str.
    return engine_json(orjson.dumps(facts).decode())


class EngineError(Exception):
    """durable_rules refused a ruleset or failed during a match."""


class EngineClosed(EngineError):
    """A match on a ruleset that is closed: by `close()`, or for good by repeated failures (`broken`).
    The match was never tried, so it is safe to make again elsewhere (another process, a fresh copy)."""


class Ruleset:
    """A compiled durable_rules ruleset: assert facts, get back the names of the rules that fired."""

    def __init__(self, label: str, definition: dict[str, Any]):
        self.name = f"{label}_{next(_COUNTER)}"
        self._names = frozenset(definition)  # the rule names fired actions may carry
        # durable_rules mutates definitions it is given; it only ever sees private copies of this text.
        self._text = engine_json(json.dumps(definition, ensure_ascii=False))
        self.replaced = 0
        """How many times a failed match made this ruleset start over on a fresh engine ruleset."""
        self._fired = False  # whether a match on the current engine ruleset fired a rule (see close)
        self._closed_why = "closed"
        self.broken: str | None = None
        """Why failed matches closed this ruleset for good (None while it works, or once `close()`d):
        the rulesets it abandoned stay allocated in the core (~0.7 MB each for the shipped policy), so
        only a fresh process recovers fully; the service replaces the process (docs/service.md)."""
        for over in overloads(definition):  # the compiler says where; this keeps any other caller safe
            raise EngineError(f"rule {over.rule} takes the engine's {over.table} to {over.count}; "
                              f"we allow at most {over.bound} (engine_network.py)")
        with _LOCK:
            try:
                self._handle: int | None = _core.create_ruleset(self.name, self._text)
            except Exception as exc:  # the core raises its own `error` type with a numeric code
                raise EngineError(f"durable_rules refused the ruleset: {exc}") from exc

    def _start_over(self) -> None:
        """After a failed match (caller holds the lock): continue on a freshly compiled engine ruleset.

        The old one is abandoned, not freed: its session is in an unknown state (facts asserted,
        actions started or queued), and deleting such a session (`delete_state`) has crashed the
        core (a segfault in the test suite). Each failure leaks one ruleset; failures are rare and
        at most MAX_REPLACEMENTS are allowed before matches are refused.
        """
        self._handle = None
        self._fired = False
        if self.replaced >= MAX_REPLACEMENTS:
            self._closed_why = self.broken = f"closed after {MAX_REPLACEMENTS} failed matches"
            return
        self.replaced += 1
        try:
            self._handle = _core.create_ruleset(f"{self.name}_r{self.replaced}", self._text)
        except Exception as exc:
            self._closed_why = self.broken = f"closed: recompiling after a failed match failed: {exc}"

    def match(self, facts: list[dict[str, Any]]) -> list[tuple[str, int]]:
        """Assert `facts` (each with an integer "id") in a fresh session; return (rule name, fact id) fired."""
        payload = _dumps(facts)  # no "sid": the core's default session is _SID
        messages: list[str] = []
        with _LOCK:
            handle = self._handle
            if handle is None:
                raise EngineClosed(f"ruleset is {self._closed_why}")
            try:
                result = _core.assert_facts(handle, payload)
                if result[0] == _OBSERVED:  # a fact left behind by an earlier match: never answer from it
                    raise EngineError("durable_rules already held an identical fact")
                state = result[1]
                action = _core.start_action_for_state(handle, state)
                message = action[1] if action else None
                while message:
                    messages.append(message)
                    message = _core.complete_and_start_action(handle, state)
                _core.retract_facts(handle, payload)
                self._fired = self._fired or bool(messages)
            except BaseException as exc:
                # Also for Ctrl-C or SIGTERM between assert and retract: the fact would stay behind and
                # the next match on this ruleset would fail ("already held an identical fact").
                self._start_over()  # the next match starts from a clean ruleset
                if not isinstance(exc, Exception):
                    raise
                raise EngineError(match_failure(exc)) from exc
        # Read outside the lock. One fact: every hit is that fact's, so only the rule name is read.
        if len(facts) != 1:
            hits = [_parse_hit(m) for m in messages]
            if not self._names.issuperset(name for name, _ in hits):
                unknown = sorted({n for n, _ in hits} - self._names)
                raise EngineError(f"unexpected rule names from durable_rules: {unknown}")
            return hits
        fact_id = facts[0]["id"]
        names = [m[2 : m.find('"', 2)] for m in messages]  # `{"r12":{"m":{...}}}` → "r12"
        if not self._names.issuperset(names):
            bad = next(m for m, n in zip(messages, names, strict=True) if n not in self._names)
            raise EngineError(f"unexpected action message from durable_rules: {bad[:80]}")
        return [(n, fact_id) for n in names]

    def close(self) -> None:
        """Free the ruleset in the engine; later matches raise EngineClosed.

        The session goes first: the core's delete_ruleset frees the ruleset's table of sessions but
        not what each session holds (~1 MB for the shipped policy, allocated by the first match), so
        a process that replaces its policy on every reload grew by that much each time. The session
        is clean here (every match retracts its facts; a failed match moved on to a fresh ruleset),
        unlike the abandoned ones whose deletion has crashed the core. A session whose every match fired
        nothing is not deleted either: the core's delete_state segfaults on it (durable_rules 2.0.28, one
        comparison is enough); its memory stays, once per such ruleset, which a real policy never is (every
        customer gets a grade band)."""
        with _LOCK:
            if self._handle is not None:
                if self._fired:
                    _core.delete_state(self._handle, _SID)
                _core.delete_ruleset(self._handle)
                self._handle = None


_STACK_OVERFLOW = re.compile(r"error code: 303\b")


def match_failure(exc: BaseException) -> str:
    """What a failed match says: the core gives only a number, so the one a rule set can cause is named."""
    if _STACK_OVERFLOW.search(str(exc)):
        return ("the engine's match stack (64) overflowed: too many comparisons of one stage (or of one kind of the "
                "customer stage's rules) held at once for this customer (durable_rules error 303; engine_stack.py)")
    return f"durable_rules failed during a match: {exc}"


def core_match_for_benchmarks(ruleset: Ruleset) -> Any:
    """A bare match on the C core for an encoded payload (assert, drain, retract): bench/engine_floor.py
    measures with it what durable_rules alone costs. Not for evaluation: no error handling, no hits."""
    handle = ruleset._handle

    def match(payload: str) -> None:
        with _LOCK:  # every call into the core holds the lock, even here (uncontended: ~0.1 µs)
            state = _core.assert_facts(handle, payload)[1]
            action = _core.start_action_for_state(handle, state)
            while action:
                action = _core.complete_and_start_action(handle, state)
            _core.retract_facts(handle, payload)

    return match


_HIT = re.compile(r'\{"([^"]+)":\{"m":\{"id":\s*(\d+)')


def _parse_hit(message: str) -> tuple[str, int]:
    """`{"r12":{"m":{"id": 3, ...}}}` → ("r12", 3), without decoding the whole fact."""
    found = _HIT.match(message)
    if found is None:
        raise EngineError(f"unexpected action message from durable_rules: {message[:80]}")
    return found.group(1), int(found.group(2))
