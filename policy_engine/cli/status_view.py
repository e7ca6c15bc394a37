"""GetPolicy's answer as `credit-policy status` shows it: lines for people (problems and warnings as
`credit-policy lint` prints them) and a JSON object with the proto's field names for scripts."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import Any

from policy_engine.rules.problems import SAID_PROBLEMS, Problem, in_files
from policy_engine.words import plural

SAID_WARNINGS = 5
"""Lint warnings shown: the version serves all the same, so the count and the first few say enough."""

STATES = {
    "SERVED": "it holds the version served",
    "REFUSED": "it holds a rule set that was refused (last refused, below); this version keeps serving",
    "PENDING": "its rule set is good, but taking it failed for another reason and is tried again (pending, below)",
    "NOT_READ": "not read yet by this server process (a replacement): its watcher reads it within a second",
}
"""GetPolicy's rules_dir_state in words (docs/service.md, The contract in brief); another value is shown as is."""


def problem(p: Any) -> Problem:
    """A Problem (proto) as lint's Problem, which prints it `path:line:col: code: message`."""
    return Problem(p.path, p.line, p.col, p.code, p.message)


def refused_count(info: Any) -> str:
    """`3 problems in 2 files`: how many refused the last refused reload (an older server sends no count)."""
    refused = info.last_refused
    problems = [problem(p) for p in refused.problems]
    n = max(refused.problem_count, len(problems))
    return f"{n} {plural(n, 'problem')}{in_files(problems)}"


def report_lines(info: Any, address: str, lint_dir: str) -> list[str]:
    """The answer of `address` for people; `lint_dir` is the rules directory `credit-policy lint` is told of."""
    rules, files = len(info.rule_ids), len(info.file_names)
    state = info.rules_dir_state
    lines = [f"{address} serves policy_version {info.version}, loaded at {info.loaded_at}",
             f"  rules:        {rules} {plural(rules, 'rule')} in {files} {plural(files, 'file')}, from "
             f"{info.rules_dir or '?'} on the server",
             f"  directory:    {state or '?'}: {STATES.get(state, 'a state this command does not know')}",
             f"  build:        {info.build or '? (an older server)'}"]
    lines += _warnings(info, lint_dir)
    lines += _reloading(info)
    if info.HasField("pending"):
        p = info.pending
        lines.append(f"  pending:      attempt {p.attempt} at {p.attempted_at}, version {p.version or '?'}: {p.error}")
    lines += _last_refused(info, lint_dir)
    return lines


def _warnings(info: Any, lint_dir: str) -> list[str]:
    count = max(info.warning_count, len(info.warnings))
    if not count:
        return ["  warnings:     none"]
    shown = [f"    {problem(w)}" for w in info.warnings[:SAID_WARNINGS]]
    return [f"  warnings:     {count} (lint's; the version serves all the same)", *shown,
            *_more(count - len(shown), lint_dir)]


def _reloading(info: Any) -> list[str]:
    if not info.HasField("reloading"):
        return ["  reloading:    no"]
    r = info.reloading
    version = f", version {r.version}" if r.version else ""
    return [f"  reloading:    since {r.started_at} ({r.seconds:.1f} s, by {r.trigger or '?'}), "
            f"stage {r.stage}{version}"]


def _last_refused(info: Any, lint_dir: str) -> list[str]:
    if not info.HasField("last_refused"):
        return ["  last refused: never"]
    refused = info.last_refused
    count = max(refused.problem_count, len(refused.problems))
    shown = [f"    {problem(p)}" for p in refused.problems[:SAID_PROBLEMS]]
    note = [f"    note: {refused.note}"] if refused.note else []
    version = f", policy_version {refused.version}" if refused.version else ""
    return [f"  last refused: {refused.attempted_at}{version}, {refused_count(info)}:", *shown, *note,
            *_more(count - len(shown), lint_dir)]


def _more(more: int, lint_dir: str) -> list[str]:
    """The line after a list cut short, as the service's log and the batch say it."""
    if more <= 0:
        return []
    return [f"    … and {more:,} more (`credit-policy lint {shlex.quote(lint_dir)}` prints them all)"]


def _problem_dicts(problems: Sequence[Any]) -> list[dict[str, Any]]:
    return [{"path": p.path, "line": p.line, "col": p.col, "code": p.code, "message": p.message} for p in problems]


def policy_dict(info: Any) -> dict[str, Any]:
    """GetPolicy's answer for `--json`: the proto's field names, every key always there (null when unset)."""
    r, p, f = info.reloading, info.pending, info.last_refused
    return {
        "version": info.version, "loaded_at": info.loaded_at, "build": info.build, "rules_dir": info.rules_dir,
        "rules_dir_state": info.rules_dir_state, "rule_count": len(info.rule_ids),
        "file_names": list(info.file_names), "warning_count": max(info.warning_count, len(info.warnings)),
        "warnings": _problem_dicts(info.warnings),
        "reloading": {"started_at": r.started_at, "seconds": round(r.seconds, 3), "trigger": r.trigger,
                      "stage": r.stage, "version": r.version} if info.HasField("reloading") else None,
        "pending": {"attempted_at": p.attempted_at, "version": p.version, "error": p.error, "attempt": p.attempt}
        if info.HasField("pending") else None,
        "last_refused": {"attempted_at": f.attempted_at, "version": f.version or None,
                         "problem_count": max(f.problem_count, len(f.problems)),
                         "problems": _problem_dicts(f.problems), "note": f.note}
        if info.HasField("last_refused") else None,
    }
