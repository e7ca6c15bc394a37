"""Lint, read by risk staff: a problem names the thing by what it is (a scorecard factor is no rule),
sits at the file and line to edit, and says what to write instead."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from policy_engine.rules.compiler import lint
from policy_engine.rules.loader import read_rule_files
from policy_engine.rules.problems import PolicyLoadError

RulesCopy = Callable[..., Path]


def _found(rules: Path) -> list[tuple[str, int, str, str]]:
    """Each problem as (file name, line, code, message)."""
    return [(Path(p.path).name, p.line, p.code, p.message) for p in lint(read_rule_files(rules), str(rules))]


def _lines(path: Path, text: str) -> list[int]:
    """The numbers of the lines of `path` that hold `text`."""
    return [i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line]


def test_a_problem_of_a_scorecard_factor_calls_it_a_factor_not_a_rule(rules_copy: RulesCopy) -> None:
    """`weight: -1` of the character factor was reported as "rule character: weight: …", and
    there is no rule "character": the rules are its rows (score.character.prompt, …)."""
    rules = rules_copy(("scorecard.yaml", "weight: 0.35 ", "weight: -1 "),
                       ("scorecard.yaml", "points: 95", "points: 195"))
    scorecard = rules / "scorecard.yaml"

    found = _found(rules)

    assert [(line, message.split(":")[0]) for _, line, _, message in found] == [
        (*_lines(scorecard, "weight: -1"), "factor character"),
        (*_lines(scorecard, "points: 195"), "rule score.character.prompt"),
    ]


def test_a_factor_written_twice_is_a_problem_at_the_second_naming_the_one_left_out(rules_copy: RulesCopy) -> None:
    """A second `character` factor where `capacity` stood linted clean: the score counted the
    character rows under both weights and never looked at the current ratio."""
    rules = rules_copy(("scorecard.yaml", "  - id: capacity", "  - id: character"))
    first, second = _lines(rules / "scorecard.yaml", "  - id: character")

    found = _found(rules)

    message = f'factor character: written twice (first at line {first}): each 5C factor once; write "capacity"'
    assert found == [("scorecard.yaml", second, "duplicate_id", message + " instead")]


def test_a_rules_directory_without_a_required_kind_names_the_file_to_write_not_dir_dot(rules_copy: RulesCopy) -> None:
    """It was `rules/.:1:1: missing_kind: no rule file of kind `review_cadence``: no file to open."""
    rules = rules_copy()
    (rules / "reviews.yaml").unlink()

    [problem] = lint(read_rule_files(rules), str(rules))

    assert (problem.path, problem.line, problem.code) == (f"{rules}/reviews.yaml", 1, "missing_kind")
    assert problem.message.endswith("write one, such as reviews.yaml starting with `kind: review_cadence`")


def test_a_rule_file_without_its_kind_is_missing_kind_at_that_file_saying_which_to_write(rules_copy: RulesCopy) -> None:
    """It was `reviews.yaml:1:1: unknown_kind: unknown kind None; expected one of policy, …`."""
    rules = rules_copy(("reviews.yaml", "kind: review_cadence\n", ""),
                       ("warnings.yaml", "kind: warning_signs", "kind:"))

    found = _found(rules)

    assert found == [
        ("reviews.yaml", 1, "missing_kind",
         "this rule file has no `kind`; write `kind: review_cadence` at its top (what the rest of it holds)"),
        ("warnings.yaml", 1, "missing_kind",
         "this rule file has no `kind`; write `kind: warning_signs` at its top (what the rest of it holds)"),
    ]


def test_a_band_with_its_ends_swapped_says_which_ends_to_write(rules_copy: RulesCopy) -> None:
    """It was "`between` needs low < high": no field, no hint that the ends were simply swapped."""
    rules = rules_copy(("grades.yaml", "between: [74, 82]", "between: [82, 74]"))

    found = _found(rules)

    line = _lines(rules / "grades.yaml", "[82, 74]")[0]
    assert found == [("grades.yaml", line, "invalid_value", 'rule grade.a: '
                                                            '"score": between [82, 74] has its ends swapped; '
                      "write [74, 82] (low first: low included, high excluded)")]


def test_bands_that_give_a_higher_score_a_worse_grade_are_not_monotonic(rules_copy: RulesCopy) -> None:
    """Swapping the grades of two bands kept the score covered once, and linted clean: a customer
    scoring 85 got A and one scoring 78 got AA."""
    rules = rules_copy(("grades.yaml", "grade: AA, when: {score: {between: [82, 90]}}",
                        "grade: A, when: {score: {between: [82, 90]}}"),
                       ("grades.yaml", "{id: grade.a, grade: A,", "{id: grade.a, grade: AA,"))

    found = _found(rules)

    assert [(line, code) for _, line, code, _ in found] == [(_lines(rules / "grades.yaml", "id: grade.aa,")[0],
                                                            "not_monotonic")]
    assert found[0][3].startswith('rule grade.aa: gives A from score 82, a worse grade than AA that "grade.a" '
                                  "gives from 74: a higher score must never earn a worse grade; swap their grades")


@pytest.mark.parametrize("amount", ["¥100000", "100000 CNY", "100000元", "$100000"])
def test_a_limit_written_as_money_says_to_write_the_plain_number(rules_copy: RulesCopy, amount: str) -> None:
    """It was `"¥100000" is a text, not a number; write a number from 0 to 10000000000000`."""
    rules = rules_copy(("limits.yaml", "floor: 100000}", f"floor: {amount}}}"))

    [(name, line, code, message)] = _found(rules)

    assert (name, line, code) == ("limits.yaml", _lines(rules / "limits.yaml", amount)[0], "type_mismatch")
    assert message.endswith(f'"{amount}" is a text, not a number; write 100000 (a plain number: no currency sign or '
                            "code, no thousands separators)")


@pytest.mark.parametrize(("file", "old", "new", "allowed", "meant"), [
    ("orders.yaml", "outcome: HOLD\n", "outcome: HOLDS\n", '"HOLDS" is not one of APPROVE, HOLD, SPECIAL_APPROVAL',
     "HOLD"),
    ("orders.yaml", "default: APPROVE", "default: Approve", '"Approve" is not one of APPROVE, HOLD', "APPROVE"),
    ("warnings.yaml", "cap_grade: CCC", "cap_grade: ccc", '"ccc" is not one of AAA, AA, A, BBB, BB, B, CCC, CC, C',
     "CCC"),
    ("warnings.yaml", "severity: info", "severity: Info", '"Info" is not one of info, warning, urgent', "info"),
    ("warnings.yaml", "cap_grade: worst", "cap_grade: worse", '"worse" is not worst, the one value it takes', "worst"),
    ("grades.yaml", "  A: [AAA, AA, A]", "  a: [AAA, AA, A]", '"a" is not one of A, B, C', "A"),
    ("grades.yaml", "  A: [AAA, AA, A]", "  A: [AAA, aa, A]", '"aa" is not one of AAA, AA, A,', "AA"),
    ("limits.yaml", "when: {grade: AA}", "when: {grade: aa}", "(one of AAA, AA, A, BBB", "AA"),
])
def test_a_misspelt_value_of_a_closed_set_says_which_was_meant_besides_the_allowed_ones(
    rules_copy: RulesCopy, file: str, old: str, new: str, allowed: str, meant: str,
) -> None:
    """`outcome: HOLDS`, `default: Approve`, a grade `aa`: only the allowed list, nothing pointing at the one meant."""
    rules = rules_copy((file, old, new))

    [(name, line, code, message)] = _found(rules)

    assert (name, line, code) == (file, _lines(rules / file, new.strip())[0], "invalid_value")
    assert allowed in message and message.endswith(f' — did you mean "{meant}"?')
    assert "Input should be" not in message  # pydantic's words, its quotes and its 'or'"


def test_a_threshold_written_as_money_says_to_write_the_plain_number(rules_copy: RulesCopy) -> None:
    rules = rules_copy(("orders.yaml", "{available_credit_after: {lt: 0}}", "{order_amount: {gt: 50000 CNY}}"))

    [(_, _, code, message)] = _found(rules)

    assert (code, message) == ("type_mismatch", "rule order.special_approval: "
                                                "\"order_amount\" is a number; got '50000 CNY' (write 50000: a plain "
                                                "number, no currency sign or code, no thousands separators)")


@pytest.mark.parametrize(("threshold", "said"), [
    # the comma was dropped: "write 15", "write 1.00050"
    ('"1,5"', "'1,5' (write 1.5 if the comma is a decimal point: a plain number, no currency sign or code, no "
              "thousands separators)"),
    ('"1.000,50"', "'1.000,50' (write 1000.50 if the comma is a decimal point: a plain number, no currency sign or "
                   "code, no thousands separators)"),
    # said "write a plain number: no unit is written", as if k were a unit
    ("5k", "'5k' (write 5000 (5k in full): a plain number, no currency sign or code, no thousands separators)"),
    ("1.000.000", "'1.000.000' (write 1000000 if the points separate thousands: a plain number, no currency sign or "
                  "code, no thousands separators)"),
    ("large", "'large' (\"large\" is a value of \"size\", not a number: compare \"size\" instead; \"order_amount\" "
              "takes a number: money, ≥ 0)"),
])
def test_a_threshold_written_in_a_local_or_everyday_form_says_each_reading(
    rules_copy: RulesCopy, threshold: str, said: str,
) -> None:
    rules = rules_copy(("orders.yaml", "{available_credit_after: {lt: 0}}", f"{{order_amount: {{gt: {threshold}}}}}"))

    [(_, _, code, message)] = _found(rules)

    assert code == "type_mismatch"
    assert message == f"rule order.special_approval: \"order_amount\" is a number; got {said}"


@pytest.mark.parametrize(("condition", "said"), [
    # a word was `is a number; got 'large'` with nothing to write
    ("{invoice_count: {gte: large}}", "got 'large' (\"large\" is a value of \"size\", not a number: compare \"size\" "
                                      "instead; \"invoice_count\" takes a whole number: ≥ 0)"),
    ("{current_grade_rank: {lte: BBB}}", "got 'BBB' (\"BBB\" is a value of \"current_grade\", \"grade\" and "
                                         "\"base_grade\", not a number: compare one of those instead; "
                                         "\"current_grade_rank\" takes a whole number: 1-9)"),
    ("{current_ratio: {lt: low}}", "got 'low' (\"current_ratio\" takes a number: ≥ 0; real values 0 to 10, written as "
                                   "a ratio: 1.5 for 150%)"),
    # 1.5 is no whole number of days: what the field takes, not "write 15"
    ('{dbt_open_max: {gt: "1,5"}}', "got '1,5' (\"dbt_open_max\" takes a whole number: days, ≥ 0)"),
])
def test_a_word_or_a_reading_a_field_cannot_take_says_what_the_field_takes(
    rules_copy: RulesCopy, condition: str, said: str,
) -> None:
    rules = rules_copy(("orders.yaml", "{available_credit_after: {lt: 0}}", condition))

    [(_, _, code, message)] = _found(rules)

    assert code == "type_mismatch" and message.endswith(said)


def test_a_rule_id_used_in_two_files_names_both_places_and_says_to_rename_one(rules_copy: RulesCopy) -> None:
    """It said `duplicate rule id "warn.pays_late" (first at …/more_warnings.yaml:11)` and no more."""
    rules = rules_copy()
    warnings = (rules / "warnings.yaml").read_text()
    head = warnings[: warnings.index("rules:\n")]
    pays_late = warnings[warnings.index("  - id: warn.pays_late"): warnings.index("  - id: warn.seriously_overdue")]
    (rules / "more_warnings.yaml").write_text(head + "rules:\n" + pays_late.replace("PAYS_LATE", "PAYS_LATE_AGAIN"))

    [(name, line, code, message)] = _found(rules)

    first = _lines(rules / "more_warnings.yaml", "- id: warn.pays_late")[0]
    assert (name, line, code) == ("warnings.yaml", _lines(rules / "warnings.yaml", "- id: warn.pays_late")[0],
                                  "duplicate_id")
    assert message == ('rule warn.pays_late: '
                       f'duplicate rule id "warn.pays_late" (first at {rules}/more_warnings.yaml:{first}): an id '
                       "names one rule across all rule files (decisions, logs and tests refer to it); give one of the"
                       " two another id")


@pytest.mark.parametrize(("file", "old", "new", "ending"), [
    ("limits.yaml", "share_of_net_worth: 0.3", "share_of_net_worth: 30%",
     'limit.share_of_net_worth: "30%" is a text, not a number; write 0.3 (a share, factor or ratio is a fraction '
     "here: 30% is 0.3)"),
    ("warnings.yaml", "limit_factor: 0.8}", "limit_factor: 80%}",
     'effects.limit_factor: "80%" is a text, not a number; write 0.8 (a share, factor or ratio is a fraction here: '
     "80% is 0.8)"),
    ("scorecard.yaml", "points: 95", "points: 95%",
     'points: "95%" is a text, not a number; write 95 (the value is out of 100 here: no % sign)'),
    ("scorecard.yaml", "{late_paid_share: {lte: 0.1}}", "{late_paid_share: {lte: 10%}}",
     "\"late_paid_share\" is a number; got '10%' (write 0.1: a share, factor or ratio is a fraction here: 10% is "
     "0.1)"),
    ("grades.yaml", "score: {gte: 90}", "score: {gte: 90%}",
     "\"score\" is a number; got '90%' (write 90: the value is out of 100 here: no % sign)"),
])
def test_a_percentage_says_which_number_to_write(rules_copy: RulesCopy, file: str, old: str, new: str,
                                                 ending: str) -> None:
    """`share_of_net_worth: 30%` said "write a number from 0 to 5" and `{late_paid_share: {lte: 10%}}` only
    "got '10%'": neither said that a share is a fraction (0.3), nor that a score is out of 100 (90)."""
    rules = rules_copy((file, old, new))

    [(name, line, code, message)] = _found(rules)

    assert (name, line, code) == (file, _lines(rules / file, new)[0], "type_mismatch")
    assert message.endswith(ending)


def test_a_key_indented_into_when_is_reported_at_its_line_saying_to_move_it_out(rules_copy: RulesCopy) -> None:
    """`interval_months` indented under a block `when:` was `missing field "interval_months"` at the row's first
    line and "a condition is a mapping with exactly one key": neither said where it went, nor what to do."""
    rules = rules_copy(("reviews.yaml", "    when: {grade_class: B}\n    interval_months: 3",
                        "    when:\n      grade_class: B\n      interval_months: 3"))
    key = _lines(rules / "reviews.yaml", "      interval_months: 3")[0]
    when = key - 2

    found = _found(rules)

    assert found == [
        ("reviews.yaml", when, "type_mismatch", 'rule review.class_b: '
                                                'a condition is a mapping with exactly one key; "interval_months" is '
         'no field a condition compares: if it belongs to the rule, move it out of "when", in line with it'),
        ("reviews.yaml", key, "missing_field",
         'rule review.class_b: missing field "interval_months": it is written inside "when"; move it out, in line '
         'with "when"'),
    ]


def test_a_setting_written_inside_its_neighbour_says_it_belongs_beside_it(rules_copy: RulesCopy) -> None:
    """`validity_months` inside `limit: {…}` was `missing field` at the row and a bare `unknown field`."""
    rules = rules_copy(("limits.yaml", "floor: 100000}\n    validity_months: 6",
                        "floor: 100000, validity_months: 6}"))
    line = _lines(rules / "limits.yaml", "floor: 100000, validity_months: 6}")[0]

    found = _found(rules)

    assert found == [
        ("limits.yaml", line, "missing_field",
         'rule limit.aaa: missing field "validity_months": it is written inside "limit"; move it out, in line '
         'with "limit"'),
        ("limits.yaml", line, "unknown_field",
         'rule limit.aaa: unknown field "validity_months": it belongs beside "limit", not inside it'),
    ]


@pytest.mark.parametrize(("file", "old", "new", "at", "ending"), [
    ("scorecard.yaml", "{late_paid_share: {lte: 0.1}}", "{late_paid_share: {lte: 10}}", "lte: 10",
     '"late_paid_share" is from 0 to 1, so lte 10 holds for every value it can take; write 0.1 (a share, factor or '
     "ratio is a fraction here: 10% is 0.1)"),
    ("scorecard.yaml", "{late_paid_share: {lte: 0.1}}", "{late_paid_share: {gte: 35}}", "gte: 35",
     "so gte 35 never holds; write 0.35 (a share, factor or ratio is a fraction here: 35% is 0.35)"),
    ("scorecard.yaml", "{late_paid_share: {lte: 0.1}}", "{late_paid_share: {between: [0, 10]}}", "10]",
     "so between [0, 10] holds for every value it can take; write [0, 0.1] (a share, factor or ratio is a fraction "
     "here: 10% is 0.1)"),
    ("grades.yaml", "{score: {lt: 30}}", "{score: {lt: 300}}", "lt: 300",
     '"score" is from 0 to 100, so lt 300 holds for every value it can take; write a threshold from 0 to 100'),
])
def test_a_threshold_outside_its_fields_range_is_invalid_at_it(rules_copy: RulesCopy, file: str, old: str,
                                                                new: str, at: str, ending: str) -> None:
    """`{late_paid_share: {lte: 10}}`, written for 10 %, held for every customer with a payment record, and
    `{gte: 35}` for 35 % never held: lint said `ok`, and the character score quietly changed meaning."""
    rules = rules_copy((file, old, new))
    line = _lines(rules / file, new)[0]

    [(name, found_line, code, message)] = _found(rules)
    [problem] = lint(read_rule_files(rules), str(rules))

    assert (name, found_line, code) == (file, line, "invalid_value")
    assert problem.col == (rules / file).read_text().splitlines()[line - 1].index(at) + 1
    assert message.endswith(ending)


def test_a_threshold_at_the_edge_of_its_range_or_a_band_end_past_it_is_fine(rules_copy: RulesCopy) -> None:
    # `lte: 1` holds for every share (test_field_lower_bounds.py); `lt: 1` leaves out those paid late throughout.
    rules = rules_copy(("scorecard.yaml", "{late_paid_share: {lte: 0.1}}", "{late_paid_share: {lt: 1}}"),
                       ("grades.yaml", "{score: {gte: 90}}", "{score: {between: [90, 101]}}"))

    assert _found(rules) == []


def test_a_rule_file_saved_in_gbk_is_unreadable_at_its_first_chinese_character(rules_copy: RulesCopy) -> None:
    """A Chinese Windows editor saves "ANSI" as GBK: lint said `1:1: unreadable: 'utf-8' codec can't decode
    byte 0xc0 in position 17: invalid start byte`, no line to look at and nothing about saving as UTF-8."""
    rules = rules_copy()
    path = rules / "warnings.yaml"
    path.write_bytes(path.read_text(encoding="utf-8").encode("gbk"))

    with pytest.raises(PolicyLoadError) as raised:
        read_rule_files(rules)

    [problem] = raised.value.problems
    first = path.read_bytes().decode("gbk").splitlines()[0]
    assert (Path(problem.path).name, problem.line, problem.col, problem.code) == (
        "warnings.yaml", 1, first.index("老") + 1, "unreadable")
    assert problem.message.startswith("not UTF-8 text: byte 0xC0 here is no UTF-8 character; save the file with the "
                                      "encoding UTF-8")


@pytest.mark.parametrize(("encoding", "ascii_only"), [
    ("utf-16", False), ("utf-16-le", False), ("utf-16-be", False), ("utf-16-le", True),
])
def test_a_rule_file_saved_as_utf16_says_so(rules_copy: RulesCopy, encoding: str, ascii_only: bool) -> None:
    """Notepad's "Unicode" is UTF-16: lint said `byte 0xFF here is no UTF-8 character` (with its byte-order mark),
    a column in the middle of line 1 (without), or `unacceptable character #x0000` (English text only)."""
    rules = rules_copy()
    path = rules / "reviews.yaml"
    text = path.read_text(encoding="utf-8")
    if ascii_only:
        text = "".join(line for line in text.splitlines(keepends=True) if line.isascii())
    path.write_bytes(text.encode(encoding))

    with pytest.raises(PolicyLoadError) as raised:
        read_rule_files(rules)

    [problem] = raised.value.problems
    assert (Path(problem.path).name, problem.line, problem.col, problem.code) == ("reviews.yaml", 1, 1, "unreadable")
    assert problem.message.startswith("saved as UTF-16 (Windows Notepad's \"Unicode\"); save the file with the "
                                      "encoding UTF-8")


@pytest.mark.parametrize(("file", "old", "new", "ending"), [
    ("warnings.yaml", "    effects: {downgrade: 1}\n  - id: warn.seriously_overdue",
     "    then: {downgrade: 1}\n  - id: warn.seriously_overdue",
     'rule warn.pays_late: unknown field "then" — did you mean "effects"? (the one missing here: rename "then" to '
     '"effects")'),
    ("follow_ups.yaml", "    when: {never_contacted: true}\n", "    when: {never_contacted: true}\n    then: {}\n",
     'rule follow.never_contacted: unknown field "then"'),
])
def test_then_written_for_effects_is_not_taken_for_a_misspelt_when(rules_copy: RulesCopy, file: str, old: str,
                                                                   new: str, ending: str) -> None:
    """An analyst used to if/then rules wrote `then:` and was asked `did you mean "when"?`: the rule has a
    `when` already; what it lacks is `effects` (and a follow-up has no such part to point at)."""
    rules = rules_copy((file, old, new))

    found = [(line, message) for name, line, code, message in _found(rules) if code == "unknown_field"]

    assert found == [(_lines(rules / file, "then:")[0], ending)]


@pytest.mark.parametrize(("text", "code", "said"), [
    ("", "missing_field", "empty rule file: expected a mapping with a `kind` (one of policy, scorecard, "),
    ("# to do: the new warning signs\n", "missing_field", "empty rule file: expected a mapping with a `kind`"),
    ("- id: warn.x\n", "type_mismatch", "a rule file must be a mapping with a `kind`; got a list"),
])
def test_a_rule_file_with_nothing_or_no_mapping_in_it_says_which(
    rules_copy: RulesCopy, text: str, code: str, said: str,
) -> None:
    """An empty file, or one of comments only (started, not yet written), said it "must be a mapping with a `kind`"
    as a list would, leaving the author to look for something wrong in a file with nothing in it."""
    rules = rules_copy()
    (rules / "new_signs.yaml").write_text(text)

    [(name, line, found_code, message)] = _found(rules)

    assert (name, line, found_code) == ("new_signs.yaml", 1, code)
    assert message.startswith(said)


@pytest.mark.parametrize(("old", "new", "said"), [
    ("range: [0, 100]", "range: [0, 100, 5]", "range: takes exactly 2 items, got 3"),
    ("range: [0, 100]", "range: [0]", "range: takes exactly 2 items, got 1"),
])
def test_a_list_of_the_wrong_length_says_how_many_items_it_takes(
    rules_copy: RulesCopy, old: str, new: str, said: str,
) -> None:
    """Was pydantic's `range: List should have at most 2 items after validation, not 3`."""
    rules = rules_copy(("grades.yaml", old, new))

    [(name, line, code, message)] = _found(rules)

    assert (name, line, code, message) == ("grades.yaml", *_lines(rules / "grades.yaml", new), "invalid_value", said)


def test_a_rule_file_saved_with_a_byte_order_mark_or_crlf_is_the_same_policy_version(rules_copy: RulesCopy) -> None:
    """Windows Notepad saves UTF-8 with a BOM: the rules read the same, and the version changed all the same,
    so a batch re-evaluated the portfolio for a policy that was no different (CRLF line ends never did)."""
    from policy_engine.api import load_policy

    rules = rules_copy()
    shipped = load_policy(rules).version
    grades = rules / "grades.yaml"
    grades.write_bytes(b"\xef\xbb\xbf" + grades.read_bytes().replace(b"\n", b"\r\n"))

    assert _found(rules) == [] and load_policy(rules).version == shipped


@pytest.mark.parametrize(("written", "said"), [
    ("60 days", '"days_since_last_contact" is a number; got \'60 days\' (write 60: "days_since_last_contact" is '
                "counted in days, so no unit is written)"),
    ("60天", "(write 60: "),
    ("2 months", '(write a plain number of days: "days_since_last_contact" is counted in days; no unit is written)'),
])
def test_a_threshold_written_with_its_unit_says_to_write_the_plain_number(
    rules_copy: RulesCopy, written: str, said: str
) -> None:
    """`{days_since_last_contact: {gt: 60 days}}` said only "is a number; got '60 days'", nothing to write."""
    rules = rules_copy(("follow_ups.yaml", "{days_since_last_contact: {gt: 90}}",
                        f"{{days_since_last_contact: {{gt: {written}}}}}"))

    [(name, line, code, message)] = _found(rules)

    [at] = _lines(rules / "follow_ups.yaml", f"gt: {written}")
    assert (name, line, code) == ("follow_ups.yaml", at, "type_mismatch")
    assert said in message


@pytest.mark.parametrize(("file", "old", "new", "said"), [
    ("warnings.yaml", "{due_date_changes_90d: {gte: 2}}", "{grade: {at_most: BB}}",
     'rule warn.due_dates_changed: '
     '"grade" is not available to warning signs: only credit limits, review cadence, review information and order '
     "checks see it; for the grade the customer holds today, compare current_grade"),
    ("reviews.yaml", "{grade_class: B}", "{order_amount: {gt: 1000}}",
     'rule review.class_b: "order_amount" is not available to review cadence: only order checks see it'),
])
def test_a_field_a_kind_cannot_see_says_which_kinds_see_it_and_what_to_compare_instead(
    rules_copy: RulesCopy, file: str, old: str, new: str, said: str
) -> None:
    """`"grade" is not available to this kind of rule` named neither the kind nor where the field can be used."""
    rules = rules_copy((file, old, new))

    [(name, line, code, message)] = _found(rules)

    assert (name, line, code) == (file, _lines(rules / file, new)[0], "field_not_available")
    assert message == said


_CODE = "(capital letters, digits and _)"


@pytest.mark.parametrize(("written", "said"), [
    # A pattern in regular-expression syntax was all staff got for a code in small letters.
    ("follow_up", f'action: "follow_up" is not written as an action code {_CODE}; write FOLLOW_UP'),
    ("Follow up", f'action: "Follow up" is not written as an action code {_CODE}; write FOLLOW_UP'),
    # A code one slip from a known one was taken as a new code: the work queue filed it with none of them.
    ("FOLLOWUP", 'action: "FOLLOWUP" is no known action code — did you mean "FOLLOW_UP"?'),
    ("FOLLOW_UPS", 'action: "FOLLOW_UPS" is no known action code — did you mean "FOLLOW_UP"?'),
])
def test_a_misspelt_follow_up_action_code_says_which_code_to_write(
    rules_copy: RulesCopy, written: str, said: str
) -> None:
    """`action: follow_up` said "String should match pattern '^[A-Z][A-Z0-9_]*$'"; `action: FOLLOWUP` passed."""
    rules = rules_copy(("follow_ups.yaml", "    when: {never_bought: true}\n",
                        f"    when: {{never_bought: true}}\n    action: {written}\n"))

    [(name, line, code, message)] = _found(rules)

    assert (name, line, code) == ("follow_ups.yaml", _lines(rules / "follow_ups.yaml", f"action: {written}")[0],
                                  "invalid_value")
    assert message.startswith(f"rule follow.never_bought: {said}")


def test_an_action_code_of_the_teams_own_is_taken(rules_copy: RulesCopy) -> None:
    """New codes may be added (CONTRACT.md): one spelt unlike any known code is no slip."""
    rules = rules_copy(("follow_ups.yaml", "    when: {never_bought: true}\n",
                        "    when: {never_bought: true}\n    action: SEND_CATALOGUE\n"))

    assert _found(rules) == []


@pytest.mark.parametrize(("old", "new", "said"), [
    # pydantic's "Input should be a valid dictionary or instance of Title" named a Python class.
    ("title: {zh: A级额度, en: A limit}", "title: A limit",
     "rule limit.a: title: got a text; write {zh: …, en: …} (the title in Chinese and in English)"),
    # pydantic's "String should have at least 3 characters" said nothing of what a source is.
    ('    source: "004 信用额度"\n    when: {grade: A}', "    source: x\n    when: {grade: A}",
     'rule limit.a: source: "x" is too short (at least 3 characters); write the handbook passage the rule encodes'),
])
def test_a_title_or_source_of_the_wrong_shape_says_what_to_write(
    rules_copy: RulesCopy, old: str, new: str, said: str
) -> None:
    """A title or source written as risk staff might (a plain title, a one-letter source) says how it is written."""
    rules = rules_copy(("limits.yaml", old, new))

    [(name, _, _, message)] = _found(rules)

    assert (name, message) == ("limits.yaml", said)


@pytest.mark.parametrize(("condition", "said"), [
    ("{size: {gte: 2}}", '"gte" cannot compare "size", which is one of large, medium, small; it takes eq, ne, in, '
                         "not_in, exists"),
    ("{has_financials: {gt: 0}}", '"gt" cannot compare "has_financials", which is true or false; it takes eq, ne, '
                                  "exists"),
])
def test_an_operator_a_field_cannot_take_names_the_field_and_its_values_not_a_type(
    rules_copy: RulesCopy, condition: str, said: str
) -> None:
    """`"gte" cannot compare an enum field` named a programmer's type, not the field or the values it takes."""
    rules = rules_copy(("warnings.yaml", "{due_date_changes_90d: {gte: 2}}", condition))

    [(_, _, code, message)] = _found(rules)

    assert (code, message) == ("bad_operator", f"rule warn.due_dates_changed: {said}")


def test_a_signal_outside_the_vocabulary_lists_the_signals_staff_can_record(rules_copy: RulesCopy) -> None:
    """`unknown signal 'purchases_cut'` left an analyst adding a purchasing sign to guess which signs exist, and
    that a sign staff have no code to record can never be observed."""
    rules = rules_copy(("warnings.yaml", "{signal: supplier_switch}", "{signal: purchases_cut}"))

    [(_, _, code, message)] = _found(rules)

    assert code == "invalid_value"
    assert message.startswith("rule warn.supplier_switch: "
                              "unknown signal 'purchases_cut': staff record only the signs supplier_switch, "
                              "competitor_purchases_moved, ")
    assert message.endswith("bill_extension_requested (credit-policy fields lists them as signal_…); a new sign "
                            "must be added to that vocabulary first, or write the condition on a field")


@pytest.mark.parametrize(("written", "shown"), [
    (r'"\e[31mRED\e[0m"', "U+001B"),  # a terminal escape: colours or clears the screen of whoever reads it
    (r'"late\nrules/x.yaml:1:1: ok: a forged line"', "U+000A"),  # a line of its own in a log or the queue
    (r'"paid \u202eetal"', "U+202E"),  # a right-to-left override: shows text other than what is there
])
def test_a_title_with_a_control_or_invisible_character_is_a_problem_at_the_title(
        rules_copy: RulesCopy, written: str, shown: str) -> None:
    """A title is what every decision, log line, CSV and terminal shows of a rule; an escape in it
    reached the terminals of `history`, `queue` and `simulate` and forged lines in their output."""
    rules = rules_copy(("warnings.yaml", "en: Payment dates often changed", f"en: {written}"))

    found = _found(rules)

    assert [(name, line, code) for name, line, code, _ in found] == [
        ("warnings.yaml", *_lines(rules / "warnings.yaml", f"en: {written}"), "invalid_value")]
    assert shown in found[0][3] and "title.en" in found[0][3]


@pytest.mark.parametrize(("old", "new", "meant"), [
    ("    effects: {downgrade: 1}\n  - id: warn.seriously_overdue",
     "    then: {downgrade: 1}\n  - id: warn.seriously_overdue", "effects"),
    ("    effects: {downgrade: 1}\n  - id: warn.seriously_overdue",
     "    efects: {downgrade: 1}\n  - id: warn.seriously_overdue", "effects"),
    ("    source: \"002 付款变化: 延迟付款期限\"\n", "    sources: \"002 付款变化: 延迟付款期限\"\n", "source"),
])
def test_a_required_key_written_under_another_word_is_one_problem_at_that_word(
    rules_copy: RulesCopy, old: str, new: str, meant: str,
) -> None:
    """`then:` for `effects:` was two problems: `missing field "effects"` at the rule and `unknown field "then"` at
    the `then`; the second says all there is to do."""
    rules = rules_copy(("warnings.yaml", old, new))
    written = new.split(":")[0].strip()

    found = _found(rules)

    assert [(line, code) for _, line, code, _ in found] == [(_lines(rules / "warnings.yaml", f"{written}:")[0],
                                                             "unknown_field")]
    assert found[0][3] == (f'rule warn.pays_late: unknown field "{written}" — did you mean "{meant}"? (the one missing '
                           f'here: rename "{written}" to "{meant}")')
