"""Hypothesis strategies that break the shipped rule files the ways hand-editing does (holds no tests).

A mutation works on a rules folder as {relative path: bytes}. Structure-aware ones parse a shipped file, change one
node of its tree (a value of another type, a key deleted, renamed to a near miss or added, a section taken from
another file, a node repeated as a YAML alias) and write it back as YAML; text ones change the bytes (a line
repeated, a value replaced by a raw YAML token, tabs, a BOM, CRLF, bytes that are not UTF-8, a cut, an alias bomb);
folder ones add, empty, drop or copy a file. tests/unit/test_rule_fuzz.py asserts what the loader makes of them.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from ruamel.yaml import YAML

RULES = Path(__file__).resolve().parents[1] / "rules"
SHIPPED = {p.name: p.read_bytes() for p in sorted(RULES.glob("*.yaml"))}
"""The shipped rule files (not their tests/), by name."""

Folder = dict[str, bytes]
Draw = Callable[[st.SearchStrategy[Any]], Any]
Loc = tuple[str | int, ...]

_SAFE = YAML(typ="safe", pure=True)


def plain(text: bytes) -> Any:
    """A shipped file's data (plain dicts, lists and scalars)."""
    return _SAFE.load(text.decode("utf-8"))


def dumped(data: Any) -> bytes:
    """`data` written as YAML (a node met twice written as an anchor and its alias, as the dumper does)."""
    yaml = YAML(typ="safe", pure=True)
    yaml.allow_unicode, yaml.width, yaml.default_flow_style = True, 120, False
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue().encode("utf-8")


def locations(data: Any, most: int = 3_000) -> list[Loc]:
    """The paths of `data`'s nodes, the root first: each list or mapping entered once (an earlier mutation may
    have left an alias of a node inside itself, or a billion laughs), at most `most`."""
    found: list[Loc] = []
    entered: set[int] = set()
    pending: list[tuple[Loc, Any]] = [((), data)]
    while pending and len(found) < most:
        loc, node = pending.pop(0)
        found.append(loc)
        if isinstance(node, dict | list) and id(node) not in entered:
            entered.add(id(node))
            pending += [((*loc, k), node[k]) for k in (node if isinstance(node, dict) else range(len(node)))]
    return found


def _parent(data: Any, loc: Loc) -> Any:
    for step in loc[:-1]:
        data = data[step]
    return data


def _nested(depth: int) -> Any:
    value: Any = "deep"
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


RAW_TOKENS = ["1e400", "-1e400", ".nan", ".NaN", ".inf", "-.inf", "1_000", "1,000", "1.000", "0x1F", "0o17", "+5",
              "-0", "12:30", "2026-13-45", "2026-02-30", "yes", "no", "on", "off", "~", "null", "''", '""', "[]",
              "{}", "[1, [2, [3]]]", "{a: }", "&x 1", "*nope", "!!python/object:os.system ls", "!!binary aGk=",
              "!!int x", "!!float 1", "!!str 5", "|\n  block", ">-", "｛gt： 5｝", "５０", "\u200b", "'unclosed",
              "- item", "? complex", "%YAML 1.1", "---", "...", "@x", "`x`", "10%", "$5,000", "¥5000", "1e-400",
              "9" * 400, "-" + "9" * 30, "0." + "0" * 300 + "1", "[" * 300 + "]" * 300, "{a: " * 120 + "1" + "}" * 120]
"""Raw YAML put where a value was: numbers YAML cannot hold, its other scalar types, tags, slips of the hand."""


def junk_values(largest: int = 20_000) -> st.SearchStrategy[Any]:
    """A value of any type a YAML file can hold, the ones that break programs weighted up; a text of up to `largest`
    characters, a list of up to a tenth as many items (past 1 MiB a file is refused unread; below it, reading costs
    ~20 s a MiB on one core)."""
    scalars = st.one_of(
        st.none(), st.booleans(), st.integers(), st.integers(-(10**400), 10**400),
        st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40),
        st.text(st.characters(codec="utf-8"), max_size=40),
        st.sampled_from(["", " ", "C", "AAA", "score", "gt", "between", "APPROVE", "urgent", "first", "collect",
                         "\x00", "\ufeff", "\u202e", "𝔸", "ＡＡＡ", "a" * 300, "🙂" * 50]),
        st.integers(1_000, largest).map(lambda n: "x" * n),
    )
    return st.one_of(
        scalars,
        st.lists(scalars, max_size=5), st.dictionaries(st.text(max_size=8), scalars, max_size=4),
        st.integers(1, 150).map(_nested),  # the dumper recurses: deeper as text (RAW_TOKENS)
        st.integers(100, largest // 10).map(lambda n: [0] * n),
        st.integers(2, 2_000).map(lambda n: {f"k{i}": i for i in range(n)}),
    )


def near_miss(draw: Draw, key: str) -> str:
    """`key` as a slip of the hand writes it: a letter lost, doubled or swapped, another case, a space or a
    full-width letter, a hyphen for an underscore."""
    if not key:
        return "x"
    i = draw(st.integers(0, len(key) - 1))
    edits = [key[:i] + key[i + 1:], key[:i] + key[i] + key[i:], key[:i] + key[i + 1:i + 2] + key[i:i + 1] + key[i + 2:],
             key.upper(), key.capitalize(), key + " ", " " + key, key + "s", key.replace("_", "-"),
             key.replace("_", ""), key[:i] + chr(ord(key[i]) + 0xFEE0) + key[i + 1:] if "!" <= key[i] <= "~" else key,
             key + "\u200b"]
    return str(draw(st.sampled_from(edits))) or "x"


def _structure(draw: Draw, folder: Folder, largest: int) -> str:
    """One node of one file changed, the file written back as YAML."""
    name = draw(st.sampled_from(sorted(SHIPPED)))
    try:
        data = plain(folder.get(name, SHIPPED[name]))
    except Exception:  # an earlier mutation broke its YAML: start again from the shipped file
        data = plain(SHIPPED[name])
    loc = draw(st.sampled_from(locations(data)))
    how = draw(st.sampled_from(["replace", "replace", "delete", "rename", "add", "alias", "swap", "repeat_item"]))
    if not loc:
        data = draw(junk_values(largest)) if how == "replace" else data
    elif how == "replace":
        _parent(data, loc)[loc[-1]] = draw(junk_values(largest))
    elif how == "delete":
        del _parent(data, loc)[loc[-1]]
    elif how == "rename" and isinstance(loc[-1], str):
        parent = _parent(data, loc)
        parent[near_miss(draw, loc[-1])] = parent.pop(loc[-1])
    elif how == "add" and isinstance(_parent(data, loc), dict):
        _parent(data, loc)[draw(st.sampled_from([*_parent(data, loc), "when", "id", "x"]))] = draw(junk_values(largest))
    elif how == "alias":  # another node of the file repeated here: written as `&id001` … `*id001`; the node
        other = draw(st.sampled_from(locations(data)))  # itself or one holding it: a recursive alias
        _parent(data, loc)[loc[-1]] = _parent(data, (*other, None))
    elif how == "swap":  # a top-level section of another file put here
        other = plain(SHIPPED[draw(st.sampled_from(sorted(SHIPPED)))])
        key = draw(st.sampled_from(sorted(other)))
        _parent(data, loc)[loc[-1]] = other[key]
    elif how == "repeat_item" and isinstance(loc[-1], int):
        parent = _parent(data, loc)
        parent.insert(loc[-1], parent[loc[-1]])
    folder[name] = dumped(data)
    return f"{name}: {how} at {'/'.join(map(str, loc)) or 'the top'}"


def _line_edit(draw: Draw, text: bytes) -> bytes:
    """One line of `text` repeated, dropped, tab-indented, or its value replaced by a raw token."""
    lines = text.split(b"\n")
    i = draw(st.integers(0, len(lines) - 1))
    line = lines[i]
    how = draw(st.sampled_from(["repeat", "drop", "tab", "token", "token", "cut"]))
    if how == "repeat":
        lines.insert(i, line)
    elif how == "drop":
        del lines[i]
    elif how == "tab":
        lines[i] = re.sub(rb"^( +)", lambda m: b"\t" * max(1, len(m.group(1)) // 2), line) or b"\t" + line
    elif how == "token":
        token = draw(st.sampled_from(RAW_TOKENS)).encode()
        lines[i] = re.sub(rb"(:\s|-\s|\[|,\s*)[^,\]}\n]*", lambda m: m.group(1) + token, line, count=1) or token
    else:
        lines[i] = line[: draw(st.integers(0, len(line)))]
    return b"\n".join(lines)


BOMB = ("lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        + "".join(f"lol{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]\n" for i in range(1, 10))).encode()
"""A billion laughs: ten aliases of ten aliases, nine deep (10^9 items once expanded)."""


def _text(draw: Draw, folder: Folder, largest: int) -> str:
    """One file's bytes changed."""
    name = draw(st.sampled_from(sorted(folder)))
    text = folder[name]
    how = draw(st.sampled_from(["line", "line", "line", "bom", "crlf", "bytes", "cut", "bomb", "empty"]))
    if how == "line" and text:
        text = _line_edit(draw, text)
    elif how == "bom":
        text = b"\xef\xbb\xbf" + text
    elif how == "crlf":
        text = text.replace(b"\n", b"\r\n") if draw(st.booleans()) else text.replace(b"\n", b"\r")
    elif how == "bytes":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\x80\x80", b"\xed\xa0\x80", b"\x00",
                                                  "é".encode("latin-1"), "信".encode("gbk")])) + text[at:]
    elif how == "cut":
        text = text[: draw(st.integers(0, len(text)))]
    elif how == "bomb":
        text = text + b"\n" + BOMB if draw(st.booleans()) else BOMB
    elif how == "empty":
        text = draw(st.sampled_from([b"", b"\n", b"---\n", b"# only a comment\n", b"~\n", b"[]\n", b"...\n"]))
    folder[name] = text
    return f"{name}: {how}"


def _files(draw: Draw, folder: Folder, largest: int) -> str:
    """A file added (junk, a copy of another, another suffix), dropped or moved into a sub-folder."""
    how = draw(st.sampled_from(["junk", "copy", "drop", "yml", "nested"]))
    name = draw(st.sampled_from(sorted(folder)))
    if how == "junk":
        text = draw(st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode),
                              junk_values(largest).map(dumped), st.just(b"kind: warning_signs\n")))
        folder[draw(st.sampled_from(["extra.yaml", "zz.yml", "a/b.yaml", "policy.yml", "\u4fe1\u7528.yaml"]))] = text
    elif how == "copy":
        folder[f"copy_of_{name}"] = folder[name]
    elif how == "drop" and len(folder) > 1:
        del folder[name]
    elif how == "yml":
        folder[name.rsplit(".", 1)[0] + ".yml"] = folder.pop(name)
    elif how == "nested":
        folder[f"sub/{name}"] = folder.pop(name)
    return f"{name}: {how}"


class Broken:
    """A rules folder as {relative path: bytes} and the mutations that made it (its repr, in a failure: the
    files themselves run to ~50 KB)."""

    def __init__(self, files: Folder, steps: list[str]):
        self.files, self.steps = files, steps

    def __repr__(self) -> str:
        return f"Broken({'; '.join(self.steps)})"


@st.composite
def broken_folders(draw: Draw, largest: int = 20_000) -> Broken:
    """The shipped rule files with one to three mutations (mostly structural: they reach past the parser); `largest`
    bounds a junk value (junk_values)."""
    folder = dict(SHIPPED)
    steps = [draw(st.sampled_from([_structure, _structure, _structure, _text, _text, _files]))(draw, folder, largest)
             for _ in range(draw(st.integers(1, 3)))]
    return Broken(folder, steps)
