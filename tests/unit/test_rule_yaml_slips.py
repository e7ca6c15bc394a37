"""Lint: the slips of hand-editing YAML (a tab, a line indented wrong, a key without its colon) say
what to do, at the line where they are, besides the parser's own words."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from policy_engine.rules.compiler import lint
from policy_engine.rules.loader import parse_document, read_rule_files
from policy_engine.rules.yaml_constructor import CaseConstructor

RulesCopy = Callable[..., Path]
SETTING = "    interval_months: 3"


@pytest.mark.parametrize(
    ("new", "col", "hint"),
    [
        ("\tinterval_months: 3", 1, "a tab character: replace it with spaces (YAML indents with spaces only)"),
        ("    interval_months:\t3", 21, "a tab character: replace it with spaces"),
        ("   interval_months: 3", 4, "check this line's indentation: the keys of one mapping, and the items of one "
                                   "list, start in the same column"),
        ("     interval_months: 3", 6, "check this line's indentation"),
        ("    interval_months 3", 5, "a key needs a colon and a space after it (`key: value`)"),
    ],
)
def test_a_yaml_slip_says_what_to_do_at_its_line(rules_copy: RulesCopy, new: str, col: int, hint: str) -> None:
    """The parser said "found character '\\t' that cannot start any token" or "expected <block end>,
    but found '<block mapping start>'"; a key without its colon was placed on the line after it."""
    rules = rules_copy(("reviews.yaml", SETTING, new))
    line = (rules / "reviews.yaml").read_text().splitlines().index(new) + 1

    [problem] = lint(read_rule_files(rules), source_dir=str(rules))

    assert (problem.code, problem.line, problem.col) == ("yaml_error", line, col)
    assert problem.message.startswith(hint) and problem.message.endswith(")")  # the parser's words kept


def test_a_key_written_twice_names_both_lines_and_echoes_each_value_cut_short(rules_copy: RulesCopy) -> None:
    """A second `rows:` echoed both whole tables, some 2,000 characters, and named only its own line."""
    rules = rules_copy(("limits.yaml", "hit: first\n", "hit: first\nrows: [{id: limit.x}]\n"))
    second = (rules / "limits.yaml").read_text().splitlines().index("rows:") + 1

    [problem] = lint(read_rule_files(rules), source_dir=str(rules))

    assert (problem.code, problem.line, problem.col) == ("yaml_error", second, 1)
    assert problem.message.startswith(f'duplicate key "rows": it is also written at line {second - 1}, column 1; '
                                      "keep one of the two (the value here is `[{id: limit.aaa, title: {zh: "
                                      "AAA级额度, ")
    assert len(problem.message) < 300 and problem.message.endswith("…`, there `[{id: limit.x}]`)")


@pytest.mark.parametrize(("value", "echoed"), [
    ("[x, 'y: z']", "[x, 'y: z']"),
    ("{b: [true, null], a: {c: 1}}", "{b: [true, null], a: {c: 1}}"),
    ("'002 三类九级制'", "002 三类九级制"),
])
def test_a_key_written_twice_echoes_its_values_as_yaml_not_python(
    rules_copy: RulesCopy, value: str, echoed: str,
) -> None:
    """The values were echoed as Python writes them (`['x', 'y: z']`, `{'b': [True, None], 'a': {'c': 1}}`): not what
    risk staff wrote, nor what they can paste back into the file."""
    rules = rules_copy(("reviews.yaml", "kind: review_cadence\n", f"kind: review_cadence\nnote: {value}\nnote: 1\n"))

    [problem] = lint(read_rule_files(rules), source_dir=str(rules))

    assert (problem.code, problem.line) == ("yaml_error", 5)
    assert problem.message.endswith(f"(the value here is `1`, there `{echoed}`)")


DECIMAL = " if the comma is a decimal point"
SPLIT = ("is one number, but inside {{ }} a comma ends an entry, so it reads as {reads}; write {meant} (a plain "
         "number: no currency sign or code, no thousands separators)")


@pytest.mark.parametrize(("written", "reads", "meant"), [
    # one comma before three digits: a thousands separator or a decimal comma, both named (was 100000 alone)
    ("100,000", '"100" and the key "000"', f"100000, or 100.000{DECIMAL}"),
    ("1,500,000", '"1" and the keys "500" and "000"', "1500000"),
    ("1,000,000", '"1" and the keys "000" and "000"', "1000000"),
    ("$1,500,000", '"$1" and the keys "500" and "000"', "1500000"),
    ("¥100,000", '"¥100" and the key "000"', f"100000, or 100.000{DECIMAL}"),
    ("1,500,000.50 CNY", '"1" and the keys "500" and "000.50 CNY"', "1500000.50"),
    # a decimal comma, read from the text as written: was `unknown field "50": … a thousands separator splits the
    # number and floor reads as 1` (the 1.0 YAML made of `1.000`), with nothing to write
    ("1.000,50", '"1.000" and the key "50"', f"1000.50{DECIMAL}"),
    ("1 000,50", '"1 000" and the key "50"', f"1000.50{DECIMAL}"),
    ("¥1.000,50", '"¥1.000" and the key "50"', f"1000.50{DECIMAL}"),
    ("1,5", '"1" and the key "5"', f"1.5{DECIMAL}"),
    ("100,00", '"100" and the key "00"', f"100.00{DECIMAL}"),
])
def test_a_number_split_by_thousands_separators_inside_braces_is_one_problem_saying_what_was_meant(
    rules_copy: RulesCopy, written: str, reads: str, meant: str,
) -> None:
    """`{…, floor: 1,500,000}` explained the split only at the key `500` and left the key `000` as a bare
    `unknown field "0"`; `1,000,000` was `duplicate key "0"`; `$100,000` was two problems. None said 1500000."""
    rules = rules_copy(("limits.yaml", "floor: 100000}", f"floor: {written}}}"))

    [problem] = lint(read_rule_files(rules), source_dir=str(rules))

    assert (problem.code, problem.line, problem.col) == ("type_mismatch", 14, 62)  # at `floor`
    assert problem.message == f"rule limit.aaa: limit.floor: {written} " + SPLIT.format(reads=reads, meant=meant)


@pytest.mark.parametrize(("condition", "where", "written", "reads", "meant"), [
    ("{order_amount: $50,000}", "when.order_amount", "$50,000", '"$50" and the key "000"',
     f"50000, or 50.000{DECIMAL}"),
    ("{order_amount: 50,000}", "when.order_amount", "50,000", '"50" and the key "000"', f"50000, or 50.000{DECIMAL}"),
    ("{order_amount: {gt: 1.000,50}}", "when.order_amount.gt", "1.000,50", '"1.000" and the key "50"',
     f"1000.50{DECIMAL}"),
    ("{order_amount: {gt: 1,500,000}}", "when.order_amount.gt", "1,500,000", '"1" and the keys "500" and "000"',
     "1500000"),
])
def test_a_condition_on_a_number_split_by_thousands_separators_says_to_write_the_plain_number(
    rules_copy: RulesCopy, condition: str, where: str, written: str, reads: str, meant: str,
) -> None:
    """The shorthand `{order_amount: $50,000}` was "a condition is a mapping with exactly one key", and
    `{gt: 1,500,000}` "a comparison has exactly one operator": neither said what to write."""
    rules = rules_copy(("orders.yaml", "when: {grade: C}", f"when: {condition}"))

    [problem] = lint(read_rule_files(rules), source_dir=str(rules))

    assert (Path(problem.path).name, problem.line, problem.code) == ("orders.yaml", 21, "type_mismatch")
    assert problem.message == (f"rule order.cash_in_advance: {where}: {written} "
                               + SPLIT.format(reads=reads, meant=meant))


def test_a_split_number_in_braces_over_several_lines_is_reported_at_its_own_line(rules_copy: RulesCopy) -> None:
    """A flow mapping may span lines: the problem is at the line of the key whose number was split."""
    rules = rules_copy(("limits.yaml", "share_of_net_worth: 0.3, floor: 100000}",
                        "share_of_net_worth: 0.3,\n            floor: 1,500,000}"))

    [problem] = lint(read_rule_files(rules), source_dir=str(rules))

    assert (problem.code, problem.line, problem.col) == ("type_mismatch", 15, 13)
    assert "limit.floor: 1,500,000 is one number" in problem.message and "write 1500000 " in problem.message


def test_digits_after_a_comma_and_a_space_are_a_key_not_a_decimal_comma(rules_copy: RulesCopy) -> None:
    """`{floor: 1, 5}`: after a space the digits were written as a key of their own, so no number is read from them;
    the key still says what a comma does there, without claiming a thousands separator (it said one split it)."""
    rules = rules_copy(("limits.yaml", "floor: 100000}", "floor: 1, 5}"))

    [problem] = lint(read_rule_files(rules), source_dir=str(rules))

    assert (problem.code, problem.line) == ("unknown_field", 14)
    assert problem.message.startswith('rule limit.aaa: unknown field "5": a number where a key belongs. Inside { } a '
                                      "comma ends an entry, so a comma in a number (a thousands separator or a "
                                      "decimal comma) splits it and floor reads as 1; write floor as one plain number")


LIST_SPLIT = ("is one number, but inside [ ] a comma ends an item, so it reads as the items {reads}; write {meant} (a "
              "plain number: no currency sign or code, no thousands separators)")


@pytest.mark.parametrize(("between", "split"), [
    ("[10,000, 50000]", [(0, "10,000", '"10" and "000"', f"10000, or 10.000{DECIMAL}")]),
    ("[10,000, 50,000]", [(0, "10,000", '"10" and "000"', f"10000, or 10.000{DECIMAL}"),
                          (1, "50,000", '"50" and "000"', f"50000, or 50.000{DECIMAL}")]),
    ("[$10,000, 1,500,000.50]", [(0, "$10,000", '"$10" and "000"', f"10000, or 10.000{DECIMAL}"),
                                 (1, "1,500,000.50", '"1", "500" and "000.50"', "1500000.50")]),
    ("[10,000,50,000]", [(0, "10,000", '"10" and "000"', f"10000, or 10.000{DECIMAL}"),
                         (1, "50,000", '"50" and "000"', f"50000, or 50.000{DECIMAL}")]),
])
def test_a_number_split_by_thousands_separators_inside_brackets_is_one_problem_saying_what_was_meant(
    rules_copy: RulesCopy, between: str, split: list[tuple[int, str, str, str]],
) -> None:
    """`{order_amount: {between: [10,000, 50,000]}}` read as four items and said only "`between` takes [low, high]
    numbers": not that the commas split the numbers, nor what to write."""
    line = f"    when: {{order_amount: {{between: {between}}}}}"
    rules = rules_copy(("orders.yaml", "    when: {grade: C}", line))

    problems = lint(read_rule_files(rules), source_dir=str(rules))

    cols = [line.index(written, line.index("[")) + 1 for _, written, _, _ in split]
    assert [(Path(p.path).name, p.line, p.col, p.code) for p in problems] == [
        ("orders.yaml", 21, col, "type_mismatch") for col in cols]
    assert [p.message for p in problems] == [
        f"rule order.cash_in_advance: when.order_amount.between[{i}]: {written} "
        + LIST_SPLIT.format(reads=reads, meant=meant) for i, written, reads, meant in split]


BETWEEN = "rule order.cash_in_advance: `between` takes [low, high] numbers (low included, high excluded)"


@pytest.mark.parametrize(("between", "messages"), [
    ("[10, 000, 50, 000]", [BETWEEN]),
    ("[1,234,567]", [BETWEEN]),
    ("[1,100]", []),
])
def test_items_a_comma_may_separate_are_not_rejoined_in_brackets(
    rules_copy: RulesCopy, between: str, messages: list[str],
) -> None:
    """A space after the comma makes the next item its own; in a list written without any space (`[1,100]`, a
    range written tight) the digits are only rejoined when a group starts with 0, as no item would."""
    rules = rules_copy(("orders.yaml", "    when: {grade: C}", f"    when: {{order_amount: {{between: {between}}}}}"))

    problems = lint(read_rule_files(rules), source_dir=str(rules))

    assert [p.message for p in problems] == messages


def test_a_range_written_without_spaces_is_still_two_numbers(rules_copy: RulesCopy) -> None:
    """`range: [0,100]` is 0 to 100, not the number 100 with a separator: lint finds nothing."""
    rules = rules_copy(("grades.yaml", "range: [0, 100]", "range: [0,100]"))

    assert lint(read_rule_files(rules), source_dir=str(rules)) == []


AMBIGUOUS = ("{written} is ambiguous: the items {items} (inside [ ] a comma ends an item), or the number {meant} (no "
             "space after the comma, where other commas of the list have one, as after a thousands separator); write "
             "{meant} (a plain number: no thousands separators) for the number{decimal}, or {listed} for the items")


@pytest.mark.parametrize(("between", "found"), [
    # one group: a decimal comma is a reading too, named after the number (was left out)
    ("[1,100, 200]", [(0, "1,100", "1 and 100", "1100", "1, 100", f", 1.100{DECIMAL}")]),
    ("[5,250, 7,500]", [(0, "5,250", "5 and 250", "5250", "5, 250", f", 5.250{DECIMAL}"),
                        (2, "7,500", "7 and 500", "7500", "7, 500", f", 7.500{DECIMAL}")]),
    ("[1,100,200, 300]", [(0, "1,100,200", "1, 100 and 200", "1100200", "1, 100, 200", "")]),
])
def test_a_comma_in_brackets_that_may_end_an_item_or_separate_thousands_is_a_problem_naming_both_readings(
    rules_copy: RulesCopy, between: str, found: list[tuple[int, str, str, str, str, str]],
) -> None:
    """`between: [1,100, 200]` was read as [1100, 200] (and then "has its ends swapped; write [200, 1100]"): a
    guess, where 1, 100, 200 is as likely. Now nothing is guessed: the items stay as YAML reads them, and lint
    asks which was meant at the first of them."""
    line = f"    when: {{order_amount: {{between: {between}}}}}"
    rules = rules_copy(("orders.yaml", "    when: {grade: C}", line))

    problems = lint(read_rule_files(rules), source_dir=str(rules))

    cols = [line.index(written, line.index("[")) + 1 for _, written, _, _, _, _ in found]
    ambiguous = [p for p in problems if p.code == "ambiguous_number"]
    assert [(Path(p.path).name, p.line, p.col) for p in ambiguous] == [("orders.yaml", 21, col) for col in cols]
    assert [p.message for p in ambiguous] == [
        f"rule order.cash_in_advance: when.order_amount.between[{i}]: "
        + AMBIGUOUS.format(written=written, items=items, meant=meant, listed=listed, decimal=decimal)
        for i, written, items, meant, listed, decimal in found]
    assert [p.message for p in problems if p.code != "ambiguous_number"] == [BETWEEN]  # of the items as written


@pytest.mark.parametrize(("between", "found"), [
    ("[1,5, 2]", [(0, "1,5", "1 and 5", "1.5", "1, 5")]),
    ("[0,75, 1,25]", [(0, "0,75", "0 and 75", "0.75", "0, 75"), (2, "1,25", "1 and 25", "1.25", "1, 25")]),
])
def test_a_decimal_comma_in_a_spaced_list_is_ambiguous_naming_the_decimal(
    rules_copy: RulesCopy, between: str, found: list[tuple[int, str, str, str, str]],
) -> None:
    """`between: [1,5, 2]` was read as the three items 1, 5 and 2 (then "`between` takes [low, high]"), with no word
    that 1,5 may be the decimal 1.5: the space after the other comma makes it likely, as for a thousands separator."""
    line = f"    when: {{current_ratio: {{between: {between}}}}}"
    rules = rules_copy(("scorecard.yaml", "        when: {current_ratio: {between: [1.5, 2]}}", "    " + line))

    problems = lint(read_rule_files(rules), source_dir=str(rules))

    ambiguous = [p for p in problems if p.code == "ambiguous_number"]
    assert [p.col for p in ambiguous] == [line.index(written, line.index("[")) + 5 for _, written, _, _, _ in found]
    assert [p.message.split(": ", 2)[2] for p in ambiguous] == [
        f"{written} is ambiguous: the items {items} (inside [ ] a comma ends an item), or the number {meant} (no space "
        "after the comma, where other commas of the list have one, as after a decimal comma); write "
        f"{meant} (a plain number: a point before the decimals) for the number, or {listed} for the items"
        for _, written, items, meant, listed in found]


def test_a_decimal_comma_in_a_list_written_tight_throughout_stays_two_items(rules_copy: RulesCopy) -> None:
    """`[1,5]` may be 1 to 5 as well as 1.5 and nothing in how it is written says which: read as YAML reads it."""
    rules = rules_copy(("scorecard.yaml", "{current_ratio: {between: [1.5, 2]}}", "{current_ratio: {between: [1,5]}}"))

    codes = {p.code for p in lint(read_rule_files(rules), source_dir=str(rules))}

    assert codes == {"shadowed"}  # of the rows beside the band 1 to 5: no question about the comma


def test_a_group_starting_with_0_in_a_spaced_list_is_still_one_number(rules_copy: RulesCopy) -> None:
    """`1,050` and `2,000`: no item is written with a leading 0, so each is one number, said as before."""
    rules = rules_copy(("orders.yaml", "    when: {grade: C}", "    when: {order_amount: {between: [1,050, 2,000]}}"))

    problems = lint(read_rule_files(rules), source_dir=str(rules))

    assert [(p.code, p.message.split(": ", 2)[2][:24]) for p in problems] == [
        ("type_mismatch", "1,050 is one number, but"), ("type_mismatch", "2,000 is one number, but")]


def test_an_ambiguous_comma_in_a_rule_test_case_file_is_the_same_problem_with_the_quoted_decimal() -> None:
    """Case files are read with the rule files' constructor (CaseConstructor): the same question, in their terms."""
    doc, problems = parse_document("case.yaml", "cases:\n  - {id: x, amounts: [1,100, 200]}\n", CaseConstructor)

    assert [(p.line, p.col, p.code) for p in problems] == [(2, 23, "ambiguous_number")]
    assert problems[0].message.endswith('write "1100" (money in a case is a decimal string: in quotes, no thousands '
                                        'separators) for the number, "1.100" if the comma is a decimal point, or 1, '
                                        "100 for the items")
    assert doc is not None and doc.data["cases"][0]["amounts"] == [1, 100, 200]


@pytest.mark.parametrize(("text", "where", "said"), [
    ('cases:\n  - id: a\n    note: "over 90 days: limit halved.\n    as_of: 2026-11-22\n'
     '    snapshot: {base: steady, invoices: [{invoice_id: "I1", issued_on: "2025-09-05"}]}\n',
     (3, 11), "a quote opened here is not closed on this line: the parser read on to line 5 and stopped there ("),
    ("title: {zh: x, en: 'Class A}\nrows: []\n", (1, 20), "a quote opened here is never closed: close it on this line"),
])
def test_a_quote_left_open_is_placed_where_it_opens_not_where_the_parser_stopped(
    text: str, where: tuple[int, int], said: str,
) -> None:
    """A closing quote forgotten on a case's `note:` was reported at line 5 (mapping values are not allowed
    here), where the next quote closed the runaway value, three lines below the slip."""
    _doc, [problem] = parse_document("case.yaml", text, CaseConstructor)

    assert (problem.line, problem.col, problem.code) == (*where, "yaml_error")
    assert problem.message.startswith(said)


def test_a_value_quoted_over_several_lines_on_purpose_is_not_taken_for_a_quote_left_open() -> None:
    _doc, [problem] = parse_document("r.yaml", 'a: "one\n  two"\nb: [1\n', CaseConstructor)

    assert "quote" not in problem.message


@pytest.mark.parametrize(("text", "col"), [
    ("when: {{all: [{a: {gte: 6}}, {a: {lt: 3}}]}}\n", 8),
    ("when: {[a, b]: 1}\n", 8),
    ("when: {{a: 1}: x}\n", 8),
])
def test_braces_doubled_or_a_list_where_a_key_goes_is_a_yaml_error_at_it_not_a_crash(text: str, col: int) -> None:
    """`when: {{all: […]}}` (one pair of braces too many) stopped lint with a TypeError traceback: the
    inner mapping was taken for a key, and a key holding a list cannot be looked up."""
    _doc, [problem] = parse_document("r.yaml", text, CaseConstructor)

    assert (problem.line, problem.col, problem.code) == (1, col, "yaml_error")
    assert problem.message.startswith("a { } or [ ] where a key goes: a key is a plain word, such as `all:` or a "
                                      "field's name; if `{{` was written, remove one pair of braces")


@pytest.mark.parametrize(("written", "said"), [
    ("1.000,50", '1.000,50 is one number, but inside { } a comma ends an entry, so it reads as "1.000" and the key '
                 '"50"; write "1000.50" if the comma is a decimal point (money in a case is a decimal string: in '
                 "quotes, no currency sign or code, no thousands separators)"),
    ("12,500", '12,500 is one number, but inside { } a comma ends an entry, so it reads as "12" and the key "500"; '
               'write "12500", or "12.500" if the comma is a decimal point (money in a case is a decimal string: in '
               "quotes, no currency sign or code, no thousands separators)"),
])
def test_a_comma_in_a_case_amount_names_each_reading_quoted(written: str, said: str) -> None:
    """A case's `{amount: 1.000,50}` was `unknown field "50"` saying a thousands separator made the amount 1;
    `{amount: 12,500}` named 12500 alone."""
    text = f"cases:\n  - id: x\n    order: {{order_id: S, amount: {written}}}\n"

    doc, problems = parse_document("case.yaml", text, CaseConstructor)

    assert [(p.line, p.col, p.code) for p in problems] == [(3, 26, "type_mismatch")]  # at `amount`
    assert problems[0].message == f"case x: order.amount: {said}"
