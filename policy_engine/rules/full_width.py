"""A Chinese input method's full-width punctuation or space where YAML needs its ASCII mark (`interval_months： 3`,
`[74，82]`, `interval_months:　3`), and a character pasted in that looks like a space or nothing at all: the parser,
or a later check, reports what it made of the line ("could not find expected ':'", a key named
`months_of_purchases： 3`), which names a mark staff can see they typed. Said as what it is, at it."""

from __future__ import annotations

import re
from dataclasses import replace

from policy_engine.rules.problems import Problem

ASCII_OF = {"：": ":", "，": ",", "［": "[", "］": "]", "｛": "{", "｝": "}"}
"""Each full-width mark YAML reads as text, and the ASCII one it means in a rule or case file."""

_SAID = {"　": 'a full-width space "　" (Chinese input): write an ordinary space instead',
         "\u00a0": "a no-break space (U+00A0, pasted from a web page or a word processor): write an ordinary space "
                   "instead"}
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff")
"""Characters that show as nothing: a key or number holding one looks right and is not."""
_KEY_AFTER = re.compile(r"\s*[A-Za-z_][A-Za-z0-9_]*\s*[:：]")


def slip_on(line: str) -> int | None:
    """The 0-based column of the first full-width mark on `line` that stands in YAML's syntax: after an ASCII
    character (`months_of_purchases：`, `74，`, `: ［`) or before a key (`良，en:`), outside quotes and comments. One
    between Chinese words (`很干脆，大额`) is text."""
    quote = ""
    for col, char in enumerate(line):
        if char in _INVISIBLE:  # in quotes too: `"﻿3"` looks like "3"
            return col
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'" and (col == 0 or line[col - 1] in " [{,:"):
            quote = char
        elif char == "#" and (col == 0 or line[col - 1] == " "):
            return None
        elif char in ASCII_OF and (_ascii_before(line, col) or _KEY_AFTER.match(line, col + 1)) or char in _SAID:
            return col
    return None


def _ascii_before(line: str, col: int) -> bool:
    before = line[:col].rstrip()
    return bool(before) and before[-1].isascii()


def name_slips(problems: list[Problem], texts: dict[str, str]) -> list[Problem]:
    """Each problem on a line with a full-width slip, moved to the slip and saying what to write; `texts` are the
    files' contents by the path the problems name. A line's other problems are what the slip made of it."""
    named: list[Problem] = []
    said: set[tuple[str, int]] = set()  # the lines of `named`
    lines = _Lines(texts)
    for problem in problems:
        found = _slip_for(problem, lines)
        if found is None:
            named.append(problem)
            said.add((problem.path, problem.line))
            continue
        line, col, mark = found
        message = f"{_what(mark)}; as written, {problem.message}"
        if (problem.path, line) not in said:
            named.append(replace(problem, line=line, col=col + 1, message=message))
            said.add((problem.path, line))
    return named


class _Lines:
    """The files' lines, split once, and each line's slip, looked for once: aliases repeat one problem at one place
    tens of thousands of times, and splitting the file and scanning a long line for each took 30 s for 40,000."""

    def __init__(self, texts: dict[str, str]):
        self._texts = texts
        self._lines: dict[str, list[str]] = {}
        self._slips: dict[tuple[str, int], int | None] = {}

    def slip(self, path: str, line: int) -> tuple[int, str] | None:
        """The column and mark of the slip on `line` of `path` (1-based), if there is one."""
        lines = self._lines.get(path)
        if lines is None:
            lines = self._lines[path] = self._texts.get(path, "").splitlines()
        if not 0 < line <= len(lines):
            return None
        if (path, line) not in self._slips:
            self._slips[(path, line)] = slip_on(lines[line - 1])
        col = self._slips[(path, line)]
        return None if col is None else (col, lines[line - 1][col])


def _what(mark: str) -> str:
    """What the slip `mark` is and what to write instead."""
    if mark in _INVISIBLE:
        return f"an invisible character (U+{ord(mark):04X}, pasted in): delete it"
    if mark in _SAID:
        return _SAID[mark]
    return (f'a full-width "{mark}" (Chinese punctuation): write "{ASCII_OF[mark]}" instead (switch the input method '
            "to English punctuation)")


def _slip_for(problem: Problem, lines: _Lines) -> tuple[int, int, str] | None:
    """The slip behind `problem`: on its line, or for a YAML error on the line before (`id： q` reads on as one
    text, and the parser stops on the next line)."""
    for line in (problem.line, problem.line - 1) if problem.code == "yaml_error" else (problem.line,):
        found = lines.slip(problem.path, line)
        if found is not None:
            return line, *found
    return None
