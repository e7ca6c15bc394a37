"""pydantic's validation errors of a rule file as problems risk staff can act on: a stable code, the file and line,
the rule's id and a did-you-mean."""

from __future__ import annotations

import difflib
import re
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from policy_engine.domain.suggest import ECHOED_AT_MOST, close_choices, meant_choice, quoted
from policy_engine.domain.values import IDENTIFIER_PATTERN
from policy_engine.rules.echo_yaml import as_written
from policy_engine.rules.numbers import NumberSetting, describe, setting_of, split_after, split_number
from policy_engine.rules.problems import Problem
from policy_engine.rules.schema_base import CODE_PATTERN, RULE_ID_PATTERN
from policy_engine.rules.split_texts import later_piece, split_text
from policy_engine.rules.yes_no import not_true_false

if TYPE_CHECKING:  # the evaluator reads these models; only the compiler needs the loader
    from policy_engine.rules.loader import Document


def _known_fields(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The field names allowed at `loc` (for did-you-mean on unknown keys)."""
    return list(getattr(_container(model, loc), "model_fields", {}))


def _container(model: type[BaseModel], loc: tuple[Any, ...]) -> Any:
    """The model whose field `loc[-1]` is (list indexes on the way skipped), or None."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int) or current is None:
            continue
        info = getattr(current, "model_fields", {}).get(part)
        if info is None:
            return None
        current = inner_model(info.annotation)
    return current


def _number_problem(doc: Document, model: type[BaseModel], loc: tuple[Any, ...], err: Any) -> Problem | None:
    """A number setting's problem in plain words (numbers.py), or None when `loc` is no number setting."""
    setting = setting_at(model, loc)
    name = next((str(part) for part in reversed(loc) if not isinstance(part, int)), "")
    described = (describe(err, setting, split_after(doc.data, loc), name, doc.points.get(loc))
                 if setting is not None else None)
    if described is None:
        return None
    return doc.problem(loc, described[0], f"{named_path(doc.data, loc)}: {described[1]}")


def setting_at(model: type[BaseModel], loc: tuple[Any, ...]) -> NumberSetting | None:
    """The number setting of `model` at `loc` (an item of a list of numbers, such as `range`, is its list's); None
    when `loc` is no number setting."""
    field_loc = loc
    while field_loc and isinstance(field_loc[-1], int):
        field_loc = field_loc[:-1]
    info = getattr(_container(model, field_loc), "model_fields", {}).get(field_loc[-1]) if field_loc else None
    return setting_of(info.annotation, info.metadata) if info is not None else None


def inner_model(annotation: Any) -> Any:
    """The model a field's annotation holds, as itself, in a list or optional (`list[Invoice]` → Invoice), or None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = inner_model(arg)
        if found is not None:
            return found
    meta = getattr(annotation, "__origin__", None)
    return inner_model(meta) if meta is not None and meta is not annotation else None


KEY_SPELLINGS = {"then": "effects", "effect": "effects", "do": "effects", "if": "when", "condition": "when",
                 "conditions": "when"}
"""Words other rule languages use for a rule's parts: `then:` got `did you mean "when"?` by its spelling."""


def suggest(name: str, options: list[str]) -> str:
    """` — did you mean "x"?` when a close option exists: the one `name` equals but for case (`aa`, `Approve`),
    else the closest by spelling, else the one it is closest to with case and a notch sign ignored (`Bbb+`)."""
    close = close_choices(name, options, fuzzy=False) or _closest(name, options)
    meant = close[0] if close else meant_choice(name, options)
    return f' — did you mean "{meant}"?' if meant else ""


def _closest(name: str, options: list[str]) -> list[str]:
    """The option closest to `name` by spelling (difflib, 0.6 or more), or none when two are as close: `AB` is as
    near A as B, and naming one of them was a guess."""
    close = difflib.get_close_matches(name, options, n=2, cutoff=0.6)
    ratings = {difflib.SequenceMatcher(None, option, name).ratio() for option in close}
    return close[:1] if len(ratings) == len(close) else []


def problems_from(doc: Document, model: type[BaseModel], errors: list[Any]) -> list[Problem]:
    """pydantic's errors of `model` as located, coded problems of `doc`: a required key that is missing where an
    unknown key of the same mapping is its misspelling or another word for it (`then:` for `effects:`) is one
    problem, at that key, not a second one at the rule."""
    unknown = {tuple(e["loc"][:-1]) + (meant,): tuple(e["loc"]) for e in errors if e["type"] == "extra_forbidden"
               if (meant := _meant_key(str(e["loc"][-1]), _known_fields(model, tuple(e["loc"]))))}
    answered = {unknown[loc] for e in errors if e["type"] == "missing" and (loc := tuple(e["loc"])) in unknown}
    return [problem_from(doc, model, e, lacking=tuple(e["loc"]) in answered) for e in errors
            if not (e["type"] == "missing" and unknown.get(tuple(e["loc"])) in answered)
            and not (e["type"] == "extra_forbidden" and later_piece(doc, tuple(e["loc"])))]  # said at the first


def _meant_key(name: str, known: list[str]) -> str | None:
    """The key an unknown key `name` stands for: another word for it (`then` → `effects`), else the closest by
    spelling; a word for another part is never guessed at by its spelling (`then` is no misspelt `when`)."""
    if name.lower() in KEY_SPELLINGS:
        meant = KEY_SPELLINGS[name.lower()]
        return meant if meant in known else None
    close = close_choices(name, known, fuzzy=False) or difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return close[0] if close else None


def problem_from(doc: Document, model: type[BaseModel], err: Any, lacking: bool = False) -> Problem:
    """One pydantic error of `model` as a located, coded problem of `doc`; `lacking` when the key an unknown key
    stands for is missing, said there in place of a problem of its own."""
    loc = tuple(err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden":
        name = str(loc[-1])
        hint = split_number(doc.data, loc) or split_text(doc, loc)
        meant = _meant_key(name, _known_fields(model, loc))
        if not hint:
            hint = f' — did you mean "{meant}"?' if meant else ""
        else:
            hint = f": {hint}"
        if not hint and len(loc) > 1 and name in _known_fields(model, loc[:-1]):
            hint = f': it belongs beside "{loc[-2]}", not inside it'
        if lacking:
            hint += f' (the one missing here: rename "{name}" to "{meant}")'
        return doc.problem(loc, "unknown_field", f"unknown field {quoted(name)}{hint}")
    if kind == "missing":
        return _missing(doc, loc)
    number = _number_problem(doc, model, loc, err)
    if number is not None:
        return number
    code = "type_mismatch" if kind.endswith("_type") or kind.endswith("_parsing") else "invalid_value"
    message = str(err["ctx"]["error"]) if kind == "value_error" else _words(loc, kind, err) or str(err["msg"])
    if kind in ("too_long", "too_short") and isinstance(err.get("input"), list):
        message = _list_length(model, loc, err)
    if kind.startswith("bool_"):  # every true/false setting of every kind, in the words a condition's value gets
        message = not_true_false(str(loc[-1]), err.get("input"))
    if kind == "literal_error":  # an outcome, grade, class, severity …: in the words conditions use
        message = _not_one_of(err.get("input"), re.findall(r"'([^']*)'", str(err.get("ctx", {}).get("expected", ""))))
    return doc.problem(loc, code, f"{named_path(doc.data, loc)}: {message}")


def _not_one_of(value: Any, allowed: list[str]) -> str:
    """`"HOLDS" is not one of APPROVE, HOLD, … — did you mean "HOLD"?`, as a condition says a value outside its
    field's set (pydantic: `Input should be 'APPROVE', 'HOLD', … or 'REJECT'`)."""
    said = quoted(value) if isinstance(value, str) else as_written(value)
    hint = suggest(value, allowed) if isinstance(value, str) else ""
    if len(allowed) == 1:
        return f"{said} is not {allowed[0]}, the one value it takes{hint}"
    return f"{said} is not one of {', '.join(allowed)}{hint}"


def _words(loc: tuple[Any, ...], kind: str, err: Any) -> str | None:
    """A title or source in staff's words, not pydantic's (`Input should be a valid dictionary or instance of
    Title`, `String should have at least 3 characters`)."""
    field, value = (loc[-1] if loc else None), err.get("input")
    if field == "title" and kind == "model_type":
        got = "a text" if isinstance(value, str) else "a list" if isinstance(value, list) else "no title"
        return f"got {got}; write {{zh: …, en: …}} (the title in Chinese and in English)"
    if kind == "string_pattern_mismatch" and isinstance(value, str) and field in ("zh", "en", "name"):
        odd = next((c for c in value if re.fullmatch(IDENTIFIER_PATTERN, c) is None), "")
        return (f"contains U+{ord(odd):04X}, a control or invisible formatting character, at position "
                f"{value.index(odd) + 1}; it is shown on one line of plain text: remove it")
    if field == "code" and kind == "string_pattern_mismatch" and isinstance(value, str):  # a warning sign's
        meant = re.sub(r"[^A-Z0-9]+", "_", value.upper()).strip("_")
        write = f"; write {meant}" if re.fullmatch(CODE_PATTERN, meant) and len(meant) <= ECHOED_AT_MOST else ""
        return f"{quoted(value)} is not written as a reason code (capital letters, digits and _, a letter first){write}"
    if field == "id" and kind == "string_pattern_mismatch" and isinstance(value, str):
        meant = ".".join(w for w in (re.sub(r"[^a-z0-9_]+", "_", p.lower()).strip("_") for p in value.split(".")) if w)
        write = f"; write {meant}" if re.fullmatch(RULE_ID_PATTERN, meant) and len(meant) <= ECHOED_AT_MOST else ""
        return (f"{quoted(value)} is not written as a rule id (small letters, digits and _, in parts joined by dots, "
                f"such as warn.pays_late){write}")
    if field == "source" and kind == "string_too_short":
        return (f'"{value}" is too short (at least {err["ctx"]["min_length"]} characters); write the handbook passage '
                "the rule encodes")
    return None


def _list_length(model: type[BaseModel], loc: tuple[Any, ...], err: Any) -> str:
    """`takes exactly 2 items, got 3` for `range: [0, 100, 5]` (pydantic: `List should have at most 2 items after
    validation, not 3`), with the bounds the field has."""
    container = _container(model, loc)
    field = getattr(container, "model_fields", {}).get(str(loc[-1])) if loc else None
    bounds = {attr: getattr(m, attr) for m in (field.metadata if field else []) for attr in ("min_length", "max_length")
              if getattr(m, attr, None) is not None}
    low, high = bounds.get("min_length"), bounds.get("max_length", err["ctx"].get("max_length"))
    if low is not None and low == high:
        took = f"exactly {high}"
    else:
        took = f"at least {err['ctx'].get('min_length', low)}" if err["type"] == "too_short" else f"at most {high}"
    return f"takes {took} item{'' if took.endswith(' 1') else 's'}, got {len(err['input'])}"


def _missing(doc: Document, loc: tuple[Any, ...]) -> Problem:
    """A required key that is absent; one written a level too deep (indented under its neighbour `when:`, say)
    is reported where it is written, saying so: that is the line to edit."""
    parent: Any = doc.data
    for part in loc[:-1]:
        parent = parent[part] if isinstance(parent, dict | list) else None
    owner = named_path(doc.data, loc[:-1])
    lead = f'{owner}: missing field "{loc[-1]}"' if owner else f'missing field "{loc[-1]}"'
    for key, value in (parent.items() if isinstance(parent, dict) else ()):
        if isinstance(value, dict) and loc[-1] in value:
            message = f'{lead}: it is written inside "{key}"; move it out, in line with "{key}"'
            return doc.problem((*loc[:-1], key, loc[-1]), "missing_field", message)
    hint = _WRITE_MISSING.get(str(loc[-1]))
    if loc[-1] == "code" and isinstance(parent, dict):
        hint = _code_hint(parent.get("id"))
    return doc.problem(loc, "missing_field", f"{lead}: {hint}" if hint else lead)


def _code_hint(rule_id: Any) -> str:
    """What to write for a warning sign's missing `code`: its id's last part in capitals (warn.loss_making →
    LOSS_MAKING), as the shipped signs mostly are."""
    word = re.sub(r"[^A-Z0-9]+", "_", str(rule_id).rpartition(".")[2].upper()).strip("_") if rule_id else ""
    example = word if re.fullmatch(CODE_PATTERN, word) else "PAYS_LATE"
    return (f"write code: {example} (the reason code callers see when the sign fires: capital letters, digits "
            "and _)")


_WRITE_MISSING = {
    "source": 'write the handbook passage the rule encodes, such as source: "002 付款变化: 延迟付款期限"',
    "title": "write title: {zh: …, en: …} (what every decision shows, in Chinese and in English)",
    "id": "write id: … (a stable id decisions, logs and tests refer to, such as warn.pays_late)",
    "en": "write the title in English beside the Chinese one: {zh: …, en: …} (decisions show both)",
    "zh": "write the title in Chinese beside the English one: {zh: …, en: …} (decisions show both)",
    "effects": "write effects: {…} with what the sign does: downgrade: 1 (notches), cap_grade: B, urgent_review: "
    "true, limit_factor: 0.8, hold_orders: true, request_collateral: true",
}
"""What to write for a required key every rule has (and either half of a title), where its absence is all that is
wrong."""


_ITEM_NAMES = {"factors": "factor", "cases": "case"}
"""What an item with an id is called, by the list it is in: a scorecard factor is no rule (its rows are), nor is a
rule test case."""


def rule_label(data: Any, loc: tuple[Any, ...]) -> str:
    """`rule warn.pays_late` (or `factor character`) for a place inside that rule of a rule file, else "": what
    every problem there starts with. A rule test case is not labelled here: its problems say the case their way."""
    label = named_path(data, loc).partition(":")[0]
    return label if label.startswith(("rule ", "factor ")) else ""


def named_path(data: Any, loc: tuple[Any, ...]) -> str:
    """`rules[3].effects.downgrade`, or led by the id of the innermost rule (or factor) on the path:
    `rule warn.pays_late: effects.downgrade`, `factor character: weight`."""
    rule_id, start, node, what = None, 0, data, "rule"
    for i, part in enumerate(loc):
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(part, int) and isinstance(node, dict) and isinstance(node.get("id"), str):
            rule_id, start, what = node["id"], i + 1, _ITEM_NAMES.get(str(loc[i - 1]) if i else "", "rule")
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc[start:]).lstrip(".")
    if rule_id is None:
        return path
    rule_id = rule_id if len(rule_id) <= ECHOED_AT_MOST else rule_id[:ECHOED_AT_MOST] + "…"  # refused as too long
    return f"{what} {rule_id}: {path}" if path else f"{what} {rule_id}"
