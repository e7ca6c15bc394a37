"""Decisions from the shipped pack: every rule kind, combined as the files say."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from policy_engine.api import Policy, load_policy
from policy_engine.domain.models import CustomerSnapshot, OrderRequest
from policy_engine.features import compute_features
from policy_engine.rules.compiler import compile_policy
from policy_engine.rules.loader import read_rule_files
from tests.many_rules import warnings_file

AS_OF = date(2026, 11, 22)
Data = Callable[[str], dict[str, Any]]


def _eval(policy: Policy, data: dict[str, Any], **kw: Any) -> Any:
    return policy.evaluate(CustomerSnapshot.model_validate(data), as_of=AS_OF, **kw)


def _order(policy: Policy, data: dict[str, Any], amount: str) -> Any:
    return policy.check_order(CustomerSnapshot.model_validate(data), OrderRequest(amount=amount), as_of=AS_OF)


def test_steady_customer_is_graded_by_score_bands_and_classed_a(policy: Policy, example_data: Data) -> None:
    decision = _eval(policy, example_data("steady-distributor"))

    assert (decision.grade, decision.grade_class) == ("AA", "A")
    assert 82 <= decision.score < 90
    assert decision.policy_version == policy.version


def test_limit_is_the_lower_of_months_of_purchases_and_share_of_net_worth(policy: Policy, example_data: Data) -> None:
    decision = _eval(policy, example_data("steady-distributor"))

    # AA: min(3.5 x 100,000 average monthly purchases, 25% x 6.5M net worth), rounded down to 1,000
    assert decision.credit_limit == Decimal("350000.00")
    assert decision.exposure == Decimal("100000.00")
    assert decision.available_credit == decision.credit_limit - decision.exposure
    assert decision.limit_valid_until == date(2027, 5, 22)


def test_class_a_is_reviewed_six_months_after_the_last_review(policy: Policy, example_data: Data) -> None:
    data = example_data("steady-distributor") | {"last_review_on": "2026-10-01"}

    review = next(a for a in _eval(policy, data).actions if a.code == "CREDIT_REVIEW")

    assert (review.due_on, review.severity, review.rule_id) == (date(2027, 4, 1), "info", "review.class_a")
    assert review.message.partition("; gather: ")[0] == "Credit review every 6 months"


def test_staff_assessment_is_blended_into_the_score(policy: Policy, example_data: Data) -> None:
    data = example_data("steady-distributor")
    high = _eval(
        policy,
        data | {"assessment": dict.fromkeys(("character", "capacity", "capital", "collateral", "conditions"), 100)},
    )
    low = _eval(
        policy,
        data | {"assessment": dict.fromkeys(("character", "capacity", "capital", "collateral", "conditions"), 0)},
    )

    assert round(high.score - low.score, 1) == 40.0  # staff_assessment_weight 0.4 of a 0-100 range


def test_new_customer_starts_in_class_c_with_monthly_reviews(policy: Policy, example_data: Data) -> None:
    decision = _eval(policy, example_data("new-customer"))

    assert decision.grade_class == "C"
    assert {r.rule_id for r in decision.reasons} >= {"start.new_customer", "review.class_c", "limit.ccc"}
    review = next(a for a in decision.actions if a.code == "CREDIT_REVIEW")
    assert review.message.partition("; gather: ")[0] == "Credit review every month"  # not "every 1 months"


def test_warning_signs_take_notches_off_and_their_effects_combine(policy: Policy, example_data: Data) -> None:
    data = example_data("steady-distributor")
    data["signals"] = [
        {"code": c, "observed_on": "2026-11-01"} for c in ("bulk_returns", "staff_resignations", "bill_discounting")
    ]

    decision = _eval(policy, data)

    assert decision.grade == "BB"  # AA minus three notches (sum, capped at four)
    assert {"warn.business_changes", "warn.staff_changes", "warn.funding_strain"} <= {
        r.rule_id for r in decision.reasons
    }


def _band_message(decision: Any) -> str:
    return next(r.message for r in decision.reasons if r.code == "GRADE_BAND")


def test_the_band_reason_says_how_warning_signs_moved_the_grade(policy: Policy, example_data: Data) -> None:
    data = example_data("steady-distributor")
    plain = _eval(policy, data)
    data["signals"] = [
        {"code": c, "observed_on": "2026-11-01"} for c in ("bulk_returns", "staff_resignations", "bill_discounting")
    ]

    moved = _eval(policy, data)

    assert plain.grade == "AA" and ", " not in _band_message(plain)  # not moved: the band's words alone
    assert _band_message(moved).endswith(": band grade AA, 3 notches down to BB by warning signs")


def test_the_band_reason_says_when_a_cap_set_the_grade(policy: Policy, example_data: Data) -> None:
    decision = _eval(policy, example_data("bank-distress"))

    assert decision.grade == "C"
    assert "capped at C by" in _band_message(decision)


def test_serious_warning_brings_the_review_to_today_and_cuts_the_limit(policy: Policy, example_data: Data) -> None:
    decision = _eval(
        policy, example_data("past-due") | {"signals": [{"code": "avoiding_creditors", "observed_on": "2026-11-01"}]}
    )

    codes = {a.code: a for a in decision.actions}
    assert decision.next_review_on == AS_OF
    assert codes["CREDIT_REVIEW"].severity == "urgent"
    assert {"REDUCE_LIMIT", "REQUEST_COLLATERAL", "HOLD_ORDERS", "COLLECTION_REMINDER"} <= set(codes)


def test_bank_distress_caps_the_grade_at_c_with_no_credit(policy: Policy, example_data: Data) -> None:
    decision = _eval(policy, example_data("bank-distress"))

    assert (decision.grade, decision.credit_limit) == ("C", Decimal("0.00"))


def test_reasons_carry_the_evidence_the_rule_saw(policy: Policy, example_data: Data) -> None:
    decision = _eval(policy, example_data("past-due"))

    hold = next(r for r in decision.reasons if r.rule_id == "warn.overdue_hold")
    assert hold.code == "OVERDUE_HOLD" and hold.evidence == {"overdue_count": 1}


def test_collection_reminder_per_open_invoice_whose_lead_time_has_come(policy: Policy, example_data: Data) -> None:
    data = example_data("steady-distributor")
    data["invoices"] += [
        {
            "invoice_id": "SHORT",
            "issued_on": "2026-10-24",
            "due_on": "2026-11-23",
            "amount": "10.00",
            "payment_term_days": 30,
        },
        {
            "invoice_id": "SHORT-LATER",
            "issued_on": "2026-10-30",
            "due_on": "2026-11-29",
            "amount": "10.00",
            "payment_term_days": 30,
        },
        {
            "invoice_id": "LONG",
            "issued_on": "2026-09-03",
            "due_on": "2026-12-02",
            "amount": "10.00",
            "payment_term_days": 90,
        },
    ]

    reminders = {a.target_id: a for a in _eval(policy, data).actions if a.code == "COLLECTION_REMINDER"}

    assert set(reminders) == {"SHORT", "LONG"}  # 1 day before due (lead 2) and 10 days before (lead 14)
    assert reminders["LONG"].rule_id == "collect.long_term"


def test_a_reminder_shows_the_open_amount_with_two_decimals_and_says_one_day_not_one_days(policy: Policy) -> None:
    # The order desk reads the message beside the decision's amounts, which always have two places.
    data = {"customer_id": "R1", "invoices": [
        {"invoice_id": "HALF", "issued_on": "2026-10-01", "due_on": "2026-10-31", "amount": "3000",
         "paid_amount": "1000.5"},
        {"invoice_id": "DAY", "issued_on": "2026-10-22", "due_on": "2026-11-21", "amount": "500.125"},
    ]}

    reminders = {a.target_id: a.message for a in _eval(policy, data).actions if a.code == "COLLECTION_REMINDER"}

    assert "(1999.50), 22 days overdue" in reminders["HALF"]
    assert reminders["DAY"].endswith("(500.125), 1 day overdue")


def test_follow_ups_for_never_contacted_and_never_bought(policy: Policy) -> None:
    decision = _eval(policy, {"customer_id": "P1"})

    follow = {a.rule_id for a in decision.actions if a.code == "FOLLOW_UP"}
    assert follow == {"follow.never_contacted", "follow.never_bought"}


def test_the_decision_carries_the_snapshots_value_class(policy: Policy, example_data: Data) -> None:
    data = example_data("steady-distributor")

    assert _eval(policy, data | {"value_class": "B"}).value_class == "B"
    assert _eval(policy, data).value_class == ""


def test_a_value_class_not_computed_matches_no_comparison_only_exists_false(
    rules_copy: Callable[..., Path], example_data: Data,
) -> None:
    rules = rules_copy(("follow_ups.yaml", "when: {never_bought: true}", "when: {value_class: {ne: A}}"),
                       ("follow_ups.yaml", "when: {never_contacted: true}", "when: {value_class: {exists: false}}"))
    policy = load_policy(rules)
    data = example_data("steady-distributor")

    fired = {c: {a.rule_id for a in _eval(policy, data | {"value_class": c}).actions} for c in ("A", "B", "")}

    assert "follow.never_bought" not in fired["A"] and "follow.never_bought" in fired["B"]
    assert "follow.never_bought" not in fired[""]  # unknown is not "other than A"
    assert {c for c in fired if "follow.never_contacted" in fired[c]} == {""}


def test_order_outcomes(policy: Policy, example_data: Data) -> None:
    steady = example_data("steady-distributor")

    assert _order(policy, steady, "50000").outcome == "APPROVE"
    assert _order(policy, steady, "900000").outcome == "SPECIAL_APPROVAL"
    assert _order(policy, example_data("past-due"), "10").outcome == "HOLD"
    assert _order(policy, example_data("bank-distress"), "10").outcome == "REJECT"


def test_available_credit_after_the_order(policy: Policy, example_data: Data) -> None:
    decision = _order(policy, example_data("steady-distributor"), "900000")

    assert decision.available_credit_after == decision.customer.available_credit - Decimal("900000")
    assert decision.reasons[0].evidence == {"available_credit_after": Decimal("-650000.00")}


def _with_open_order(data: dict[str, Any], order_id: str, amount: str, on: str = "2026-11-20") -> dict[str, Any]:
    order = {"order_id": order_id, "ordered_on": on, "amount": amount, "status": "open"}
    return data | {"orders": [*data["orders"], order]}


def test_an_order_the_snapshot_already_holds_as_open_is_counted_once(policy: Policy, example_data: Data) -> None:
    """An order taken into the ERP (open, so in the exposure) and then checked before it ships was
    counted twice: 100,000 of credit left with the order recorded, and its own check said -50,000."""
    recorded = CustomerSnapshot.model_validate(_with_open_order(example_data("steady-distributor"), "SO-9", "150000"))

    again = policy.check_order(recorded, OrderRequest(order_id="SO-9", amount="150000"), as_of=AS_OF)
    amended = policy.check_order(recorded, OrderRequest(order_id="SO-9", amount="210000"), as_of=AS_OF)
    another = policy.check_order(recorded, OrderRequest(order_id="SO-10", amount="150000"), as_of=AS_OF)

    assert (again.customer.exposure, again.customer.available_credit) == (Decimal("250000.00"), Decimal("100000.00"))
    assert (again.outcome, again.available_credit_after) == ("APPROVE", Decimal("100000.00"))
    assert amended.available_credit_after == Decimal("40000.00")  # at the amount asked, not the recorded one
    assert (another.outcome, another.available_credit_after) == ("SPECIAL_APPROVAL", Decimal("-50000.00"))


def test_an_open_order_after_as_of_is_not_taken_back_out_of_the_exposure(policy: Policy, example_data: Data) -> None:
    """Orders after as_of are not in the exposure, so checking one of them subtracts it once, as any order."""
    later = CustomerSnapshot.model_validate(
        _with_open_order(example_data("steady-distributor"), "SO-9", "150000", on="2026-11-30"))

    check = policy.check_order(later, OrderRequest(order_id="SO-9", amount="150000"), as_of=AS_OF)

    assert check.customer.available_credit == Decimal("250000.00")
    assert (check.outcome, check.available_credit_after) == ("APPROVE", Decimal("100000.00"))


def test_amounts_in_a_decision_read_alike_with_at_least_two_decimal_places(policy: Policy) -> None:
    """Exposure summed from nothing was "0" beside a limit of "80000.00", and available_credit_after
    took the order amount's scale ("-1000" for an order of "1000" with no credit)."""
    fresh = policy.check_order(CustomerSnapshot.model_validate({"customer_id": "P1"}), OrderRequest(amount="1000"),
                               as_of=AS_OF)
    finer = policy.check_order(
        CustomerSnapshot.model_validate({"customer_id": "P2", "invoices": [
            {"invoice_id": "I1", "issued_on": "2026-11-01", "due_on": "2026-12-01", "amount": "10.125"}]}),
        OrderRequest(amount="0.5"), as_of=AS_OF)

    texts = [fresh.model_dump(mode="json")["available_credit_after"],
             *(fresh.model_dump(mode="json")["customer"][k] for k in ("exposure", "available_credit", "credit_limit"))]
    assert all(t.split(".")[1:] and len(t.split(".")[1]) == 2 for t in texts), texts
    assert fresh.customer.exposure == 0 and str(fresh.customer.exposure) == "0.00"
    assert str(finer.customer.exposure) == "10.125"  # finer input is kept as sent
    assert str(finer.available_credit_after) == str(finer.customer.available_credit - Decimal("0.5"))


def test_explain_traces_every_rule(policy: Policy, example_data: Data) -> None:
    decision = _eval(policy, example_data("steady-distributor"), explain=True)

    assert [t.rule_id for t in decision.trace] == policy.rule_ids
    band = next(t for t in decision.trace if t.rule_id == "grade.aa")
    assert band.fired and band.inputs == {"score": decision.score}


def test_priority_hit_policy_picks_the_highest_priority_step(
    rules_copy: Callable[..., Path], example_data: Data
) -> None:
    rules = rules_copy(
        ("orders.yaml", "\nhit: first", "\nhit: priority"),
        ("orders.yaml", "    outcome: SPECIAL_APPROVAL", "    outcome: SPECIAL_APPROVAL\n    priority: 10"),
    )
    policy = load_policy(rules)
    data = example_data("past-due")

    assert _order(policy, data, "10000000").outcome == "SPECIAL_APPROVAL"
    assert _order(policy, data, "10").outcome == "HOLD"


def test_as_of_defaults_to_today(policy: Policy, example_data: Data) -> None:
    decision = policy.evaluate(CustomerSnapshot.model_validate(example_data("steady-distributor")))

    assert decision.as_of == date.today()


def test_decisions_built_without_validation_validate_to_themselves(policy: Policy, example_data: Data) -> None:
    from policy_engine.domain.models import OrderDecision

    order = _order(policy, example_data("past-due"), "1000")

    assert OrderDecision.model_validate(order.model_dump()) == order
    as_json = order.model_dump(mode="json")
    assert OrderDecision.model_validate_json(order.model_dump_json()).model_dump(mode="json") == as_json


def test_not_signal_matches_customers_without_that_sign(rules_copy: Callable[..., Path], example_data: Data) -> None:
    rules = rules_copy(("follow_ups.yaml", "when: {never_bought: true}", "when: {not: {signal: bad_rumours}}"))
    policy = load_policy(rules)
    data = example_data("steady-distributor")
    rumours = data | {"signals": [{"code": "bad_rumours", "observed_on": "2026-11-01"}]}

    assert "follow.never_bought" in {a.rule_id for a in _eval(policy, data).actions}
    assert "follow.never_bought" not in {a.rule_id for a in _eval(policy, rumours).actions}


def test_a_nearly_debt_free_company_is_scored_on_its_ratios(policy: Policy, example_data: Data) -> None:
    # 20 of liabilities on 10M of assets: debt ratio 0.000002, which the facts' encoder writes 2e-6.
    # durable_rules used to lose that property (and the rest of the fact after it): no capacity or
    # capital row fired, the factors fell to their default points, and the company came out BB.
    data = example_data("steady-distributor")
    data["financials"][-1].update(total_liabilities="20.00", current_liabilities="20.00")

    decision = _eval(policy, data, explain=True)

    fired = {r.rule_id for r in decision.reasons}
    assert {"score.capital.strong", "score.capacity.strong"} <= fired
    assert decision.grade == "AA" and decision.score >= 86


def test_a_policy_built_from_its_program_bytes_decides_exactly_as_the_compiled_one() -> None:
    """What the service's serving processes do on a reload: build the engine from the program a child
    compiled (policy_engine.api.program_bytes), without reading the files again."""
    from policy_engine.api import policy_from_program, program_bytes
    from policy_engine.synthetic import portfolio

    as_of = date(2026, 11, 22)
    compiled = load_policy()
    rebuilt = policy_from_program(program_bytes(compiled))
    try:
        assert (rebuilt.version, rebuilt.rule_ids, rebuilt.files) == (compiled.version, compiled.rule_ids,
                                                                      compiled.files)
        order = OrderRequest(amount=Decimal("25000"))
        for snapshot in portfolio(120, as_of):
            a, b = compiled.check_order(snapshot, order, as_of=as_of), rebuilt.check_order(snapshot, order, as_of=as_of)
            assert a.model_dump() == b.model_dump(), snapshot.customer_id
    finally:
        compiled.close()
        rebuilt.close()


def _features(policy: Policy, data: dict[str, Any]) -> dict[str, Any]:
    return compute_features(CustomerSnapshot.model_validate(data), AS_OF, policy.program.settings)


def test_the_customer_stage_is_a_fact_per_kind_each_carrying_only_what_its_rules_read(policy: Policy,
                                                                                      example_data: Data) -> None:
    facts = policy._facts("customer", _features(policy, example_data("bank-distress")))

    read = {fact: {policy.program.engine_keys[n] for r in policy.program.rules if r.fact == fact for n in r.fields}
            for fact in ("customer.follow_up", "customer.score_row", "customer.warning")}
    assert [(f["id"], f["_f"]) for f in facts] == [(0, "customer.follow_up"), (1, "customer.score_row"),
                                                   (2, "customer.warning")]
    assert all(set(f) - {"id", "_f"} <= read[f["_f"]] for f in facts)
    assert {r.stage for r in policy.program.rules if r.fact.startswith("customer.")} == {"customer"}


def test_customer_rules_fire_in_file_order_across_their_kinds(example_data: Data) -> None:
    files = read_rule_files(Path("rules"))
    files["a_warnings.yaml"] = warnings_file(1)  # a warning sign before every follow-up and scorecard row
    early = compile_policy(files, "rules")
    data = example_data("bank-distress")
    snapshot, features = CustomerSnapshot.model_validate(data), {**_features(early, data), "dbt_open_max": 100}

    fired = [r for r in early._evaluate(snapshot, AS_OF, features).fired if r.stage == "customer"]
    early.close()

    assert fired[0].id == "many.r0"
    assert [r.order for r in fired] == sorted(r.order for r in fired)
    assert {"warning", "score_row"} <= {r.kind for r in fired}  # their facts: ids 2 and 1
