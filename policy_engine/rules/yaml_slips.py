"""The YAML parser's errors in words risk staff can act on: the usual slips of hand editing (a tab, a line
indented out of line, a key without its colon, a key written twice) say what to do, at the line to edit."""

from __future__ import annotations

from typing import Any

from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError

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


def yaml_problem(path: str, exc: MarkedYAMLError) -> Problem:
    """The parser's message at its mark, with a hint for the common slips. A key without its colon is
    placed where the key starts: the parser notices only on a later line."""
    message = " ".join(str(x) for x in (exc.context, exc.problem) if x) or "invalid YAML"
    hint = next((hint for words, hint in _HINTS if words in message), "")
    keyless = "could not find expected ':'" in message
    mark = (exc.context_mark if keyless else None) or exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    return Problem(path, line, col, "yaml_error", f"{hint} ({message})" if hint else message)


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
               f'"{_cut(value)}", there "{_cut(mapping.get(key))}")')
    return DuplicateKeyError(None, None, message, key_node.start_mark)


def _cut(value: Any) -> str:
    text = str(value)
    return text if len(text) <= ECHOED_AT_MOST else text[: ECHOED_AT_MOST - 1] + "…"
