"""The decision log: every decision recorded with its input, outputs, evidence and version; replay."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import pytest

from adapters.store import SqlStore, open_store
from adapters.store.audit import sha256_hex
from adapters.store.replay import Replayer
from policy_engine.domain.models import CustomerSnapshot, OrderRequest

AS_OF = date(2026, 11, 22)


@pytest.fixture(scope="module")
def policy():  # type: ignore[no-untyped-def]
    """The shipped rules, compiled once (skipped while the policy core cannot load them)."""
    try:
        from policy_engine.api import load_policy

        return load_policy()
    except Exception as exc:  # pragma: no cover - only while the core is being built
        pytest.skip(f"policy core not loadable: {exc}")


def _decide(store: SqlStore, policy, snapshot: CustomerSnapshot, source: str = "service", explain: bool = False):  # type: ignore[no-untyped-def]
    decision = policy.evaluate(snapshot, as_of=AS_OF, explain=explain)
    store.record_policy(policy.version, policy.files)
    store.record_decision(snapshot, decision, source=source)
    return decision


def test_a_recorded_decision_appears_in_history_with_its_evidence_and_input(
    db_url: str,
    policy,
    make_snapshot: Callable[..., CustomerSnapshot],  # type: ignore[no-untyped-def]
) -> None:
    store = open_store(db_url)
    snapshot = make_snapshot("C1")

    decision = _decide(store, policy, snapshot)
    [entry] = store.history("C1")

    assert (entry.source, entry.policy_version, entry.as_of) == ("service", policy.version, AS_OF)
    assert entry.decision.model_dump(mode="json") == decision.model_dump(mode="json")
    assert entry.snapshot is not None and entry.snapshot.model_dump(mode="json") == snapshot.model_dump(mode="json")
    assert entry.snapshot_hash == sha256_hex(snapshot.model_dump_json()) and entry.snapshot_intact()
    assert set(entry.fired_rules) >= {r.rule_id for r in decision.reasons}
    assert entry.decision.reasons and all(isinstance(r.evidence, dict) for r in entry.decision.reasons)
    assert (entry.grade, entry.credit_limit) == (decision.grade, decision.credit_limit)


def test_a_logged_decision_replays_exactly_with_the_rules_of_its_version(
    db_url: str,
    policy,
    make_snapshot: Callable[..., CustomerSnapshot],  # type: ignore[no-untyped-def]
) -> None:
    store = open_store(db_url)
    _decide(store, policy, make_snapshot("C1"))
    _decide(store, policy, make_snapshot("C1"), source="batch", explain=True)

    results = [Replayer(store.policy_files).replay(e) for e in store.history("C1")]

    assert [(r.reproduces, r.diffs) for r in results] == [(True, []), (True, [])]


def test_a_decision_logged_with_control_characters_in_free_text_still_replays(
    db_url: str,
    policy,
    make_snapshot: Callable[..., CustomerSnapshot],  # type: ignore[no-untyped-def]
) -> None:
    """Logged before input refused them (the model now does): the text is read with spaces, as the
    store reads such records, so the decision can still be replayed."""
    store = open_store(db_url)
    legacy = make_snapshot("C1").model_copy(update={"name": "Acme\x01Trading"})  # as a pre-check store held it
    _decide(store, policy, legacy)

    [entry] = store.history("C1")
    [result] = [Replayer(store.policy_files).replay(entry)]

    assert entry.snapshot_intact() and entry.snapshot is not None and entry.snapshot.name == "Acme Trading"
    assert (result.reproduces, result.diffs) == (True, [])


def _log_order_check(db_url: str, policy, snapshot: CustomerSnapshot):  # type: ignore[no-untyped-def]
    """An order check of 30,000 for `snapshot`, logged as the service logs it: (store, order decision)."""
    store = open_store(db_url)
    request = OrderRequest(order_id="N1", amount="30000.00", payment_term_days=30)
    order = policy.check_order(snapshot, request, as_of=AS_OF)
    store.record_policy(policy.version, policy.files)
    store.record_decision(snapshot, order.customer, source="service", order=order, order_request=request)
    return store, order


def test_an_order_decision_replays_from_its_logged_request(
    db_url: str,
    policy,
    make_snapshot: Callable[..., CustomerSnapshot],  # type: ignore[no-untyped-def]
) -> None:
    store, order = _log_order_check(db_url, policy, make_snapshot("C1"))

    [entry] = store.history("C1")
    result = Replayer(store.policy_files).replay(entry)

    assert entry.outcome == order.outcome
    assert (result.reproduces, result.diffs) == (True, [])


def test_an_order_check_stores_its_customer_decision_once_and_reads_back_whole(
    db_url: str,
    policy,
    make_snapshot: Callable[..., CustomerSnapshot],  # type: ignore[no-untyped-def]
) -> None:
    """The order decision embeds the customer decision, which the entry already holds in
    decision_json: it is stored once (~2 KB less an order check) and put back on read. An entry
    written before, with the copy inside order_json, reads the same."""
    from sqlalchemy import select, update

    from adapters.store import schema as s

    store, order = _log_order_check(db_url, policy, make_snapshot("C1"))
    with store.engine.begin() as conn:
        stored = conn.execute(select(s.decision_log.c.order_json)).scalar_one()

    assert "customer" not in json.loads(stored) and len(stored) < len(order.model_dump_json()) / 2
    [entry] = store.history("C1")
    assert entry.order is not None and entry.order.model_dump(mode="json") == order.model_dump(mode="json")
    assert (Replayer(store.policy_files).replay(entry).reproduces, entry.outcome) == (True, order.outcome)

    with store.engine.begin() as conn:  # as written before this change: the whole order decision
        conn.execute(update(s.decision_log).values(order_json=order.model_dump_json()))
    [old] = store.history("C1")
    assert old.order is not None and old.order.model_dump(mode="json") == order.model_dump(mode="json")
    assert Replayer(store.policy_files).replay(old).reproduces is True


def test_a_tampered_decision_does_not_replay_and_the_diff_names_the_field(
    db_url: str,
    policy,
    make_snapshot: Callable[..., CustomerSnapshot],  # type: ignore[no-untyped-def]
) -> None:
    from sqlalchemy import update

    from adapters.store import schema as s

    store = open_store(db_url)
    decision = _decide(store, policy, make_snapshot("C1"))
    forged = decision.model_copy(update={"credit_limit": decision.credit_limit + 1})
    with store.engine.begin() as conn:
        conn.execute(update(s.decision_log).values(decision_json=forged.model_dump_json()))

    result = Replayer(store.policy_files).replay(store.history("C1")[0])

    assert result.reproduces is False
    assert [d.split(":")[0] for d in result.diffs] == ["credit_limit"]


def test_a_message_worded_differently_still_reproduces_and_is_shown_as_wording(
    db_url: str,
    policy,
    make_snapshot: Callable[..., CustomerSnapshot],  # type: ignore[no-untyped-def]
) -> None:
    """Decisions logged before a release reworded a message ("Credit review every 1 months" became
    "... every month") replay as reproduced; the wording is reported apart, and a real change
    beside it still fails the replay."""
    from sqlalchemy import update

    from adapters.store import schema as s

    store = open_store(db_url)
    decision = _decide(store, policy, make_snapshot("C1"))
    review = next(i for i, a in enumerate(decision.actions) if a.code == "CREDIT_REVIEW")
    actions = list(decision.actions)
    actions[review] = actions[review].model_copy(update={"message": "Credit review every 1 months"})
    reworded = decision.model_copy(update={"actions": actions})
    with store.engine.begin() as conn:
        conn.execute(update(s.decision_log).values(decision_json=reworded.model_dump_json()))

    result = Replayer(store.policy_files).replay(store.history("C1")[0])

    assert (result.reproduces, result.diffs) == (True, [])
    assert result.wording == [
        f"actions[{review}].message: 'Credit review every 1 months' → {decision.actions[review].message!r}"
    ]

    forged = reworded.model_copy(update={"credit_limit": decision.credit_limit + 1})
    with store.engine.begin() as conn:
        conn.execute(update(s.decision_log).values(decision_json=forged.model_dump_json()))

    result = Replayer(store.policy_files).replay(store.history("C1")[0])

    assert result.reproduces is False
    assert [d.split(":")[0] for d in result.diffs] == ["credit_limit"]
    assert [d.split(":")[0] for d in result.wording] == [f"actions[{review}].message"]


def test_a_decision_whose_rule_files_were_not_recorded_cannot_be_replayed(
    db_url: str,
    policy,
    make_snapshot: Callable[..., CustomerSnapshot],  # type: ignore[no-untyped-def]
) -> None:
    store = open_store(db_url)
    snapshot = make_snapshot("C1")
    store.record_decision(snapshot, policy.evaluate(snapshot, as_of=AS_OF), source="cli")

    result = Replayer(store.policy_files).replay(store.history("C1")[0])

    assert result.reproduces is None and "not recorded" in result.note


def test_the_rule_files_of_a_version_are_kept_once(db_url: str) -> None:
    store = open_store(db_url)

    store.record_policy("v1", {"grades.yaml": "a: 1\n"})
    SqlStore(store.engine).record_policy("v1", {"grades.yaml": "changed\n"})

    assert store.policy_files("v1") == {"grades.yaml": "a: 1\n"}
    assert store.policy_files("v2") is None


def test_the_background_writer_logs_every_decision_by_close(
    db_url: str,
    policy,
    make_snapshot: Callable[..., CustomerSnapshot],  # type: ignore[no-untyped-def]
) -> None:
    store = open_store(db_url, background_audit=True)
    snapshot = make_snapshot("C1")
    decision = policy.evaluate(snapshot, as_of=AS_OF)

    for _ in range(50):
        store.record_decision(snapshot, decision, source="service")
    store.close()

    assert len(open_store(db_url).history("C1")) == 50


def test_an_unknown_source_is_refused(db_url: str, policy, make_snapshot: Callable[..., CustomerSnapshot]) -> None:  # type: ignore[no-untyped-def]
    store = open_store(db_url)
    snapshot = make_snapshot("C1")

    with pytest.raises(ValueError, match="source"):
        store.record_decision(snapshot, policy.evaluate(snapshot, as_of=AS_OF), source="somewhere")


def test_history_lists_a_customers_decisions_oldest_first_and_the_newest_n(
    db_url: str,
    policy,
    make_snapshot: Callable[..., CustomerSnapshot],  # type: ignore[no-untyped-def]
) -> None:
    store = open_store(db_url)
    for source in ("cli", "service", "batch"):
        _decide(store, policy, make_snapshot("C1"), source=source)
    _decide(store, policy, make_snapshot("C2"))

    assert [e.source for e in store.history("C1")] == ["cli", "service", "batch"]
    assert [e.source for e in store.history("C1", last=2)] == ["service", "batch"]
    assert store.history("nobody") == []


def test_a_batch_decision_with_a_portfolio_value_class_replays(
    db_url: str,
    policy,  # type: ignore[no-untyped-def]
    make_snapshot: Callable[..., CustomerSnapshot],
) -> None:
    store = open_store(db_url)
    snapshot = make_snapshot("C1")
    decision = policy.evaluate(snapshot, as_of=AS_OF).model_copy(update={"value_class": "A"})
    store.record_policy(policy)
    store.record_decisions([(snapshot, decision)], source="batch")

    [entry] = store.history("C1")
    result = Replayer(store.policy_files).replay(entry)

    assert (entry.decision.value_class, result.reproduces) == ("A", True)


def test_a_decision_made_on_a_snapshot_with_a_value_class_replays_from_that_class_alone(
    db_url: str,
    policy,  # type: ignore[no-untyped-def]
    make_snapshot: Callable[..., CustomerSnapshot],
) -> None:
    """Once the snapshot carries the class, the replay takes it from there: a logged decision whose class
    is not its snapshot's is a difference, no longer covered by carrying the logged class over."""
    store = open_store(db_url)
    snapshot = make_snapshot("C1").model_copy(update={"value_class": "A", "last_contact_on": date(2026, 10, 1)})
    decision = policy.evaluate(snapshot, as_of=AS_OF)
    store.record_policy(policy)
    store.record_decisions([(snapshot, decision), (snapshot, decision.model_copy(update={"value_class": "B"}))],
                           source="batch")

    honest, altered = (Replayer(store.policy_files).replay(e) for e in store.history("C1"))

    assert "follow.no_contact.class_a" in {a.rule_id for a in decision.actions}  # the class drove the rules
    assert honest.reproduces is True
    assert altered.reproduces is False and any("value_class" in d for d in altered.diffs)


def test_every_logged_decision_names_the_build_of_the_code_that_made_it(
    db_url: str,
    policy,
    make_snapshot: Callable[..., CustomerSnapshot],  # type: ignore[no-untyped-def]
) -> None:
    from policy_engine import __version__
    from policy_engine.build import build_id

    snapshot = make_snapshot("C1")
    decision = policy.evaluate(snapshot, as_of=AS_OF)
    store = open_store(db_url)
    store.record_decision(snapshot, decision, source="cli")
    store.record_decisions([(snapshot, decision)], source="batch")
    store.close()
    background = open_store(db_url, background_audit=True)
    background.record_decision(snapshot, decision, source="service")
    background.close()

    entries = open_store(db_url).history("C1")

    assert [(e.source, e.build) for e in entries] == [("cli", build_id()), ("batch", build_id()),
                                                      ("service", build_id())]
    assert build_id().startswith(f"{__version__}+")


def test_a_replay_that_differs_under_another_build_says_the_code_changed_since(
    db_url: str,
    policy,
    make_snapshot: Callable[..., CustomerSnapshot],  # type: ignore[no-untyped-def]
) -> None:
    """A replay on other code than logged the decision says so when the outcome differs (the code, not
    only the rules, may be why); when it reproduces, or when the same build logged it, there is nothing
    to say: a forged entry under the same build stays a plain NO."""
    from sqlalchemy import update

    from adapters.store import schema as s
    from policy_engine.build import build_id

    store = open_store(db_url)
    decision = _decide(store, policy, make_snapshot("C1"))
    [exact] = store.history("C1")
    forged = decision.model_copy(update={"credit_limit": decision.credit_limit + 1})
    with store.engine.begin() as conn:
        conn.execute(update(s.decision_log).values(decision_json=forged.model_dump_json()))
    [entry] = store.history("C1")

    same = Replayer(store.policy_files).replay(entry)
    other = Replayer(store.policy_files, current_build="0.1.0+000000000000").replay(entry)
    reproduced = Replayer(store.policy_files, current_build="0.1.0+000000000000").replay(exact)

    assert (same.reproduces, same.logged_build, same.current_build, same.build_note()) == (
        False, build_id(), build_id(), "")  # fmt: skip
    assert (other.reproduces, other.logged_build, other.current_build) == (False, build_id(), "0.1.0+000000000000")
    assert other.build_note() == (f"logged by build {build_id()}, now 0.1.0+000000000000: the code changed since, "
                                  "not only possibly the rules")
    assert (reproduced.reproduces, reproduced.build_note()) == (True, "")


def test_a_decision_given_the_rule_files_of_another_policy_version_is_refused_and_nothing_is_written(
        db_url: str, policy, make_snapshot: Callable[..., CustomerSnapshot]) -> None:  # type: ignore[no-untyped-def]
    store, snapshot = open_store(db_url), make_snapshot("C1")
    decision = policy.evaluate(snapshot, as_of=AS_OF)

    class OtherRules:
        version, files = "not-" + policy.version, {"grades.yaml": "a: 1\n"}

    with pytest.raises(ValueError, match="policy version"):
        store.record_decision(snapshot, decision, source="cli", policy=OtherRules())

    assert store.history("C1") == [] and store.policy_files(OtherRules.version) is None
    store.record_decision(snapshot, decision, source="cli", policy=policy)
    assert len(store.history("C1")) == 1 and store.policy_files(policy.version) == dict(policy.files)
    store.close()
