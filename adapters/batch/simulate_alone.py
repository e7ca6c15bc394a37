"""Each setting a candidate changes, applied alone to the live rules (simulate): what that one change does.

A candidate that changed several settings (and rules) got one set of counts for all of them: nothing said which
setting moved whom, and a feature window or `combine` got no count at all. Here the live rule files are rewritten
with one changed setting at its candidate value (ruamel's round trip; the rest of each file as written), loaded as
any rule set is (lint refuses what it would refuse), and the engine decides with them for a sample of customers
beside the live decisions simulate already has. Settings lint checks together go together: the factor weights (they
must add up to 1) and the grade classes (each grade in one class). The cost is bounded: at most MAX_ALONE settings
(or groups), each evaluated for at most SAMPLE customers (a fixed sample by the CRC-32 of the customer id); with more,
none is measured one by one, and each says so. Changes interact (a grade cap masks a weight, two limits offset), so
the effects alone need not add up to the candidate's: its own counts on the same customers are given beside them.
"""

from __future__ import annotations

import io
import math
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML

from adapters.batch.simulate_compare import compared_facts
from policy_engine.domain.models import CustomerDecision, OrderDecision

MAX_ALONE = 4
"""Settings (or groups lint checks together) measured one by one: each costs one more evaluation per sampled
customer; four over a full sample took a 2,000-customer demo book's simulate from 2.4 s to 7.2 s in one process."""
SAMPLE = 2_000
"""Customers each setting alone is evaluated for: all of a book this size or smaller, else about this many."""
COUNTED = ("decisions", "score", "grade", "grade_class", "credit_limit", "order_outcome", "value_class")
"""What a setting alone is counted by: customers whose decision changes in any fact simulate compares (`decisions`),
whose score, grade, grade class, limit, probe order outcome, value class changes."""
NOT_COMPARED = "the nightly report's rankings and give-up review, which simulate does not compare"
ONE_SIDE = "a scorecard factor on one side only comes with its rows, which the live rules do not have"
NO_PROBE = "only a probe order shows it: run again with --order-amount AMOUNT"


@dataclass
class AloneUnit:
    """Changed settings applied together to the live rules (one, but for those lint checks together)."""

    kind: str
    rows: list[dict[str, Any]]
    why_not: str = ""
    policy: Any = None
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def affects(self) -> str:
        """What its settings decide (simulate_settings.AFFECTS)."""
        return str(self.rows[0]["affects"])

    @property
    def evaluated(self) -> bool:
        """Whether the engine decides with it: a value class is ranked from sales, not decided per customer."""
        return self.policy is not None and self.affects != "value_class"


@dataclass
class AloneTally:
    """Over the sampled customers: how many, and per count how many differ from live with the whole candidate and
    with each evaluated unit alone (picklable: workers send it back with their chunk)."""

    sampled: int = 0
    candidate: Counter[str] = field(default_factory=Counter)
    each: list[Counter[str]] = field(default_factory=list)

    def add(self, live: dict[str, Any], cand: dict[str, Any], alone: list[dict[str, Any]]) -> None:
        """Count one sampled customer's facts (alone_facts) live, with the candidate and with each unit alone."""
        self.sampled += 1
        self.candidate.update(_differences(live, cand))
        self.each += [Counter() for _ in range(len(alone) - len(self.each))]
        for counter, facts in zip(self.each, alone, strict=False):
            counter.update(_differences(live, facts))

    def merge(self, other: AloneTally) -> None:
        """Add another chunk's tally."""
        self.sampled += other.sampled
        self.candidate.update(other.candidate)
        self.each += [Counter() for _ in range(len(other.each) - len(self.each))]
        for mine, theirs in zip(self.each, other.each, strict=False):
            mine.update(theirs)


def alone_facts(decision: CustomerDecision, order: OrderDecision | None) -> dict[str, Any]:
    """What simulate compares of a decision, and its score."""
    return {**compared_facts(decision, order), "score": decision.score}


def _differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    keys = [k for k in ("score", "grade", "grade_class", "credit_limit", "order_outcome") if before[k] != after[k]]
    if any(before[k] != after[k] for k in before if k != "score"):
        keys.append("decisions")
    return keys


def sample_stride(customers: int) -> int:
    """1 (every customer) for a book of SAMPLE or fewer, else the n whose 1-in-n sample holds about SAMPLE."""
    return max(1, math.ceil(customers / SAMPLE))


def sampled(customer_id: str, stride: int) -> bool:
    """Whether the customer is in the 1-in-`stride` sample: the same customers in every run and every worker."""
    return stride == 1 or zlib.crc32(customer_id.encode("utf-8", "surrogatepass")) % stride == 0


def plan_alone(live: Any, settings: list[dict[str, Any]], probe: bool) -> list[AloneUnit]:
    """The changed settings grouped into units, each compiled onto the live rules or saying why it is not measured.
    The caller closes the units' policies (close_units)."""
    units = _group(settings)
    for unit in units:
        unit.why_not = _why_not(unit, probe)
    measured = [u for u in units if not u.why_not]
    if len(measured) > MAX_ALONE:
        for unit in measured:
            unit.why_not = (f"the candidate changes {len(measured)} settings that decide per customer; each is "
                            f"measured alone when at most {MAX_ALONE} are (each costs another evaluation of up to "
                            f"{SAMPLE:,} customers): compare them in smaller candidates")  # fmt: skip
        return units
    for unit in measured:
        _compile(unit, live.files)
    return units


def alone_context(engine: Any, units: list[AloneUnit]) -> tuple[int, tuple[bytes, ...]]:
    """SimContext's sample stride and the programs of the units the engine decides with (for workers): (0, ())
    when no setting is measured alone."""
    from sqlalchemy import func, select

    from adapters.store import schema
    from policy_engine.api import program_bytes

    if not any(u.policy is not None for u in units):
        return 0, ()
    with engine.connect() as conn:
        customers = conn.execute(select(func.count()).select_from(schema.customers)).scalar_one()
    return sample_stride(customers), tuple(program_bytes(u.policy) for u in units if u.evaluated)


def settings_alone(settings: list[dict[str, Any]], units: list[AloneUnit], total: Any, stride: int,
                   summary: dict[str, Any]) -> dict[str, Any] | None:  # fmt: skip
    """Give each changed_settings row its `alone` (`with`: the settings applied with it, `customers`: its COUNTED
    or None, `not_measured`: why not or None); return the sample's account (`customers` sampled, `of` all, `sample`,
    and the whole candidate's COUNTED on the same customers), None when no setting was measured alone."""
    tally = total.alone if total.alone is not None else AloneTally()
    probe = summary.get("order_check") is not None
    for unit, counted in zip([u for u in units if u.evaluated], tally.each, strict=False):
        unit.counts.update(counted)
    for unit in units:
        for row in unit.rows:
            row["alone"] = {"with": [r["setting"] for r in unit.rows if r is not row],
                            "customers": None if unit.why_not else _counts(unit.counts, probe),
                            "not_measured": unit.why_not or None}  # fmt: skip
    if all(unit.why_not for unit in units):
        return None
    candidate = {**_counts(tally.candidate, probe), "value_class": summary["value_class_changes"]}
    sample = "every customer" if stride == 1 else f"1 in {stride}, by the CRC-32 of the customer id"
    return {"customers": tally.sampled, "of": total.customers, "sample": sample, "candidate": candidate}


def _counts(counter: Counter[str], probe: bool) -> dict[str, int | None]:
    """COUNTED from `counter`; `order_outcome` None without a probe order (no order was checked)."""
    return {key: None if key == "order_outcome" and not probe else counter[key] for key in COUNTED}


def close_units(units: list[AloneUnit]) -> None:
    """Close the units' compiled policies."""
    for unit in units:
        if unit.policy is not None:
            unit.policy.close()


def _group(settings: list[dict[str, Any]]) -> list[AloneUnit]:
    units: dict[tuple[str, str], AloneUnit] = {}
    for row in settings:
        kind, parts = row["kind"], row["setting"].split(".")
        key = (kind, row["setting"])
        if kind == "scorecard" and parts[0] == "factors" and parts[-1] == "weight":
            key = (kind, "factors.*.weight")  # lint: the weights add up to 1
        elif kind == "grade_bands" and parts[0] == "classes":
            key = (kind, "classes")  # lint: each grade in exactly one class
        units.setdefault(key, AloneUnit(kind, [])).rows.append(row)
    return list(units.values())


def _why_not(unit: AloneUnit, probe: bool) -> str:
    if unit.affects == "batch_report":
        return NOT_COMPARED
    if any(row["live"] is None or row["candidate"] is None for row in unit.rows):
        return ONE_SIDE
    if unit.affects == "order_outcome" and not probe:
        return NO_PROBE
    return ""


def _compile(unit: AloneUnit, live_files: dict[str, str]) -> None:
    from policy_engine.api import PolicyLoadError, load_policy_from_files

    files = alone_files(live_files, unit.kind, [(row["setting"], row["candidate"]) for row in unit.rows])
    try:
        unit.policy = load_policy_from_files(files)
    except PolicyLoadError as exc:
        first = exc.problems[0] if exc.problems else None
        said = f"{first.path}: {first.code}: {first.message}" if first is not None else str(exc)
        unit.why_not = f"the live rules with it alone do not load ({said})"


def alone_files(files: dict[str, str], kind: str, changes: list[tuple[str, Any]]) -> dict[str, str]:
    """`files` with each setting (its path, as changed_settings names it) at its value in every file of `kind`
    (every warning_signs file states the same `combine`)."""
    yaml = YAML(typ="rt", pure=True)  # round trip: no object is built from a tag; the rest stays as written
    out = dict(files)
    for path, text in files.items():
        data = yaml.load(text) if f"kind: {kind}" in text else None
        if not isinstance(data, dict) or data.get("kind") != kind:
            continue
        for setting, value in changes:
            _put(data, setting.split("."), value)
        buffer = io.StringIO()
        yaml.dump(data, buffer)
        out[path] = buffer.getvalue()
    return out


def _put(data: Any, parts: list[str], value: Any) -> None:
    """Set the setting at `parts`: a mapping's key, or in a list the item with that `id` (a scorecard factor)."""
    node = data
    for part in parts[:-1]:
        if isinstance(node, list):
            node = next(item for item in node if isinstance(item, dict) and item.get("id") == part)
        else:
            node = node.setdefault(part, {})  # a setting left at its default is not written in the file
    node[parts[-1]] = value
