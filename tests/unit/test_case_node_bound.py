"""The nodes the case files expand to are bounded for all of them together, as the rule files' are: aliases of one
snapshot in each of 200 case files made 39 million nodes within every other bound (bench/bench_lint_bounds.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import policy_engine.casefiles as casefiles
from policy_engine.casefiles import read_case_docs

INVOICE = "{issued_on: '2026-01-05', due_on: '2026-02-04', amount: '10.00', payment_term_days: 30}"


def _aliased_snapshot(prefix: str) -> str:
    """Two cases on one snapshot of 1,000 aliased invoices (~5,000 nodes): the second (line 7) aliases the first's."""
    return (f"cases:\n  - id: {prefix}_0\n    expect: {{grade_class: C}}\n    snapshot: &s\n      customer_id: C-1\n"
            f"      invoices: [&i {INVOICE}" + ", *i" * 999 + "]\n"
            f"  - {{id: {prefix}_1, snapshot: *s, expect: {{grade_class: C}}}}\n")


def test_case_files_count_their_aliases_together_and_the_one_past_the_bound_is_refused_where_its_alias_runs_past(
        rules_copy: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    rules = rules_copy()
    # shipped ~5,200 + zz_a ~10,000 fit; zz_b's second case runs past (each file alone is far within a file's bound)
    monkeypatch.setattr(casefiles, "MAX_CASE_NODES", 23_000, raising=False)
    (rules / "tests" / "zz_a.yaml").write_text(_aliased_snapshot("a"))
    (rules / "tests" / "zz_b.yaml").write_text(_aliased_snapshot("b"))
    (rules / "tests" / "zz_c.yaml").write_text("cases: [unclosed\n")  # not read: its own error is not reached

    docs, problems = read_case_docs(rules)

    [problem] = problems
    assert (Path(problem.path).name, problem.line, problem.code) == ("zz_b.yaml", 7, "yaml_error")
    assert "the case files before this one make" in problem.message
    assert "at most 23,000 are read in all the case files together" in problem.message
    assert "`base:`" in problem.message and "it and the files after it are not read" in problem.message
    assert [Path(d.path).name for d in docs if Path(d.path).name.startswith("zz_")] == ["zz_a.yaml"]
