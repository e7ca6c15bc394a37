"""The YAML parser's errors in words risk staff can act on: the usual slips of hand editing (a tab, a line
indented out of line, a key without its colon, a key written twice) say what to do, at the line to edit (a
thousands separator inside { } or [ ]: split_numbers.py)."""

from __future__ import annotations

import io
from collections.abc import Collection
from itertools import islice
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.tokens import ScalarToken

from policy_engine.domain.suggest import echoed
from policy_engine.rules.numbers import split_number
from policy_engine.rules.problems import Problem

ECHOED_AT_MOST = 80
"""Characters of a value a message repeats: a duplicate `rows:` echoed the whole table, twice."""

_HINTS = (  # (the parser's words, what to do about it): risk staff edit these files by hand
    ("'\\t'", "a tab character: replace it with spaces (YAML indents with spaces only)"),
    ("expected <block end>", "check this line's indentation: the keys of one mapping, and the items of one "
                             "list, start in the same column"),
    ("could not find expected ':'", "a key needs a colon and a space after it (`key: value`)"),
)


def yaml_problem(path: str, exc: MarkedYAMLError, text: str | None = None) -> Problem:
    """The parser's message at its mark, with a hint for the common slips. A key without its colon is
    placed where the key starts, and a quote left open where it opens: the parser notices only on a later
    line (`text`, the file's, shows where a quoted value ran on from)."""
    message = " ".join(str(x) for x in (exc.context, exc.problem) if x) or "invalid YAML"
    runaway = _runaway_quote(text, exc.problem_mark.line) if text is not None and exc.problem_mark else None
    if exc.context == "while scanning a quoted scalar" and exc.context_mark:
        return _at(path, exc.context_mark, "a quote opened here is never closed: close it on this line "
                                           f"({message})")
    if runaway is not None:
        return _at(path, runaway.start_mark, f"a quote opened here is not closed on this line: the parser read "
                                             f"on to line {exc.problem_mark.line + 1} and stopped there ({message}); "
                                             "close the quote on this line")
    hint = next((hint for words, hint in _HINTS if words in message), "")
    keyless = "could not find expected ':'" in message
    mark = (exc.context_mark if keyless else None) or exc.problem_mark or exc.context_mark
    return _at(path, mark, f"{hint} ({message})" if hint else message)


def _at(path: str, mark: Any, message: str) -> Problem:
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    return Problem(path, line, col, "yaml_error", message)


def _runaway_quote(text: str, error_line: int) -> ScalarToken | None:
    """The quoted value that began on an earlier line and ended on the error's (0-based) line: a quote left
    open runs on until the next quote and leaves what follows it to fail. Read only once a file has failed."""
    last = None
    try:
        for token in YAML(typ="rt", pure=True).scan(text):
            if isinstance(token, ScalarToken) and token.style in ('"', "'"):
                last = token
    except MarkedYAMLError:
        pass
    if last is None or last.end_mark.line != error_line or last.start_mark.line == error_line:
        return None
    return last


def duplicate_key(node: Any, key_node: Any, mapping: Any, key: Any, value: Any) -> DuplicateKeyError:
    """The error for `key` written again in `mapping` (a round-trip mapping built so far from `node`), at
    the second one: where the first is, and each value cut short; for `{floor: 1,000,000}` (the keys
    `000` and `000`), that a thousands separator split the number."""
    split = split_number(dict(mapping), (key,)) if node.flow_style and value is None else ""
    if split:
        return DuplicateKeyError(None, None, f'duplicate key "{key}": {split}', key_node.start_mark)
    try:
        line, col = mapping.lc.key(key)
        first = f"line {line + 1}, column {col + 1}"
    except (AttributeError, KeyError, TypeError):
        first = "above"
    message = (f'duplicate key "{_cut(key)}": it is also written at {first}; keep one of the two (the value here is '
               f"`{_cut(value)}`, there `{_cut(mapping.get(key))}`)")
    return DuplicateKeyError(None, None, message, key_node.start_mark)


def as_written(value: Any) -> str:
    """A refused value as a message repeats it, in the file's words, not Python's: `null (nothing after the colon)`,
    `true`, `.nan`, `[1, 2]`, `{gt: 5}`; a text quoted (`'yes'`, as the messages have always quoted one); cut short."""
    if value is None:
        return "null (nothing after the colon)"
    if isinstance(value, str):
        return echoed(value)
    return _cut(value)


def _cut(value: Any) -> str:
    """`value` as YAML writes it in flow style (`{id: limit.x}`, `[a, b]`, not Python's `{'id': 'limit.x'}`),
    cut to ECHOED_AT_MOST characters."""
    out = io.StringIO()
    _flow_dumper().dump(_plain(value, [ECHOED_AT_MOST]), out)
    text = out.getvalue().removesuffix("\n").removesuffix("\n...").strip()
    return text if len(text) <= ECHOED_AT_MOST else text[: ECHOED_AT_MOST - 1] + "…"


def _plain(value: Any, room: list[int]) -> Any:
    """Plain Python data for the safe dumper, which knows no round-trip types: at most `room[0]` nodes of it, each
    text at most ECHOED_AT_MOST characters, `…` for the rest. Only so much is shown, and an alias bomb (ten aliases
    of ten aliases, nine deep) written twice expanded to 10^9 items here: lint ran for hours."""
    room[0] -= 1
    if isinstance(value, dict):
        return {_key(_plain(k, room)): _plain(v, room) for k, v in _first(value.items(), room, ("…", "…"))}
    if isinstance(value, list | tuple):
        return [_plain(v, room) for v in _first(value, room, "…")]
    if value is None or isinstance(value, bool):
        return value
    for kind in (int, float):
        if isinstance(value, kind):
            return kind(value)
    text = str(value) if isinstance(value, str) else str(getattr(value, "value", value))  # a tagged scalar: its text
    return text if len(text) <= ECHOED_AT_MOST else text[:ECHOED_AT_MOST] + "…"


def _first(items: Collection[Any], room: list[int], rest: Any) -> list[Any]:
    """As many of `items` as `room` has nodes left for (at least one: `[…]` reads as cut, `[]` as empty), then
    `rest`."""
    kept = list(islice(items, max(1, room[0])))
    if len(kept) < len(items):
        room[0] = 0
        return [*kept, rest]
    return kept


def _key(key: Any) -> Any:
    """A key the dumper can write: a complex key (`? [a, b]`) as its text."""
    return key if key is None or isinstance(key, str | int | float) else str(key)


def _flow_dumper() -> YAML:
    """A dumper of one line of flow style (a new one per message: a YAML object is not safe to share between
    threads, and this is only on the way to an error)."""
    flow = YAML(typ="safe", pure=True)
    flow.default_flow_style = True
    flow.width = 1 << 30  # one line: the message cuts it
    flow.allow_unicode = True
    flow.brace_single_entry_mapping_in_flow_sequence = True  # `[{id: x}]`, not `[id: x]`
    flow.representer.sort_base_mapping_type_on_output = False  # the keys in the order written
    return flow


STANDARD_TAGS = frozenset({"str", "int", "float", "bool", "null", "map", "seq", "timestamp"})
"""The tags of YAML's own types, which a rule file may write (`!!str 5`)."""


def explicit_tag(node: Any) -> str | None:
    """An explicit tag left on a node: `!custom`, or a `!!` one YAML's standard types do not cover
    (`!!python/object:…` resolves to `tag:yaml.org,2002:python/object:…`). Never constructed, refused."""
    tag = getattr(node, "tag", None)
    value = getattr(tag, "value", tag) if tag is not None else None
    if not isinstance(value, str):
        return None
    if value.startswith("tag:yaml.org,2002:"):
        return None if value[len("tag:yaml.org,2002:"):] in STANDARD_TAGS else "!!" + value[len("tag:yaml.org,2002:"):]
    return value if value.startswith("!") else None
