"""Read rule files as data: safe YAML with every key's line and column kept for error messages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar, merge_attrib
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.parser import Parser
from ruamel.yaml.scanner import Scanner

from policy_engine.rules.node_budget import MAX_NODES as MAX_NODES
from policy_engine.rules.node_budget import NodeBudget as NodeBudget
from policy_engine.rules.problems import PolicyLoadError, Problem
from policy_engine.rules.rule_tree import RULE_SUFFIXES as RULE_SUFFIXES
from policy_engine.rules.rule_tree import TESTS_DIR as TESTS_DIR
from policy_engine.rules.rule_tree import RuleTree as RuleTree
from policy_engine.rules.rule_tree import read_rule_text, too_large
from policy_engine.rules.rule_tree import scan_rules_dir as scan_rules_dir
from policy_engine.rules.schema_problems import named_path, rule_label
from policy_engine.rules.split_numbers import SplitNumber
from policy_engine.rules.yaml_constructor import SELF_ALIAS_USED, RuleConstructor
from policy_engine.rules.yaml_slips import explicit_tag, yaml_problem

MAX_FILE_BYTES = 1 << 20
MAX_FILES = 200
MAX_TOTAL_BYTES = 1 << 20
"""All rule files together (the shipped ones are ~32 KB, a 30th of it). Reading YAML with positions costs
~10-17 s a MiB (measured), paid by every lint, test and reload before any check: at the former 4 MiB, a
minute. A version must also fit in one gRPC message (GetPolicy include_files; 8 MiB) and the audit log."""
MAX_RULES = 1_000
"""Rules (warning signs, scorecard rows, limit and cadence rows, reminders, follow-ups, order steps) in one rule set,
all files together: the shipped one has 82. GetPolicy describes every rule in one reply (ids, titles, sources: up
to ~3.9 KB a rule, aliases repeating the longest titles), which must fit in gRPC's 8 MiB beside the files and the
warnings: 3,982 rules made a 14.5-MB `rules` alone. The engine's own cliff is 4,096 rules (rete.c MAX_ACTIONS), past
which it refused the rule set without saying where (`engine_rejected` at the directory)."""
MAX_PATH_BYTES = 255
"""A rule file's path under the rules directory, UTF-8: GetPolicy names it with each of the file's rules, and a path
may be ~4,000 bytes long (nested folders), 4 MB over 1,000 rules."""

Path_ = tuple[str | int, ...]


@dataclass
class Document:
    """One parsed rule file: plain data plus the (line, col) of every key and list item."""

    path: str
    data: Any
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    read_past: dict[Path_, Problem] = field(default_factory=dict)
    """Problems reported at a place whose value was still read, as repaired (a split number, rejoined)."""
    points: dict[Path_, str] = field(default_factory=dict)
    """Numbers whose point may separate thousands (`1.000`), as written: the float does not tell (thousands_points)."""

    def where(self, loc: Path_) -> tuple[int, int]:
        """The position of `loc`, or of its nearest ancestor that has one."""
        loc = tuple(loc)
        while loc:
            if loc in self.positions:
                return self.positions[loc]
            loc = loc[:-1]
        return (1, 1)

    def problem(self, loc: Path_, code: str, message: str) -> Problem:
        """A Problem located at `loc` in this file; inside a rule, led by `rule <id>: ` (once) wherever it was
        made, so that no check (conditions, schema, titles, bands) can forget to say which rule it is."""
        line, col = self.where(loc)
        label = rule_label(self.data, tuple(loc))
        if label and not message.startswith(f"{label}:"):
            message = f"{label}: {message}"
        return Problem(self.path, line, col, code, message)


def read_rule_files(rules_dir: Path) -> dict[str, str]:
    """Every policy file under `rules_dir` (not its tests/), as {relative path: text}."""
    files, problems = read_rule_files_in_part(rules_dir)
    if problems:
        raise PolicyLoadError(problems)
    return files


def read_rule_files_in_part(rules_dir: Path) -> tuple[dict[str, str], list[Problem]]:
    """The policy files under `rules_dir` that could be read, and why each of the others could not.

    So that lint reports each readable file's own problems in the same run as an unreadable one (a
    broken link, not UTF-8, over 1 MiB). Raises PolicyLoadError when no file is read at all: no rules
    directory, or more rule files than are read."""
    tree = scan_rules_dir(rules_dir)
    if tree.problems and not rules_dir.is_dir():
        raise PolicyLoadError(tree.problems)
    paths = tree.rule_files
    if len(paths) > MAX_FILES:  # said before any is read: 200 files of up to 1 MiB each is enough
        raise PolicyLoadError([Problem(str(rules_dir), 1, 1, "unreadable",
                                       f"{len(paths)} rule files; at most {MAX_FILES} are read")])
    files, problems = _read_within_limits(rules_dir, paths)
    return files, [*tree.problems, *problems]


def _read_within_limits(rules_dir: Path, paths: list[Path]) -> tuple[dict[str, str], list[Problem]]:
    """Each file's text by its path relative to `rules_dir`, up to MAX_FILE_BYTES a file and
    MAX_TOTAL_BYTES in all, and why each of the others is not read."""
    files: dict[str, str] = {}
    problems: list[Problem] = []
    total = 0
    for path in paths:
        rel = path.relative_to(rules_dir).as_posix()
        shown = str(path)
        if len(rel.encode()) > MAX_PATH_BYTES:  # not read, as a file too large is not
            problems.append(Problem(shown, 1, 1, "unreadable", f"a path of {len(rel.encode())} bytes under the rules "
                                    f"directory; at most {MAX_PATH_BYTES} are read: move it up or shorten its names"))
            continue
        try:
            size = path.stat().st_size
        except OSError as exc:
            problems.append(Problem(shown, 1, 1, "unreadable", str(exc)))
            continue
        if size > MAX_FILE_BYTES:  # not read, so not counted: the total bounds what is read
            problems.append(Problem(shown, 1, 1, "unreadable", too_large(MAX_FILE_BYTES)))
            continue
        total += size
        if total > MAX_TOTAL_BYTES:  # said once, at the file that crosses it; the rest is not read
            problems.append(Problem(shown, 1, 1, "unreadable", f"the rule files up to this one come to {total} "
                                    f"bytes; at most {MAX_TOTAL_BYTES} in all are read ({MAX_TOTAL_BYTES >> 20} MiB: "
                                    "reading costs ~15 s a MiB, and a rule pack needs far less)"))
            break
        text = read_rule_text(path, MAX_FILE_BYTES)
        if isinstance(text, Problem):
            problems.append(text)
        else:
            files[rel] = text
    return files, problems


class _TooBig(Exception):
    def __init__(self, loc: Path_):
        self.loc = loc


@dataclass
class _Walk:
    """What _plain carries through a file: the nodes it may still build, the numbers rejoined by the
    constructor (by the position of their value) and where in the data each one ended up."""

    budget: int
    rejoined: dict[tuple[int, int], SplitNumber]
    pointed: dict[tuple[int, int], str]
    splits: dict[Path_, SplitNumber] = field(default_factory=dict)
    walked: set[int] = field(default_factory=set)
    """The mappings and lists met so far, by id: one met again is an alias (or `<<:`) being used."""
    inside: set[int] = field(default_factory=set)
    """The mappings and lists that hold the node being walked, by id: one met again contains itself."""


class _Refused(Exception):  # a node no rule file may hold: `message` says why, at `loc`
    def __init__(self, loc: Path_, message: str):
        self.loc, self.message = loc, message


def _key_position(node: CommentedMap, key: Any) -> Any:
    """Where `key` is written; None for a key merged in from an anchor (`<<: *shared`), which is then
    placed at its mapping (ruamel keeps no position for merged keys)."""
    try:
        return node.lc.key(key)
    except KeyError:
        return None


def _value_position(node: CommentedMap, key: Any) -> Any:
    try:
        return tuple(node.lc.value(key))
    except KeyError:  # merged in (`<<: *shared`): where the anchor's mapping writes it
        source = next((m for m in getattr(node, merge_attrib, ()) if key in m), None)
        return None if source is None else _value_position(source, key)


def _place(doc: Document, loc: Path_, pos: Any) -> None:
    if pos:
        doc.positions[loc] = (pos[0] + 1, pos[1] + 1)
    else:  # nodes built from tags carry no positions: use the parent's
        doc.positions[loc] = doc.where(loc[:-1])


def _plain(node: Any, loc: Path_, doc: Document, walk: _Walk) -> Any:
    """`node` as plain dicts, lists and scalars, each position noted in `doc`."""
    walk.budget -= 1
    if walk.budget < 0:
        raise _TooBig(loc)
    tag = explicit_tag(node)
    if tag is not None:
        raise _Refused(loc, f"explicit YAML tag {tag} is not allowed in rule files")
    if not isinstance(node, CommentedMap | CommentedSeq):
        return _plain_scalar(node)
    if id(node) in walk.inside:  # an alias inside the top mapping's own anchor: a loop (elsewhere RuleConstructor
        raise _Refused(loc, SELF_ALIAS_USED)  # refuses it: ruamel would build null)
    again = id(node) in walk.walked
    walk.walked.add(id(node))
    walk.inside.add(id(node))
    try:
        if isinstance(node, CommentedMap):
            return _plain_mapping(node, loc, doc, walk)
        return _plain_sequence(node, loc, doc, walk)
    except _TooBig as exc:
        if again:  # said where the outermost alias on the way is used, not inside the anchor it repeats; ruamel
            exc.loc = loc[:-1] if loc and isinstance(loc[-1], int) else loc  # places a list's `*a` at `&a`: its list
        raise
    finally:
        walk.inside.discard(id(node))


def _plain_mapping(node: CommentedMap, loc: Path_, doc: Document, walk: _Walk) -> dict[str, Any]:
    out = {}
    for key, value in node.items():
        k = key if isinstance(key, str) else str(key)
        _place(doc, (*loc, k), _key_position(node, key))
        _note_written(walk, doc, (*loc, k), _value_position(node, key))
        out[k] = _plain(value, (*loc, k), doc, walk)
    return out


def _plain_sequence(node: CommentedSeq, loc: Path_, doc: Document, walk: _Walk) -> list[Any]:
    items = []
    for i, value in enumerate(node):
        _place(doc, (*loc, i), node.lc.item(i))
        _note_written(walk, doc, (*loc, i), node.lc.item(i))
        items.append(_plain(value, (*loc, i), doc, walk))
    return items


def _note_written(walk: _Walk, doc: Document, loc: Path_, pos: Any) -> None:
    """What the constructor remembered of the value at `pos` (a rejoined number, a point's text), noted at `loc`."""
    if (split := walk.rejoined.get(pos)) is not None:
        walk.splits[loc] = split
    if (text := walk.pointed.get(pos)) is not None:
        doc.points[loc] = text


def _plain_scalar(node: Any) -> Any:
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, dt.date):
        return node.isoformat()
    if isinstance(node, TaggedScalar):  # `!!str 5`: a standard tag (others are refused above)
        return str(node.value)
    return repr(node)  # an explicit tag or other exotic node: kept as text, rejected by the schema


def parse_document(
    path: str, text: str, constructor: type[RuleConstructor] = RuleConstructor, budget: NodeBudget | None = None,
) -> tuple[Document | None, list[Problem]]:
    """Parse one file safely (no object construction from tags); report YAML errors with positions. A rule
    test case file is read with `CaseConstructor`. The file's nodes are taken from `budget`, shared by the files
    of a rule set or by its case files (MAX_NODES for this file alone without one); past it the file is refused
    where it ran out."""
    yaml = YAML(typ="rt", pure=True)
    # The plain scanner and parser: the round-trip ones also gather every comment, which nothing here reads
    # (~25% of a parse); the round-trip constructor still gives each key and item its line and column.
    yaml.Scanner, yaml.Parser = Scanner, Parser
    yaml.Constructor = constructor
    yaml.allow_duplicate_keys = False
    doc = Document(path, None)
    try:
        raw = yaml.load(text)
    except RecursionError:  # the parser and constructor recurse once per level
        return None, [Problem(path, 1, 1, "yaml_error", "nested too deeply: [ ] and { } or indented mappings "
                                                        "inside one another some 200 levels deep")]
    except (ValueError, OverflowError) as exc:  # a constructor's own error: no position
        return None, [Problem(path, 1, 1, "yaml_error", f"{type(exc).__name__}: {str(exc)[:200]}")]
    except MarkedYAMLError as exc:
        return None, [yaml_problem(path, exc, text)]
    except YAMLError as exc:
        return None, [Problem(path, 1, 1, "yaml_error", str(exc).splitlines()[0])]
    shared, budget = budget is not None, NodeBudget() if budget is None else budget
    walk = _Walk(budget.left, yaml.constructor.rejoined, yaml.constructor.pointed)
    try:
        doc.data = _plain(raw, (), doc, walk)
    except _TooBig as exc:
        problem = doc.problem(exc.loc, "yaml_error", budget.refusal(shared))
        budget.left = -1
        return None, [problem]
    except _Refused as exc:
        return None, [doc.problem(exc.loc, "yaml_error", exc.message)]
    budget.left = walk.budget
    said: dict[int, Problem] = {}  # a split reached again through an alias or `<<:` is said once, where written
    for loc, split in walk.splits.items():
        message = f"{named_path(doc.data, loc)}: {split.message()}"
        doc.read_past[loc] = said.setdefault(id(split), doc.problem(loc, split.code, message))
    return doc, list(said.values())

