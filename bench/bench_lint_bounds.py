"""What `credit-policy lint` costs on the worst rule sets the loader reads: wall seconds and peak RSS of a child.

    PYTHONPATH=. .venv-system/bin/python bench/bench_lint_bounds.py [--only SHAPE ...] [--limit-mb 8000]

Each shape is the shipped rules (a whole policy, so every stage runs) plus rule files written to fill one of the
loader's bounds (policy_engine/rules/loader.py: 1 MiB in all, 200 files, MAX_NODES a file with aliases expanded,
1,000 rules; conditions.py: 100 items an `in` list; the YAML reader's depth). Each lint runs in its own process,
under an address-space limit so that a runaway cannot take the host with it (then its row says `limit`); peak RSS
is the child's ru_maxrss from wait4.
"""

from __future__ import annotations

import argparse
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

from policy_engine.rules.loader import MAX_FILES, MAX_NODES, MAX_RULES, MAX_TOTAL_BYTES

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


SHAPES: dict[str, Callable[[Path], None]] = {f.__name__: f for f in (
    shipped, max_rules_long_strings, one_file_of_small_rules, longest_lists, deepest_nesting, aliases_in_one_file,
    aliased_problems, aliases_across_files)}


def _lint(directory: Path, limit_mb: int, timeout: float) -> tuple[float, float, str]:
    """Seconds, peak RSS MB and how `credit-policy lint directory` ended, in a child of its own."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit_mb << 20, limit_mb << 20))

    command = [sys.executable, "-m", "policy_engine.cli", "lint", str(directory)]
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
    """Build each shape in a temporary directory, lint it, print one row."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=sorted(SHAPES))
    parser.add_argument("--limit-mb", type=int, default=8000, help="address-space limit of each lint child")
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    print("| input shape | bytes | files | rules | lint s | peak RSS MB | result |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for name in args.only or SHAPES:
        with tempfile.TemporaryDirectory() as tmp:
            directory = Path(tmp) / "rules"
            shutil.copytree(SHIPPED, directory, ignore=shutil.ignore_patterns("tests", "README.md"))
            SHAPES[name](directory)
            paths = sorted(directory.glob("*.yaml"))
            size = sum(p.stat().st_size for p in paths)
            rules = sum(len(re.findall(r"^ *- \{?id: ", p.read_text(encoding="utf-8"), re.M)) for p in paths)
            seconds, rss, result = _lint(directory, args.limit_mb, args.timeout)
        print(f"| {name} | {size:,} | {len(paths)} | {rules:,} | {seconds:.1f} | {rss:,.0f} | {result} |", flush=True)


if __name__ == "__main__":
    main()
