"""What `credit-policy lint` and `test` cost on the worst rule sets and case files read: seconds and peak RSS.

    PYTHONPATH=. .venv-system/bin/python bench/bench_lint_bounds.py [--only SHAPE ...] [--limit-mb 8000]

Each shape is the shipped rules (a whole policy, so every stage runs) plus rule files written to fill one of the
loader's bounds (policy_engine/rules/loader.py: 1 MiB in all, 200 files, MAX_NODES a file with aliases expanded,
1,000 rules; conditions.py: 100 items an `in` list; the YAML reader's depth). The case shapes (`cases_…`) are the
shipped rules and cases plus case files filling the case files' bounds (policy_engine/casefiles.py: MAX_CASE_CHARS,
MAX_CASE_NODES), and run `credit-policy test` instead. Each lint or test runs in its own process,
under an address-space limit so that a runaway cannot take the host with it (then its row says `limit`); peak RSS
is the child's ru_maxrss from wait4.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from policy_engine.casefiles import MAX_CASE_CHARS
from policy_engine.rules.loader import MAX_FILES, MAX_NODES, MAX_RULES, MAX_TOTAL_BYTES, TESTS_DIR

SHIPPED = Path(__file__).resolve().parent.parent / "rules"
HEAD = ("kind: warning_signs\ntitle: {zh: 多, en: Many}\nsource: audit\nhit: collect\n"
        "combine: {downgrade: sum, max_downgrade: 4, cap_grade: worst, limit_factor: min}\nrules:\n")
"""A warning_signs file (a kind that may have many files) up to its list of rules."""


def _room(directory: Path) -> int:
    """Bytes the rule files in `directory` leave of MAX_TOTAL_BYTES."""
    return MAX_TOTAL_BYTES - sum(p.stat().st_size for p in directory.rglob("*.yaml") if "tests" not in p.parts)


def _rule(i: int, when: str, prefix: str = "b", pad: int = 0) -> str:
    """One warning rule on one line; `pad` characters of title and source to make it longer (both bounded)."""
    title = "长" * min(pad, 199)
    source = "x" * max(3, min(pad, 500))
    return (f"  - {{id: {prefix}.r{i}, code: B{i}, title: {{zh: 多{title}, en: Many {i}}}, source: {source}, "
            f"effects: {{downgrade: 1}}, when: {when}}}\n")


def _fill(directory: Path, name: str, make_rule: Callable[[int], str], budget: int, count: int | None = None) -> int:
    """Write a warning_signs file of rules from `make_rule` until `budget` bytes or `count` rules; how many."""
    text, i = HEAD, 0
    while count is None or i < count:
        line = make_rule(i)
        if len((text + line).encode()) > budget:
            break
        text += line
        i += 1
    (directory / name).write_text(text, encoding="utf-8")
    return i


def shipped(directory: Path) -> None:
    """The shipped rules alone: the baseline."""


def max_rules_long_strings(directory: Path) -> None:
    """Up to 1,000 rules in all, the room left filled by long titles and sources (3 files: 500 a file at most)."""
    left, room = MAX_RULES - 82, _room(directory)
    per_file = (left + 2) // 3
    for f in range(3):
        count = min(per_file, left - f * per_file)
        pad = max(3, (room // 3 - len(HEAD)) // max(count, 1) - 160)
        def long_rule(i: int, f: int = f, pad: int = pad) -> str:
            return _rule(i, f"{{dbt_open_max: {{gte: {1000 * f + i + 1}}}}}", f"l{f}", pad // 2)

        _fill(directory, f"zz_long_{f}.yaml", long_rule, room // 3, count)


def one_file_of_small_rules(directory: Path) -> None:
    """The room left as one file of the shortest rules: thousands, past 1,000 (too_many_rules, read all the same)."""
    _fill(directory, "zz_small.yaml", lambda i: f"  - {{id: s{i}, code: S, title: {{zh: 多, en: M}}, source: abc, "
                                                f"when: {{dbt_open_max: {{gte: 1}}}}}}\n", _room(directory))


def _in_list(k: int, op: str = "not_in") -> str:
    return f"{{dbt_open_max: {{{op}: [{', '.join(str(100 + 100 * k + j) for j in range(100))}]}}}}"


def longest_lists(directory: Path) -> None:
    """The room left as rules of `not_in` lists of 100 items, ten lists a rule."""
    _fill(directory, "zz_lists.yaml", lambda i: _rule(i, "{all: [" + ", ".join(_in_list(10 * i + k)
                                                                              for k in range(10)) + "]}"),
          _room(directory))


def _aliased(prefix: str, rules: int) -> str:
    """A warning_signs file of `rules` rules whose `when` is one anchored condition, as large as MAX_NODES lets each
    copy be (an `all` of `all`s of ten aliases of one `not_in` list of 100): some KB that expand to MAX_NODES nodes."""
    per_rule = (MAX_NODES - 12) // rules - 12  # a rule's own nodes: its mapping, id, code, title …
    tens = max(1, per_rule // 1032)  # ten lists of 100: each its mapping, `not_in`, list and 100 items; their `all`
    ten = "{all: [&l " + _in_list(0) + ", *l" * 9 + "]}"
    big = "{all: [&t " + ten + ", *t" * (tens - 1) + "]}"
    return HEAD + _rule(0, "&w " + big, prefix) + "".join(_rule(i, "*w", prefix) for i in range(1, rules))


def aliases_in_one_file(directory: Path) -> None:
    """One file whose 10 rules alias one big condition, expanding to MAX_NODES nodes."""
    (directory / "zz_alias.yaml").write_text(_aliased("a", 10), encoding="utf-8")


def aliased_problems(directory: Path) -> None:
    """One rule whose `when` aliases one wrong comparison as often as MAX_NODES lets it: a problem each copy."""
    copies = (MAX_NODES - 20) // 5  # `{all: [...]}` of `{dbt_open_max: {gte: -1}}`: its mapping, two keys, value
    fan = "[&b {dbt_open_max: {gte: -1}}" + ", *b" * 99 + "]"
    when = "{all: [&h {all: " + fan + "}" + ", *h" * (copies // 100 - 1) + "]}"
    (directory / "zz_wrong.yaml").write_text(HEAD + _rule(0, when), encoding="utf-8")


def aliases_across_files(directory: Path) -> None:
    """As many files as are read, each expanding to MAX_NODES nodes, 1,000 rules in all."""
    files = MAX_FILES - sum(1 for _ in directory.glob("*.yaml"))
    per_file = max(1, (MAX_RULES - 82) // files)
    for f in range(files):
        (directory / f"zz_alias_{f:03}.yaml").write_text(_aliased(f"a{f}", per_file), encoding="utf-8")


def deepest_nesting(directory: Path) -> None:
    """One rule of `all`/`any`/`not` in turn as deep as the YAML reader takes, each level with two lists of 100."""
    condition = _in_list(0)
    for level in range(120):
        lists = f"{_in_list(2 * level + 1)}, {_in_list(2 * level + 2, 'in')}"
        condition = (f"{{all: [{lists}, {condition}]}}", f"{{any: [{lists}, {condition}]}}",
                     f"{{not: {condition}}}")[level % 3]
    (directory / "zz_deep.yaml").write_text(HEAD + _rule(0, condition), encoding="utf-8")


def _case_room(directory: Path) -> int:
    """Characters the case files in `directory`/tests leave of MAX_CASE_CHARS."""
    return MAX_CASE_CHARS - sum(len(p.read_text(encoding="utf-8")) for p in (directory / TESTS_DIR).glob("*.yaml"))


INVOICE = ("{issued_on: '2026-01-05', due_on: '2026-02-04', amount: '10.00', payment_term_days: 30, "
           "paid_amount: '10.00', paid_on: '2026-02-01'}")
CHECK = "expect: {not_actions: [HOLD_ORDERS]}"


def _snapshot_cases(f: int, invoices: int, cases: int) -> str:
    """A case file of `cases` cases on one snapshot of `invoices` paid invoices (each merged from one anchor with
    `<<:`), written in the first case and aliased by the others: 8 nodes an invoice, ~26 characters."""
    items = "".join(f", {{<<: *i, invoice_id: I{j}}}" for j in range(1, invoices))
    return (f"cases:\n  - id: c{f}_0\n    {CHECK}\n    snapshot: &s\n      customer_id: C-{f}\n"
            f"      invoices: [{{<<: &i {INVOICE}, invoice_id: I0}}{items}]\n"
            + "".join(f"  - {{id: c{f}_{k}, snapshot: *s, {CHECK}}}\n" for k in range(1, cases)))


def cases_aliasing_a_snapshot(directory: Path) -> None:
    """As many case files as are read, sharing the room left: in each, one snapshot of invoices aliased by as many
    cases as make MAX_NODES nodes (the bound of a file alone)."""
    files = MAX_FILES - sum(1 for _ in (directory / TESTS_DIR).glob("*.yaml"))
    room = _case_room(directory) // files
    cases = next(c for c in range(1, 1000) if len(_snapshot_cases(999, _invoices(c), c)) <= room)
    for f in range(files):
        (directory / TESTS_DIR / f"zz_alias_{f:03}.yaml").write_text(_snapshot_cases(f, _invoices(cases), cases))


def _invoices(cases: int) -> int:
    """Invoices in a snapshot that `cases` cases make MAX_NODES of (8 nodes an invoice, ~20 a case's own)."""
    return (MAX_NODES - 20 * cases) // (8 * cases)


def cases_written_out(directory: Path) -> None:
    """The shipped case files copied (ids renamed; fixtures named by `base:`, the shipped ones) until the room left
    is full: honest cases, ~1.4 KB and ~60 nodes a case."""
    tests, room, copy = directory / TESTS_DIR, _case_room(directory), 0
    originals = sorted(p for p in tests.glob("*.yaml") if p.name != "fixtures.yaml")
    while True:
        for path in originals:
            text = re.sub(r"^(  - id: )(\w+)", rf"\1\2_{copy}", path.read_text(encoding="utf-8"), flags=re.M)
            room -= len(text)
            if room < 0 or sum(1 for _ in tests.glob("*.yaml")) >= MAX_FILES:
                return
            (tests / f"zz_{copy:03}_{path.name}").write_text(text, encoding="utf-8")
        copy += 1


def cases_merging_a_fixture(directory: Path) -> None:
    """The room left as files of honest short cases (~300 characters) whose snapshot merges a copy of the shipped
    `steady` fixture with `<<:` instead of naming it with `base:`: each case makes the fixture's nodes again."""
    tests, room = directory / TESTS_DIR, _case_room(directory)
    steady = (tests / "fixtures.yaml").read_text(encoding="utf-8").split("\n  steady:\n", 1)[1]
    steady = "\n".join(itertools.takewhile(lambda line: line.startswith("    "), steady.splitlines()))
    f = 0
    while True:
        text = f"fixtures:\n  steady_{f}: &steady\n{steady}\ncases:\n" + "".join(
            f"  - id: steady_{f}_{k}_reviewed_on_day_{k % 28 + 1}_keeps_its_grade_class\n"
            f"    note: as the steady customer, last reviewed on another day of the month; still class A.\n"
            f"    snapshot: {{<<: *steady, last_review_on: '2026-10-{k % 28 + 1:02}'}}\n"
            f"    expect: {{grade_class: A, not_actions: [HOLD_ORDERS]}}\n" for k in range(100))
        room -= len(text)
        if room < 0:
            return
        (tests / f"zz_merged_{f:03}.yaml").write_text(text, encoding="utf-8")
        f += 1


SHAPES: dict[str, Callable[[Path], None]] = {f.__name__: f for f in (
    shipped, max_rules_long_strings, one_file_of_small_rules, longest_lists, deepest_nesting, aliases_in_one_file,
    aliased_problems, aliases_across_files, cases_written_out, cases_merging_a_fixture, cases_aliasing_a_snapshot)}
CASE_SHAPES = frozenset(name for name in SHAPES if name.startswith("cases_"))
"""Shapes of case files: `credit-policy test` runs on them (the others are rule files: `lint`)."""


def _run(command_name: str, directory: Path, limit_mb: int, timeout: float) -> tuple[float, float, str]:
    """Seconds, peak RSS MB and how `credit-policy <command_name> directory` ended, in a child of its own."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit_mb << 20, limit_mb << 20))

    command = [sys.executable, "-m", "policy_engine.cli", command_name, str(directory)]
    start = time.monotonic()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=limit)
    timer = threading.Timer(timeout, child.kill)
    timer.start()
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)  # reaped here, not by Popen: its rusage is this child's alone
    timer.cancel()
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - start
    text = output.decode(errors="replace")
    codes = sorted(set(re.findall(r":\d+:\d+: ([a-z_]+): ", text)))
    last = text.strip().splitlines()[-1:] or [""]
    return seconds, usage.ru_maxrss / 1024, f"exit {child.returncode}: {', '.join(codes)[:70] or last[0][:70]}"


def main() -> None:
    """Build each shape in a temporary directory, lint or test it, print one row."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=sorted(SHAPES))
    parser.add_argument("--limit-mb", type=int, default=8000, help="address-space limit of each lint or test child")
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    print("| input shape | bytes | files | rules (cases) | lint (test) s | peak RSS MB | result |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for name in args.only or SHAPES:
        cases = name in CASE_SHAPES
        with tempfile.TemporaryDirectory() as tmp:
            directory = Path(tmp) / "rules"
            shutil.copytree(SHIPPED, directory, ignore=shutil.ignore_patterns("README.md", *[] if cases else ["tests"]))
            SHAPES[name](directory)
            paths = sorted((directory / TESTS_DIR if cases else directory).glob("*.yaml"))
            size = sum(p.stat().st_size for p in paths)
            rules = sum(len(re.findall(r"^ *- \{?id: ", p.read_text(encoding="utf-8"), re.M)) for p in paths)
            seconds, rss, result = _run("test" if cases else "lint", directory, args.limit_mb, args.timeout)
        print(f"| {name} | {size:,} | {len(paths)} | {rules:,} | {seconds:.1f} | {rss:,.0f} | {result} |", flush=True)


if __name__ == "__main__":
    main()
