"""A value a rule-file problem repeats, in the file's words (YAML flow style, cut short), not Python's.

Apart from yaml_slips.py: the schema's and the conditions' messages use it, and an engine worker imports those
modules with the evaluator; it must not import the YAML parser (tests/unit/test_worker_imports.py), which only a
message being written needs."""

from __future__ import annotations

import io
from collections.abc import Collection
from itertools import islice
from typing import TYPE_CHECKING, Any

from policy_engine.domain.suggest import echoed

if TYPE_CHECKING:
    from ruamel.yaml import YAML

ECHOED_AT_MOST = 80
"""Characters of a value a message repeats: a duplicate `rows:` echoed the whole table, twice."""


def as_written(value: Any) -> str:
    """A refused value as a message repeats it, in the file's words, not Python's: `null (nothing after the colon)`,
    `true`, `.nan`, `[1, 2]`, `{gt: 5}`; a text quoted (`'yes'`, as the messages have always quoted one); cut short."""
    if value is None:
        return "null (nothing after the colon)"
    if isinstance(value, str):
        return echoed(value)
    return cut(value)


def cut(value: Any) -> str:
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
    from ruamel.yaml import YAML  # here: a worker imports these messages' module, never the YAML parser

    flow = YAML(typ="safe", pure=True)
    flow.default_flow_style = True
    flow.width = 1 << 30  # one line: the message cuts it
    flow.allow_unicode = True
    flow.brace_single_entry_mapping_in_flow_sequence = True  # `[{id: x}]`, not `[id: x]`
    flow.representer.sort_base_mapping_type_on_output = False  # the keys in the order written
    return flow
