"""What a rules directory holds: its rule files and test-case files, listed without following
directory links, and what could not be read (loader.py reads the files)."""

from __future__ import annotations

import codecs
import os
from dataclasses import dataclass, field
from pathlib import Path

from policy_engine.rules.problems import Problem

RULE_SUFFIXES = (".yaml", ".yml")
TESTS_DIR = "tests"

_Pending = list[tuple[Path, bool]]
"""Directories still to list, each with whether it is the tests/ directory."""


@dataclass
class RuleTree:
    """What a rules directory holds: its rule files, its test-case files, and what could not be read.

    Names starting with "." are not read, at any depth: editors' and tools' hidden files (`.git/`,
    macOS's `._limits.yaml`), and a Kubernetes ConfigMap volume's `..data/` and `..2026_…/`
    directories, whose files the volume also shows as links at its top (read once, through those)."""

    rule_files: list[Path] = field(default_factory=list)
    """Every *.yaml / *.yml file at any depth, except under tests/, sorted."""
    case_files: list[Path] = field(default_factory=list)
    """The *.yaml / *.yml files directly in tests/, sorted."""
    problems: list[Problem] = field(default_factory=list)
    """Directories that could not be listed and rule-file names that do not lead to a file (a broken
    link, a link loop, a pipe or device): a rules directory read in part would silently drop rules."""
    case_problems: list[Problem] = field(default_factory=list)
    """The same for tests/ (only matters where the cases are run)."""


def _rule_name(name: str) -> bool:
    return name.endswith(RULE_SUFFIXES) and not name.startswith(".")


def scan_rules_dir(rules_dir: Path) -> RuleTree:
    """List `rules_dir` (see RuleTree); never raises for what the file system says. Links to
    directories are not followed; a link to a file is read as the file when the file is in `rules_dir`."""
    tree = RuleTree()
    if not rules_dir.is_dir():
        tree.problems.append(Problem(str(rules_dir), 1, 1, "unreadable", _not_a_dir(rules_dir)))
        return tree
    pending: _Pending = [(rules_dir, False)]
    while pending:
        folder, in_tests = pending.pop()
        for entry in _listed(tree, folder, in_tests):
            _take(tree, pending, entry, in_tests, folder == rules_dir)
    root = os.path.realpath(rules_dir)
    tree.rule_files = sorted(_inside(tree.rule_files, root, tree.problems))
    tree.case_files = sorted(_inside(tree.case_files, root, tree.case_problems))
    return tree


def _inside(paths: list[Path], root: str, problems: list[Problem]) -> list[Path]:
    """`paths` less the links that lead out of the rules directory (its real path `root`), each of those an
    `unreadable` problem. The service serves every rule file it reads to any caller (GetPolicy include_files) and
    quotes parts of one it refuses, and it may read files the rules' authors may not (its TLS key, a secrets
    file): a link planted in the rules directory must not make it read them. A ConfigMap volume's links lead
    into its own `..data/`, which is inside."""
    kept = []
    for path in paths:
        if os.path.commonpath([root, os.path.realpath(path)]) == root:
            kept.append(path)
        else:
            problems.append(Problem(str(path), 1, 1, "unreadable", OUTSIDE))
    return kept


OUTSIDE = ("a link to a file outside the rules directory, not read: every file read is served to the service's "
           "callers; copy the file into the rules directory instead of linking to it")


def _problems(tree: RuleTree, in_tests: bool) -> list[Problem]:
    return tree.case_problems if in_tests else tree.problems


def _listed(tree: RuleTree, folder: Path, in_tests: bool) -> list[os.DirEntry[str]]:
    """The entries of `folder`; none, with the reason among the tree's problems, when it cannot be listed."""
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except OSError as exc:
        _problems(tree, in_tests).append(
            Problem(str(folder), 1, 1, "unreadable", f"cannot list the directory: {exc.strerror or exc}"))
        return []


def _take(tree: RuleTree, pending: _Pending, entry: os.DirEntry[str], in_tests: bool, at_top: bool) -> None:
    """Put one listed entry where it belongs: a directory to list, a rule or case file, a problem, or nowhere."""
    if entry.name.startswith("."):
        return
    path = Path(entry.path)
    try:
        if entry.is_dir(follow_symlinks=False):
            if _rule_name(entry.name):  # read as a folder, it made lint say the kind it should hold is missing
                _problems(tree, in_tests).append(_directory_problem(path, in_tests, "a directory"))
            if not in_tests:  # cases live directly in tests/
                pending.append((path, at_top and entry.name == TESTS_DIR))
            return
    except OSError:
        return  # gone since it was listed
    if not _rule_name(entry.name):
        return
    is_file, problem = _file_or_why_not(entry, path)
    if is_file:
        (tree.case_files if in_tests else tree.rule_files).append(path)
    elif problem == _LINK_TO_DIR:
        _problems(tree, in_tests).append(_directory_problem(path, in_tests, "a link to a directory"))
    elif problem:  # a pipe, socket or device so named too, never opened: reading a pipe waits for a writer
        _problems(tree, in_tests).append(Problem(str(path), 1, 1, "unreadable", problem))


_LINK_TO_DIR = "a link to a directory"


def _directory_problem(path: Path, in_tests: bool, what: str) -> Problem:
    """`is_a_directory` at a directory (or a link to one) whose name ends .yaml / .yml, saying what to do."""
    if in_tests:
        message = f"{what}, not a case file: case files are read directly in tests/; rename it, or move its files up"
    else:
        message = f"{what}, not a rule file: a name ending .yaml or .yml must be a file; rename it"
    return Problem(str(path), 1, 1, "is_a_directory", message)


def _file_or_why_not(entry: os.DirEntry[str], path: Path) -> tuple[bool, str]:
    """Whether `entry` is a regular file (through a link), and if not, why: a link that leads nowhere (its
    target gone or never there: `is_file()` is then False, not an error) is said as such."""
    try:
        if entry.is_file():
            return True, ""
    except OSError as exc:  # a link loop
        return False, f"cannot be read: {exc.strerror or exc}"
    if entry.is_symlink():
        try:
            path.stat()
        except OSError as exc:
            return False, f"a link that leads nowhere: {exc.strerror or exc}"
        if path.is_dir():
            return False, _LINK_TO_DIR
    return False, "not a regular file"


def _not_a_dir(path: Path) -> str:
    """Why `path` is no directory to read rules from: a mistyped path does not exist, which is not
    the same slip as naming a file instead of its directory."""
    try:
        path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return "does not exist"
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    return "not a directory"


def read_at_most(path: Path, limit: int) -> bytes | None:
    """The file's bytes, or None when it holds more than `limit`: read no further than that, whatever its size
    said (a file growing while read, a device or pipe that never ends such as /dev/zero)."""
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    return None if len(data) > limit else data


def read_rule_text(path: Path, limit: int) -> str | Problem:
    """A rule or case file's text as `read_text` gave it (UTF-8, line ends as "\\n") less a BOM (Windows Notepad's:
    no change to the rules, nor is CRLF, so the policy_version stays the same), or why it is `unreadable`:
    over `limit` bytes (read no further, should it have grown since its size was taken), not UTF-8, an OS error."""
    shown = str(path)
    try:
        data = read_at_most(path, limit)
    except OSError as exc:
        return Problem(shown, 1, 1, "unreadable", str(exc))
    if data is None:
        return Problem(shown, 1, 1, "unreadable", too_large(limit))
    if looks_utf16(data):
        return Problem(shown, 1, 1, "unreadable", UTF16)
    try:
        return data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError:
        return not_utf8(path, shown, data)


def too_large(limit: int) -> str:
    """Why a file over `limit` bytes is not read, and what to do: such a file is no hand-written rules or cases."""
    return (f"larger than {limit} bytes ({limit / 2**20:g} MiB), the most one rule or case file may hold (the shipped "
            "rule files come to ~32 KB in all, their cases to ~120 KB): a file this size was not written by hand; "
            "keep it outside the rules directory, or split it into several files")


UTF16 = ('saved as UTF-16 (Windows Notepad\'s "Unicode"); save the file with the encoding UTF-8 ("UTF-8" in '
         "Notepad's Save As, under Encoding)")


def looks_utf16(data: bytes) -> bool:
    """Whether `data` is UTF-16 text: its byte-order mark, or a NUL byte beside every ASCII character (a rule file's
    keys are ASCII), which UTF-8 decoding took for a character at some column of line 1, or YAML for `#x0000`."""
    return data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or data.count(0) * 4 >= len(data) > 0


def not_utf8(path: Path, shown: str, data: bytes | None = None) -> Problem:
    """`unreadable` at the line and column of the first byte that is no UTF-8 character, saying what to do.

    Python's own words were `'utf-8' codec can't decode byte 0xc1 in position 260: invalid start byte`, at
    1:1: no line to look at, and nothing about saving the file again as UTF-8 (a Chinese Windows editor's
    "ANSI" is GBK, whose 中文 is no UTF-8). `data`: the file's bytes when already read (else they are)."""
    data = path.read_bytes() if data is None else data
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = exc.start
    else:  # changed since it was read: say so without a place
        return Problem(shown, 1, 1, "unreadable", "not UTF-8 text; save the file with the encoding UTF-8")
    line_start = data.rfind(b"\n", 0, start) + 1
    col = len(data[line_start:start].decode("utf-8", "replace")) + 1
    message = (f"not UTF-8 text: byte 0x{data[start]:02X} here is no UTF-8 character; save the file with the "
               'encoding UTF-8 (an editor\'s "ANSI", GBK or Latin-1 is not read)')
    return Problem(shown, data.count(b"\n", 0, start) + 1, col, "unreadable", message)
