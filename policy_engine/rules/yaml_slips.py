"""The YAML parser's errors in words risk staff can act on: the usual slips of hand editing (a tab, a line
indented out of line, a key without its colon, a key written twice) say what to do, at the line to edit (a
thousands separator inside { } or [ ]: split_numbers.py)."""

from __future__ import annotations

from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.tokens import ScalarToken

from policy_engine.rules.echo_yaml import cut
from policy_engine.rules.numbers import split_number
from policy_engine.rules.problems import Problem

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
    message = (f'duplicate key "{cut(key)}": it is also written at {first}; keep one of the two (the value here is '
               f"`{cut(value)}`, there `{cut(mapping.get(key))}`)")
    return DuplicateKeyError(None, None, message, key_node.start_mark)


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
