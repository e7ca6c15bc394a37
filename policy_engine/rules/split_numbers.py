"""Numbers a thousands separator split inside { } or [ ] of a rule file (`floor: 1,500,000`, `[10,000, 50,000]`),
or a decimal comma (`floor: 1.000,50`, `{gt: 1,5}`, `[1,5, 2]`): put back together as one problem at their line,
naming each reading (amounts.readings) from the text as written, so the rest of the file is checked as read first."""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

from policy_engine.domain.amounts import DECIMAL_COMMA, Reading, readings, written


@dataclass(frozen=True)
class SplitNumber:
    """A number whose thousands separators split it inside { }: `floor: 1,500,000` reads as the entry `floor: 1`
    and the keys `500` and `000` (a comma ends an entry there); or inside [ ]: `[10,000, 50,000]` reads as four
    items; or a decimal comma inside { } (`floor: 1.000,50`: `floor: 1.000` and the key `50`)."""

    pieces: tuple[str, ...]
    """As written: ("1", "500", "000"), ("$1", "500", "000 CNY"), ("1.000", "50")."""
    readings: tuple[Reading, ...]
    """Each plain number it may mean, the first read on: (("1500000", ""),), or (("12500", ""), ("12.500", "if the
    comma is a decimal point"))."""
    as_text: bool = False
    """Meant as a decimal string in quotes, as money is in a rule test case ("125000.00")."""
    in_list: bool = False
    """Split inside [ ] (into items) rather than inside { } (into keys)."""
    ambiguous: bool = False
    """Inside [ ], every piece could be an item of its own (`[1,100, 200]`, `[1,5, 2]`): left as the items YAML
    reads."""

    @property
    def meant(self) -> str:
        """The plain number read on, so that the rest of the file is checked: the first reading."""
        return self.readings[0][0]

    @property
    def code(self) -> str:
        """The problem's code: ambiguous_number when it is not known which was meant, else type_mismatch."""
        return "ambiguous_number" if self.ambiguous else "type_mismatch"

    def message(self) -> str:
        """What was written, how it reads, and what to write instead."""
        head, *keys = (f'"{piece}"' for piece in self.pieces)
        shown = [(f'"{plain}"' if self.as_text else plain, why) for plain, why in self.readings]
        if self.ambiguous:  # the number as thousands first, then any other reading, then the items
            items = f"{', '.join(self.pieces[:-1])} and {self.pieces[-1]}"
            quoted = "(money in a case is a decimal string: in quotes," if self.as_text else "(a plain number:"
            others = "".join(f", {written((reading,))}" for reading in shown[1:])
            comma, plain = (("a decimal comma", "a point before the decimals") if self.readings[0][1] == DECIMAL_COMMA
                            else ("a thousands separator", "no thousands separators"))
            return (f"{','.join(self.pieces)} is ambiguous: the items {items} (inside [ ] a comma ends an item), or "
                    f"the number {self.meant} (no space after the comma, where other commas of the list have one, as "
                    f"after {comma}); write {shown[0][0]} {quoted} {plain}) for the number{others}, or "
                    f"{', '.join(self.pieces)} for the items")
        write = (f"{written(tuple(shown))} (money in a case is a decimal string: in quotes," if self.as_text
                 else f"{written(tuple(shown))} (a plain number:")
        reads = (f"[ ] a comma ends an item, so it reads as the items {', '.join([head, *keys[:-1]])} and {keys[-1]}"
                 if self.in_list else
                 f"{{ }} a comma ends an entry, so it reads as {head} and the key{'s' if len(keys) > 1 else ''} "
                 f"{' and '.join(keys)}")
        return (f"{','.join(self.pieces)} is one number, but inside {reads}; write {write} no currency sign or code, "
                "no thousands separators)")


_HEAD = re.compile(r"[¥￥$€£]?\d{1,3}")
_DECIMAL_HEAD = re.compile(r"[¥￥$€£]?(?:\d{1,3}(?:\.\d{3})+|\d{1,3}(?:\s\d{3})+|\d+)")
"""What stands before a decimal comma: digits, perhaps with points or spaces between thousands (1.000, 1 000)."""
_DECIMALS = re.compile(r"\d+")
_GROUP = re.compile(r"\d{3}")
_LAST_GROUP = re.compile(r"\d{3}(?:\.\d+)?(?:\s*[A-Za-z元]+)?")
_PLAIN_ITEM = re.compile(r"\d+(?:\.\d+)?")
_NULL = "tag:yaml.org,2002:null"


def rejoin_split_numbers(node: MappingNode, as_text: bool = False) -> list[tuple[ScalarNode, SplitNumber]]:
    """Put each number a thousands separator split in the flow mapping `node` back together (drop the keys that
    are its digit groups, the value is the number meant, or its text with `as_text`), so that the slip is one
    problem, at its line, and the rest of the file is checked as meant. Returns each joined value node with how
    it was written."""
    if node.flow_style is not True:
        return []
    pairs, kept, found = list(node.value), [], []
    i = 0
    while i < len(pairs):
        key, value = pairs[i]
        end = i + 1
        while end < len(pairs) and _group(*pairs[end]) and (end == i + 1 or _GROUP.fullmatch(pairs[end - 1][0].value)):
            end += 1
        if end == i + 1 and end < len(pairs) and _decimal_comma(value, *pairs[end]):
            end += 1
        split = _joined(value, [k.value for k, _ in pairs[i + 1:end]], as_text)
        if split is None:
            kept.append(pairs[i])
            i += 1
            continue
        joined = _joined_node(split, value, pairs[end - 1][0])
        kept.append((key, joined))
        found.append((joined, split))
        i = end
    node.value = kept
    return found


def rejoin_split_items(node: SequenceNode, as_text: bool = False) -> list[tuple[ScalarNode, SplitNumber]]:
    """Put each number a thousands separator split in the flow sequence `node` back together: digit groups after a
    comma with no space (`[10,000, 50000]`; in `[10, 000]` the space makes `000` an item), in a list that has a
    space after some other comma, or whose groups start with 0 as no item would (`[10,000,50,000]`; `[0,100]` and
    `[1,100]`, ranges written tight, stay two items). As rejoin_split_numbers, but where each piece could as well be
    an item (`[1,100, 200]`: 1100, or 1 and 100?) the items stay as YAML reads them and the split is returned marked
    ambiguous, at its first item, for lint to ask which was meant. So for a decimal comma's digits in a list with a
    space after some other comma (`[1,5, 2]`: 1.5, or 1 and 5?); `[1,5]`, written tight throughout, stays two items."""
    items = node.value
    if node.flow_style is not True or len(items) < 2:
        return []
    spaced = not all(_tight(a, b) for a, b in pairwise(items))
    kept, found = [], []
    i = 0
    while i < len(items):
        end = i + 1
        while (end < len(items) and _tight(items[end - 1], items[end]) and _digits(items[end])
               and (end == i + 1 or _GROUP.fullmatch(items[end - 1].value))):
            end += 1
        if end == i + 1 and spaced and _decimals_after(items, i):
            end += 1
        groups = [item.value for item in items[i + 1:end]]
        split = _joined(items[i], groups, as_text, True) if spaced or any(g[0] == "0" for g in groups) else None
        if split is None:
            kept.append(items[i])
            i += 1
            continue
        joined = items[i] if split.ambiguous else _joined_node(split, items[i], items[end - 1])
        kept += items[i:end] if split.ambiguous else [joined]  # an ambiguous one is not guessed at: only said
        found.append((joined, split))
        i = end
    node.value = kept
    return found


def _decimals_after(items: list[Any], i: int) -> bool:
    """Digits that are no group of three right after the comma that follows the plain number `items[i]` (`[1,5, 2]`,
    `[0,75, 1]`): a decimal comma's, in a list with a space after some other comma."""
    return (i + 1 < len(items) and _tight(items[i], items[i + 1]) and _digits(items[i + 1], _DECIMALS)
            and not _GROUP.fullmatch(items[i + 1].value) and _digits(items[i], _PLAIN_ITEM))


def _items_too(pieces: tuple[str, ...]) -> bool:
    """Whether each piece of a split number is also a plain number an item could be (`1`, `100`, `200.5`): no
    currency, no group starting with 0 (`000`, `050`), as no item would."""
    return all(_PLAIN_ITEM.fullmatch(piece) for piece in pieces) and not any(p[0] == "0" for p in pieces[1:])


def _tight(before: Any, after: Any) -> bool:
    """Whether only the comma stands between two items of a flow sequence."""
    return bool(before.end_mark.index + 1 == after.start_mark.index)


def _joined_node(split: SplitNumber, first: Any, last: Any) -> ScalarNode:
    """The scalar node of the number meant, spanning what was written."""
    tag = "str" if split.as_text else "float" if "." in split.meant else "int"
    return ScalarNode(f"tag:yaml.org,2002:{tag}", split.meant, first.start_mark, last.end_mark)


def _decimal_comma(before: Any, key: Any, value: Any) -> bool:
    """A key of digits with no value right after the comma that follows a number (`{gt: 1,5}`, `{floor: 1.000,50}`):
    the decimals of a decimal comma. Not after a space (`{floor: 1, 5}`): then it was written as a key of its own."""
    return (isinstance(before, ScalarNode) and before.style is None and bool(_DECIMAL_HEAD.fullmatch(before.value))
            and isinstance(key, ScalarNode) and key.style is None and bool(_DECIMALS.fullmatch(key.value))
            and key.start_mark.index == before.end_mark.index + 1 and isinstance(value, ScalarNode)
            and value.tag == _NULL and value.value == "")


def _group(key: Any, value: Any) -> bool:
    """A key that is a digit group with no value: what follows a thousands separator inside { }."""
    return _digits(key) and isinstance(value, ScalarNode) and value.tag == _NULL and value.value == ""


def _digits(node: Any, pattern: re.Pattern[str] = _LAST_GROUP) -> bool:
    """A plain scalar that is a digit group, the last one perhaps with decimals or a currency: `000`, `000.50`; or
    one `pattern` matches."""
    return isinstance(node, ScalarNode) and node.style is None and bool(pattern.fullmatch(node.value))


def _joined(value: Any, groups: list[str], as_text: bool, in_list: bool = False) -> SplitNumber | None:
    if not groups or not isinstance(value, ScalarNode) or value.style is not None:
        return None
    if not (_HEAD if in_list else _DECIMAL_HEAD).fullmatch(value.value):
        return None
    pieces = (value.value, *groups)
    found = readings(",".join(pieces))
    if not found:
        return None
    return SplitNumber(pieces, found, as_text, in_list, in_list and _items_too(pieces))
