"""A text a comma split inside { } of a rule file (`title: {zh: 新客户, en: New, unproven customer}`): said as such
at the stray key, with the quotes to write, instead of a bare `unknown field "unproven customer"`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from policy_engine.rules.numbers import mapping_at

if TYPE_CHECKING:
    from policy_engine.rules.loader import Document


def split_text(doc: Document, loc: tuple[Any, ...]) -> str:
    """For an unknown key at `loc` that is the rest of a text a comma cut off: how it reads, what to write; else ""."""
    start = _text_start(doc, loc)
    if start is None:
        return ""
    pieces = [str(mapping_at(doc.data, loc[:-1])[start]), str(loc[-1])] + [str(k) for k in _rest(doc, loc)]
    meant = pieces[0] + "".join(("," if _wide(p[0]) else ", ") + p for p in pieces[1:])
    strays = " and ".join(f'"{p}"' for p in pieces[1:])
    return (f"a text where a key belongs. Inside {{ }} a comma ends an entry, so {start} reads as "
            f'"{pieces[0]}" and the rest as {"keys" if len(pieces) > 2 else "a key"} ({strays}); put the whole '
            f'text in quotes: {start}: "{meant}"')


def later_piece(doc: Document, loc: tuple[Any, ...]) -> bool:
    """Whether the unknown key at `loc` is the second or a later stray piece of one split text (said at the first)."""
    start = _text_start(doc, loc)
    if start is None:
        return False
    keys = list(mapping_at(doc.data, loc[:-1]))
    return keys.index(loc[-1]) > keys.index(start) + 1


def _text_start(doc: Document, loc: tuple[Any, ...]) -> Any:
    """The key whose text value the stray key at `loc` continues, or None: walking back over keys without a value
    written on the same line (a flow mapping's `, piece,` has neither colon nor value) to one holding a text."""
    mapping = mapping_at(doc.data, loc[:-1])
    keys = list(mapping)
    if loc[-1] not in keys or mapping[loc[-1]] is not None:
        return None
    line = doc.positions.get(tuple(loc), (0, 0))[0]
    at = keys.index(loc[-1])
    while at > 0:
        at -= 1
        key = keys[at]
        if doc.positions.get((*loc[:-1], key), (-1, 0))[0] != line:
            return None  # a block mapping's keys stand on lines of their own: an empty value there is meant so
        value = mapping[key]
        if isinstance(value, str) and value:
            return key
        if value is not None:
            return None
    return None


def _rest(doc: Document, loc: tuple[Any, ...]) -> list[Any]:
    """The stray keys after `loc` that continue the same text."""
    mapping = mapping_at(doc.data, loc[:-1])
    keys = list(mapping)
    rest = []
    for key in keys[keys.index(loc[-1]) + 1:]:
        if mapping[key] is not None or not later_piece(doc, (*loc[:-1], key)):
            break
        rest.append(key)
    return rest


def _wide(char: str) -> bool:
    """A CJK character: Chinese text runs on after a comma without a space."""
    return ord(char) >= 0x2E80
