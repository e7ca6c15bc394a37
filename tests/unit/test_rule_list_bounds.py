"""Each bounded list of the rule language says its bound when written past it: at the bound it is taken, one
past it (or one short, where it has a least) is a problem at the list naming the bound and the count, never
a message about something else (`in` of 101 items once said it "takes a non-empty list")."""

from __future__ import annotations

import copy
import json
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from policy_engine.rules import schema_decision, schema_pack
from policy_engine.rules.compiler import lint
from policy_engine.rules.conditions import MAX_LIST_ITEMS
from policy_engine.rules.loader import parse_document, read_rule_files
from policy_engine.rules.schema import validate_document
from tests.many_rules import lists_file

LISTS = [  # (model, field, rule file, where the list is in it, least, most)
    ("Factor", "rows", "scorecard.yaml", ("factors", 0, "rows"), 0, 100),
    ("ScorecardFile", "factors", "scorecard.yaml", ("factors",), 1, 5),
    ("GradeBandsFile", "range", "grades.yaml", ("range",), 2, 2),
    ("GradeBandsFile", "bands", "grades.yaml", ("bands",), 1, 50),
    ("WarningsFile", "rules", "warnings.yaml", ("rules",), 0, 500),
    ("LimitsFile", "rows", "limits.yaml", ("rows",), 1, 100),
    ("ReviewsFile", "rows", "reviews.yaml", ("rows",), 1, 50),
    ("GatherRow", "gather", "review_information.yaml", ("rows", 0, "gather"), 1, 30),
    ("ReviewInformationFile", "rows", "review_information.yaml", ("rows",), 1, 50),
    ("CollectionFile", "rows", "collection.yaml", ("rows",), 1, 50),
    ("FollowUpsFile", "rules", "follow_ups.yaml", ("rules",), 0, 200),
    ("OrdersFile", "steps", "orders.yaml", ("steps",), 1, 100),
]


def _bounded_lists() -> set[tuple[str, str, int, int]]:
    """Every list field of the rule files' models with a most, and its least and most."""
    found = set()
    for module in (schema_decision, schema_pack):
        for model in vars(module).values():
            if not (isinstance(model, type) and issubclass(model, BaseModel)):
                continue
            for name, field in model.model_fields.items():
                most = next((m.max_length for m in field.metadata if getattr(m, "max_length", None)), None)
                if typing.get_origin(field.annotation) is list and most is not None:
                    least = next((m.min_length for m in field.metadata if getattr(m, "min_length", None)), 0)
                    found.add((model.__name__, name, least, most))
    return found


def test_every_bounded_list_of_the_rule_files_is_walked_here() -> None:
    assert _bounded_lists() == {(model, name, least, most) for model, name, _, _, least, most in LISTS}


def _with_length(path: str, where: tuple[Any, ...], count: int) -> list[str]:
    """The schema's problems with the list at `where` of a shipped file made `count` items of its first one."""
    data = copy.deepcopy(parse_document(path, Path("rules", path).read_text())[0].data)  # type: ignore[union-attr]
    parent = data
    for key in where[:-1]:
        parent = parent[key]
    parent[where[-1]] = [parent[where[-1]][0]] * count
    doc, problems = parse_document(path, json.dumps(data, ensure_ascii=False, indent=1))  # JSON is YAML
    assert problems == [] and doc is not None
    return [p.message for p in validate_document(doc)[1] if "items, got" in p.message or "item, got" in p.message]


@pytest.mark.parametrize(("path", "where", "least", "most"), [row[2:] for row in LISTS],
                         ids=[f"{row[0]}.{row[1]}" for row in LISTS])
def test_a_list_of_the_rule_files_says_its_bound_past_it(path: str, where: tuple[Any, ...], least: int,
                                                         most: int) -> None:
    took = f"exactly {most}" if least == most else f"at most {most}"

    assert _with_length(path, where, most) == []
    [message] = _with_length(path, where, most + 1)
    assert message.endswith(f"takes {took} items, got {most + 1}")
    if least > 0:
        [short] = _with_length(path, where, least - 1)
        assert short.endswith(f"got {least - 1}") and (f"at least {least}" in short or took in short)


def _condition_problems(text: str) -> list[tuple[int, int, str, str]]:
    files = read_rule_files(Path("rules"))
    files["zz_lists.yaml"] = text
    return [(p.line, p.col, p.code, p.message) for p in lint(files, "rules") if p.path == "rules/zz_lists.yaml"]


@pytest.mark.parametrize("op", ["in", "not_in"])
def test_an_in_or_not_in_list_past_its_bound_says_the_bound_and_its_count_at_the_list(op: str) -> None:
    at = _condition_problems(lists_file(1, items=MAX_LIST_ITEMS, op=op))
    [(line, col, code, message)] = _condition_problems(lists_file(1, items=MAX_LIST_ITEMS + 1, op=op))

    assert at == [] and (line, code) == (7, "invalid_value")
    assert col == lists_file(1, items=1, op=op).splitlines()[6].index(f"{op}:") + 1  # at the list's key
    assert f"`{op}` takes at most 100 items; this list has 101" in message


def test_a_between_past_its_two_ends_says_it_takes_low_and_high() -> None:
    between = lists_file(1, items=1).replace("{not_in: [1000]}", "{between: [1, 2]}")

    assert _condition_problems(between) == []
    [(_, _, _, message)] = _condition_problems(between.replace("[1, 2]", "[1, 2, 3]"))
    assert "`between` takes [low, high] numbers" in message
