"""The snapshot model refuses malformed input and names the field path."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from policy_engine.domain.amounts import refused_amount
from policy_engine.domain.dates import refused_date
from policy_engine.domain.errors import violations_from
from policy_engine.domain.models import CustomerSnapshot, OrderRequest
from policy_engine.domain.value_schemas import IsoDate, Money, SignedMoney
from policy_engine.domain.values import (
    NOT_A_DECIMAL,
    SIGNAL_CODES,
    parse_decimal,
    parse_iso_date,
    parse_money,
)


def _violations(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        CustomerSnapshot.model_validate(data)
    return {v.field: v.description for v in violations_from(info.value)}


def _invoice(**overrides: Any) -> dict[str, Any]:
    return {"invoice_id": "I1", "issued_on": "2026-01-01", "due_on": "2026-01-31", "amount": "100.00", **overrides}


def test_bad_decimal_names_the_invoice_field() -> None:
    invoices = [_invoice(invoice_id=f"I{n}") for n in range(3)] + [_invoice(invoice_id="I3", amount="12,5")]
    found = _violations({"customer_id": "C", "invoices": invoices})

    # a decimal comma: its reading named as such, not 125 as its digits run together
    assert found == {"invoices[3].amount": f"{NOT_A_DECIMAL}: '12,5'; write 12.5 if the comma is a decimal point"}


@pytest.mark.parametrize(("amount", "hint"), [("12.1234567", "; 7 decimal places, at most 6"),
                                              ("12345678901234567", ""), (".5", ""), ("1,000.00", "; write 1000.00"),
                                              ("1e3", "; write 1000")])
def test_a_bad_decimal_says_what_a_decimal_looks_like(amount: str, hint: str) -> None:
    """"12.1234567" (seven places) or seventeen digits are decimals to a caller; "not a decimal"
    alone left them guessing what was wrong."""
    found = _violations({"customer_id": "C", "invoices": [_invoice(amount=amount)]})

    assert found == {"invoices[0].amount": f"{NOT_A_DECIMAL}: {amount!r}{hint}"}
    assert '"125000.00"' in NOT_A_DECIMAL and "16" in NOT_A_DECIMAL and "6" in NOT_A_DECIMAL.replace("16", "")


@pytest.mark.parametrize(("field", "value", "said"), [
    ("payment_term_days", "30 days", "'30 days'; write 30 (\"payment_term_days\" is counted in days: no unit is "
                                     "written)"),
    ("payment_term_days", "30天", "'30天'; write 30 (\"payment_term_days\" is counted in days: no unit is written)"),
    ("payment_term_days", "1 month", "'1 month'; write a whole number: no unit is written"),
    ("due_date_changes", "1\u00a0000", "'1\\xa0000'; write 1000"),
    ("due_date_changes", "1,5", "'1,5'"),  # 1.5 is no whole number: nothing to suggest, not 15
    ("due_date_changes", "two", "'two'"),
    ("due_date_changes", 2.5, "2.5"),
])
def test_a_bad_whole_number_echoes_the_value_and_says_what_to_write(field: str, value: Any, said: str) -> None:
    """Each said `not an integer` alone: not the value, not the 30 of `30 days`, in a snapshot file or a case."""
    found = _violations({"customer_id": "C", "invoices": [_invoice(**{field: value})]})

    assert found == {f"invoices[0].{field}": f"not an integer: {said}"}


def test_a_5c_score_written_as_a_percentage_says_the_number_out_of_100() -> None:
    assessment = {"character": "80%", "capacity": 50, "capital": 50, "collateral": 50, "conditions": "50%",
                  "assessed_on": "2026-01-01"}

    found = _violations({"customer_id": "C", "assessment": assessment})

    assert found == {f"assessment.{name}": f"not an integer: '{v}'; write {v[:-1]} (a score is out of 100: no % sign)"
                     for name, v in (("character", "80%"), ("conditions", "50%"))}


def test_binary_float_money_is_refused_with_a_hint() -> None:
    found = _violations({"customer_id": "C", "invoices": [_invoice(amount=100.5)]})

    assert "decimal string" in found["invoices[0].amount"]


def test_unknown_signal_code_is_an_error_not_a_silent_skip() -> None:
    found = _violations({"customer_id": "C", "signals": [{"code": "aliens_landed", "observed_on": "2026-01-01"}]})

    assert "unknown signal code" in found["signals[0].code"]


@pytest.mark.parametrize(("code", "meant"), [
    ("bank_acount_frozen", "'bank_account_frozen'"),
    ("BILL_DISHONOURED", "'bill_dishonoured'"),
    ("supplier switch", "'supplier_switch'"),
    ("rumours", "'bad_rumours'"),
    ("bill_dishonored", "'bill_dishonoured'"),
])
def test_an_unknown_signal_code_suggests_the_known_codes_closest_to_it(code: str, meant: str) -> None:
    """"unknown signal code 'bank_acount_frozen'" left the caller to find the vocabulary in CONTRACT.md."""
    found = _violations({"customer_id": "C", "signals": [{"code": code, "observed_on": "2026-01-01"}]})

    assert found == {"signals[0].code": f"unknown signal code {code!r}; did you mean {meant}?"}


def test_an_unknown_signal_code_with_no_known_code_close_to_it_lists_them_all() -> None:
    found = _violations({"customer_id": "C", "signals": [{"code": "aliens_landed", "observed_on": "2026-01-01"}]})

    assert found == {"signals[0].code": "unknown signal code 'aliens_landed'; expected one of: "
                                        + ", ".join(SIGNAL_CODES)}


def test_a_long_unknown_signal_code_is_repeated_cut_short_without_a_guess() -> None:
    found = _violations({"customer_id": "C", "signals": [{"code": "x" * 10_000, "observed_on": "2026-01-01"}]})

    assert found["signals[0].code"].startswith(f"unknown signal code {'x' * 64 + '…'!r}; expected one of: ")


@pytest.mark.parametrize(("field", "value", "hint"), [
    ("size", "Medium", "did you mean 'medium'?"),
    ("current_grade", "aa", "did you mean 'AA'?"),
    ("value_class", "a", "did you mean 'A'?"),
    ("currency", "cny", "did you mean 'CNY'?"),
    ("currency", "RMB", "did you mean 'CNY'?"),
])
def test_a_value_outside_its_closed_set_by_case_or_name_says_which_one_was_meant(
    field: str, value: str, hint: str,
) -> None:
    found = _violations({"customer_id": "C", field: value})

    assert found[field].endswith(f"; {hint}")


@pytest.mark.parametrize(("status", "hint"), [("opened", "; did you mean 'open'?"), ("opne", "")])
def test_an_order_status_close_to_one_of_its_values_says_which_one_was_meant(status: str, hint: str) -> None:
    """"opne" is as close to "done" as to "open": naming both would tell nothing the list does not."""
    order = {"order_id": "O1", "ordered_on": "2026-01-01", "amount": "1", "status": status}

    found = _violations({"customer_id": "C", "orders": [order]})

    assert found == {"orders[0].status": "Input should be 'open' or 'done'" + hint}


def test_a_required_value_sent_empty_says_required_not_malformed() -> None:
    """proto3 sends "" for a field left out: "not a decimal" / "String should have at least 1 character"
    sent the caller looking for a typo in a value it never sent."""
    invoice = _invoice(invoice_id=" ", issued_on="", amount="")

    found = _violations({"customer_id": "", "invoices": [invoice], "signals": [{"code": "", "observed_on": ""}]})

    assert found == {
        "customer_id": "required",
        "invoices[0].invoice_id": "required",
        "invoices[0].issued_on": "required: an ISO date (YYYY-MM-DD)",
        "invoices[0].amount": 'required: a decimal such as "125000.00": 1 to 16 digits, optionally "." and 1 to 6 more',
        "signals[0].code": "required; expected one of: " + ", ".join(SIGNAL_CODES),
        "signals[0].observed_on": "required: an ISO date (YYYY-MM-DD)",
    }


@pytest.mark.parametrize("code", ["EUD", "ABC", "HRK", "CN", "CNYY", "ＣＮＹ"])
def test_a_currency_must_be_an_iso_4217_code_in_use(code: str) -> None:
    """Any three capital letters used to pass: a typo (EUD), a made-up code, or one withdrawn (HRK, 2023).
    No guess for these: the codes difflib finds close to a typo are other currencies (EUD → VED)."""
    found = _violations({"customer_id": "C", "currency": code})

    assert found == {"currency": "not an ISO 4217 currency code in use (three capital letters such as CNY, EUR, USD)"}


@pytest.mark.parametrize("code", ["CNY", "EUR", "USD", "JPY", "CHF", "XAF", "XOF", "XCD", "XPF", "ZWG", "VED"])
def test_currencies_in_use_are_taken(code: str) -> None:
    assert CustomerSnapshot.model_validate({"customer_id": "C", "currency": code}).currency == code


@pytest.mark.parametrize(("code", "meant"), [("XXX", "no currency"), ("xxx", "no currency"), ("XTS", "testing")])
def test_iso_s_codes_that_name_no_money_are_refused_saying_what_they_mean(code: str, meant: str) -> None:
    """XXX (ISO 4217's "no currency") and XTS (its testing code) were taken: a limit decided in no money; "not a
    code in use" would mislead, as both are ISO codes."""
    found = _violations({"customer_id": "C", "currency": code})

    assert found == {"currency": f"{code.upper()} is ISO 4217's code for {meant}: a customer's limit and amounts are "
                                 "in a currency; send its code, such as CNY"}


@pytest.mark.parametrize(("code", "meant"), [
    ("XAU", "gold (a troy ounce), a commodity"), ("xag", "silver (a troy ounce), a commodity"),
    ("XPD", "palladium (a troy ounce), a commodity"), ("XPT", "platinum (a troy ounce), a commodity"),
    ("XBA", "a bond markets unit (EURCO), a unit of account"),
    ("XBD", "a bond markets unit (E.U.A.-17), a unit of account"),
    ("XDR", "the IMF's special drawing right, a unit of account"),
    ("XSU", "the SUCRE, a unit of account between central banks"),
    ("XUA", "the African Development Bank's unit of account")])
def test_iso_s_metals_and_units_of_account_are_refused_as_no_money_a_limit_is_kept_in(code: str, meant: str) -> None:
    """They were taken, so a limit was decided in ounces of gold or in SDRs, which no customer pays invoices in."""
    found = _violations({"customer_id": "C", "currency": code})

    assert found == {"currency": f"{code.upper()} is ISO 4217's code for {meant}: a customer's limit and amounts are "
                                 "in a currency; send its code, such as CNY"}


def test_every_iso_x_code_is_money_or_refused_by_name() -> None:
    """A code pycountry adds under X (a new unit of account) is decided here, not taken by default."""
    from policy_engine.domain.values import ISO_4217, NOT_MONEY, _iso_4217

    assert {c for c in _iso_4217() if c.startswith("X")} - set(NOT_MONEY) == {"XAF", "XCD", "XCG", "XOF", "XPF"}
    assert not set(NOT_MONEY) & ISO_4217


def test_the_currency_list_read_from_pycountry_s_file_is_pycountry_s_list(monkeypatch: pytest.MonkeyPatch,
                                                                          tmp_path: Any) -> None:
    """The list is read from pycountry's data file without importing pycountry (its import costs every process
    ~25 ms); it must be the list pycountry gives, and a release that moved the file must still give it."""
    import importlib.machinery
    import importlib.util

    import pycountry

    from policy_engine.domain.values import _iso_4217

    expected = frozenset(c.alpha_3 for c in pycountry.currencies)
    assert _iso_4217() == expected and {"CNY", "EUR", "USD"} <= expected
    moved = importlib.machinery.ModuleSpec("pycountry", None, is_package=True)
    moved.submodule_search_locations = [str(tmp_path)]
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: moved)
    assert _iso_4217() == expected


@pytest.mark.parametrize("value", ["2026-13-01", "01/02/2026", "2026-1-1", 20260101, "99999-01-01", "2026-W01-1",
                                   "20260101T0"])
def test_dates_must_be_iso(value: Any) -> None:
    found = _violations({"customer_id": "C", "last_contact_on": value})

    assert "last_contact_on" in found


def test_a_value_class_is_a_b_c_or_empty_for_not_computed() -> None:
    found = _violations({"customer_id": "C", "value_class": "D"})

    assert list(found) == ["value_class"]
    assert [CustomerSnapshot.model_validate({"customer_id": "C", "value_class": v}).value_class
            for v in ("A", "B", "C", "")] == ["A", "B", "C", ""]
    assert CustomerSnapshot(customer_id="C").value_class == ""


def test_unknown_fields_are_refused() -> None:
    found = _violations({"customer_id": "C", "credit_score": 7})

    assert found == {"credit_score": "unknown field"}


def test_list_sizes_are_bounded() -> None:
    signals = [{"code": "low_morale", "observed_on": "2026-01-01"}] * 1001

    found = _violations({"customer_id": "C", "signals": signals})

    assert "signals" in found


def test_incoherent_invoice_is_refused_at_the_field_to_fix_naming_what_it_was_compared_with() -> None:
    found = _violations({"customer_id": "C", "invoices": [_invoice(paid_amount="200.00")]})

    assert list(found) == ["invoices[0].paid_amount"]
    assert found["invoices[0].paid_amount"].startswith("paid_amount 200.00 ")
    assert found["invoices[0].paid_amount"].endswith(" amount 100.00")


def test_every_incoherent_field_of_an_invoice_is_named_at_once() -> None:
    # Was `invoices[1]: due_on is before issued_on` alone: the caller learnt of paid_amount and paid_on later.
    bad = _invoice(invoice_id="I2", issued_on="2026-02-01", due_on="2026-01-31", paid_amount="200.00",
                   paid_on="2026-01-01")

    found = _violations({"customer_id": "C", "invoices": [_invoice(), bad]})

    assert sorted(found) == ["invoices[1].due_on", "invoices[1].paid_amount", "invoices[1].paid_on"]
    assert found["invoices[1].due_on"].startswith("due_on 2026-01-31 ")
    assert found["invoices[1].paid_on"].startswith("paid_on 2026-01-01 ")
    assert found["invoices[1].paid_on"].endswith(" issued_on 2026-02-01")


def test_an_incoherent_invoice_keeps_the_error_type_importers_report() -> None:
    with pytest.raises(ValidationError) as info:
        CustomerSnapshot.model_validate({"customer_id": "C", "invoices": [_invoice(due_on="2025-12-31")]})

    assert [(e["type"], e["loc"]) for e in info.value.errors()] == [("value_error", ("invoices", 0, "due_on"))]


@pytest.mark.parametrize("char", ["\x00", "\n", "\x7f", "\x85", "\x9b", "\u200b", "\u200d", "\u200e", "\u2028",
                                  "\u202e", "\u2066", "\ufeff"])
def test_ids_may_not_hold_control_or_invisible_formatting_characters(char: str) -> None:
    # Two ids that print alike must be the same id (a bidi override or a zero-width space would not show).
    found = _violations({"customer_id": f"C{char}1", "invoices": [_invoice(invoice_id=f"I{char}1")]})

    assert set(found) == {"customer_id", "invoices[0].invoice_id"}
    assert "invisible formatting character" in found["customer_id"]


def test_ids_in_any_script_are_taken() -> None:
    assert CustomerSnapshot.model_validate({"customer_id": "客户-١٢٣-Ж"}).customer_id == "客户-١٢٣-Ж"


def test_a_payment_before_the_invoice_was_issued_is_refused() -> None:
    found = _violations({"customer_id": "C", "invoices": [
        _invoice(), _invoice(invoice_id="I2", paid_amount="100.00", paid_on="2025-12-31")]})

    assert list(found) == ["invoices[1].paid_on"] and "issued_on 2026-01-01" in found["invoices[1].paid_on"]


def test_the_same_invoice_or_order_twice_is_refused_naming_both() -> None:
    # Counted twice it would double the exposure and the purchases the limit is made from.
    invoices = [_invoice(), _invoice(invoice_id="I2"), _invoice(invoice_id="I1", issued_on="2026-01-02")]
    orders = [{"order_id": "O1", "ordered_on": "2026-01-01", "amount": "5.00", "status": "open"}] * 2

    assert _violations({"customer_id": "C", "invoices": invoices}) == {
        "invoices[2].invoice_id": "invoices[0] and invoices[2] have the same id 'I1'"}
    assert _violations({"customer_id": "C", "orders": orders}) == {
        "orders[1].order_id": "orders[0] and orders[1] have the same id 'O1'"}


def test_every_repeated_invoice_and_order_id_is_named_at_once_by_the_id_a_caller_sent() -> None:
    # One answer names them all: a caller fixing the first duplicate would otherwise learn of the next one later.
    invoices = [_invoice(), _invoice(), _invoice(invoice_id="I2"), _invoice()]
    orders = [{"order_id": "O1", "ordered_on": "2026-01-01", "amount": "5.00"}] * 2

    found = _violations({"customer_id": "C", "invoices": invoices, "orders": orders})

    assert set(found) == {"invoices[1].invoice_id", "invoices[3].invoice_id", "orders[1].order_id"}
    assert "invoices[0] and invoices[3]" in found["invoices[3].invoice_id"]


def test_money_is_exact_and_serialised_as_a_string() -> None:
    snap = CustomerSnapshot.model_validate({"customer_id": "C", "invoices": [_invoice(amount="0.10")]})

    assert snap.model_dump(mode="json")["invoices"][0]["amount"] == "0.10"


def test_negative_order_amount_is_refused() -> None:
    with pytest.raises(ValidationError):
        OrderRequest(amount="-5")


def test_totals_that_would_overflow_the_money_bound_are_refused() -> None:
    big = "900000000000000.00"
    orders = [{"order_id": "o", "ordered_on": "2026-01-01", "amount": big, "status": "open"}]

    found = _violations({"customer_id": "C", "invoices": [_invoice(amount=big)], "orders": orders})

    assert "exceed" in found[""]


# ---- the native (pydantic-core) schemas of Money, SignedMoney and IsoDate agree with the reference parsers ----

_ANY_VALUE = st.one_of(
    st.text(alphabet="0123456789.-+eE_ ,١", max_size=24),
    st.from_regex(r"-?[0-9]{1,18}(\.[0-9]{0,8})?", fullmatch=True),
    st.integers(min_value=-(10**17), max_value=10**17),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
    st.dates(min_value=date(1, 1, 1)),
    st.datetimes(),
    st.from_regex(r"[0-9]{3,5}-[0-9]{1,2}-[0-9]{1,2}", fullmatch=True),
    st.dates().map(date.isoformat),
)


def _reference(parse: Any, value: Any) -> tuple[str, Any]:
    try:
        return "ok", parse(value)
    except ValueError as exc:  # a refused date or amount, in the words every entry point gives it (value, hint)
        return "error", (refused_date if parse is parse_iso_date else refused_amount)(value, str(exc))


def _native(model: type[BaseModel], value: Any) -> tuple[str, Any]:
    try:
        return "ok", model.model_validate({"v": value}).v  # type: ignore[attr-defined]
    except ValidationError as exc:
        messages = [v.description for v in violations_from(exc)]
        assert len(messages) == 1, messages
        return "error", messages[0]


class _MoneyModel(BaseModel):
    v: Money


class _SignedModel(BaseModel):
    v: SignedMoney


class _DateModel(BaseModel):
    v: IsoDate


@settings(max_examples=400, deadline=None)
@given(_ANY_VALUE)
# date.fromisoformat (3.11) also reads week dates and basic forms; year 0000 it cannot hold at all
@example("2026-W01-1")
@example("2026010100")
@example("0001010100")
@example("0000-01-01")
@example("0000-13-01")
def test_native_schemas_accept_refuse_and_explain_exactly_as_the_reference_parsers(value: Any) -> None:
    for parse, model in ((parse_money, _MoneyModel), (parse_decimal, _SignedModel), (parse_iso_date, _DateModel)):
        expected, got = _reference(parse, value), _native(model, value)
        if expected[0] == "ok" and got[0] == "ok":
            assert type(got[1]) is type(expected[1]) and got[1] == expected[1]
            assert str(got[1]) == str(expected[1])
        else:
            assert got == expected, (parse.__name__, value)


def test_a_field_named_with_control_characters_is_shown_escaped_on_one_line() -> None:
    """A snapshot or import line's own key names its violation: printed raw, it could forge lines or drive
    the terminal."""
    with pytest.raises(ValidationError) as caught:
        CustomerSnapshot.model_validate({"customer_id": "C1", "x\x1b[2J\ny": 1})

    [violation] = violations_from(caught.value)

    assert violation.field == "x\\x1b[2J\\ny" and str(violation).isprintable()
