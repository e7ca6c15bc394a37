"""Core commands: lint, test, evaluate, check-order, schema (fields and rules: fields_cmd.py, rules_cmd.py)."""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from policy_engine.api import DEFAULT_RULES_DIR, load_policy
from policy_engine.cli.options import date_option, fail
from policy_engine.cli.order_options import TERM_DAYS, order_or_exit
from policy_engine.cli.snapshot_file import read_snapshot
from policy_engine.domain.currency import currency_violation
from policy_engine.domain.errors import InvalidInput, PolicyError
from policy_engine.domain.models import CustomerSnapshot
from policy_engine.rules.problems import PolicyLoadError, in_files
from policy_engine.words import plural

if TYPE_CHECKING:
    from policy_engine.casetests import Suite

RulesDir = Annotated[Path, typer.Option("--rules", metavar="DIR", help="Rules directory.")]
RulesArgument = Annotated[Path | None, typer.Argument(help=f"Rules directory (default: {DEFAULT_RULES_DIR}).",
                                                        show_default=False)]
RulesAlso = Annotated[Path | None, typer.Option("--rules", metavar="DIR", help="The rules directory given as an "
                                                "option, as evaluate, serve and simulate take it.")]
AsOf = Annotated[
    str | None, typer.Option("--as-of", metavar="YYYY-MM-DD", help="Evaluation date YYYY-MM-DD (default: today).")
]
_ORDER_OPTIONS = {"order_id": "--order-id", "amount": "--amount", "payment_term_days": "--payment-term-days",
                  "currency": "--currency"}
Db = Annotated[
    str | None,
    typer.Option("--db", metavar="URL", help="Also record the decision in this store's audit log (only when given: "
                 "$CREDIT_POLICY_DB is not read here, so a what-if run never lands in the log unasked); a SQLite "
                 "file that is not there is refused, not created."),
]

NOT_RECORDED = "the decision was not recorded, nor printed (with --db it is printed once it is in the log)"
"""What became of a decision locked out of the store (store_common.exit_if_locked)."""


def rules_dir(argument: Path | None, option: Path | None) -> Path:
    """lint and test take the rules directory as an argument (CONTRACT.md) or, like the other
    commands, as --rules; both at once must name the same directory."""
    if argument is not None and option is not None and argument.resolve() != option.resolve():
        raise fail(f"two rules directories: {argument} and --rules {option}; give one")
    return argument or option or DEFAULT_RULES_DIR


def load_or_exit(rules: Path, refused: str = "") -> Any:
    """Load the policy or print every problem as path:line:col (then `refused`, its `{problems}`, `{files}` and
    `{version}` filled in: `3 problems`, ` in 2 files`, `, policy_version …` or nothing) and exit 1."""
    try:
        return load_policy(rules)
    except PolicyLoadError as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        if exc.note:
            typer.echo(f"note: {exc.note}", err=True)
        if refused:
            n = len(exc.problems)
            # The version the service names for the same refusal (RefusedReload.version): none when a file went unread.
            version = f", policy_version {exc.version}" if exc.version else ""
            typer.echo(refused.format(problems=f"{n} {plural(n, 'problem')}", files=in_files(exc.problems),
                                      version=version), err=True)
        raise typer.Exit(1) from None


def as_of_or_exit(value: str | None) -> date | None:
    """Parse --as-of or exit 2 (options.date_option)."""
    return None if value is None else date_option("--as-of", value)


def emit(model: Any) -> None:
    """Print a decision as JSON on stdout."""
    typer.echo(json.dumps(model.model_dump(mode="json"), ensure_ascii=False, indent=2))


def record(
    db: str | None, snapshot: CustomerSnapshot, decision: Any, policy: Any, order: Any = None, request: Any = None
) -> None:
    """Append the decision to the audit log when a store was named (with the rule files, for replay).

    A SQLite file that is not there, or is empty, is refused as the read-only commands refuse it: opening
    it would create it, and a typo in --db recorded the decision in a new store nobody reads. A wait for
    another process's SQLite write lock is said after 2 s; locked out, exit 3 before the decision is printed,
    so that a decision printed with --db is always one in the log."""
    if not db:
        return
    # Imported here: the store is optional for these commands.
    from adapters.store.engine import safe_url
    from policy_engine.cli.store_common import exit_if_locked, exit_if_store_failed, open_store_or_exit, say_waiting

    command = "evaluate" if order is None else "check-order"
    store = open_store_or_exit(db, command=command, must_exist=True)
    try:
        # One transaction: the rule files and the decision are both in the log, or neither is.
        store.record_decision(snapshot, decision, source="cli", order=order, order_request=request, policy=policy,
                              on_wait=say_waiting(command))
    except Exception as exc:
        exit_if_locked(exc, NOT_RECORDED)
        exit_if_store_failed(exc, store.engine.url, NOT_RECORDED)  # a read-only role: one line, no traceback
        raise
    finally:
        store.close()
    typer.echo(f"recorded in the audit log of {safe_url(db)} (source cli, policy_version {policy.version})",
               err=True)


LintStrict = Annotated[bool, typer.Option("--strict", help="Fail on warnings too: a threshold that reads as a "
                                          "percentage written whole (order_trend_ratio: {gt: 150} for 1.5), a number "
                                          "written 1.000 where a thousand is as likely.")]


def lint(rules: RulesArgument = None, rules_option: RulesAlso = None, strict: LintStrict = False) -> None:
    """Validate rule files; print each problem as path:line:col: code: message (exit 1 if any)."""
    # The closing count a clean run has on its `ok:` line: a long list of problems gave no total at its end.
    policy = load_or_exit(rules_dir(rules, rules_option), "refused: {problems}{files} (above){version}")
    for warning in policy.warnings:  # the `warning: ` lead `credit-policy test`'s warnings have
        typer.echo(f"warning: {warning}", err=True)
    n, files, w = len(policy.rule_ids), len(policy.files), len(policy.warnings)
    warned = f", {w} {plural(w, 'warning')} (above{'; --strict fails on warnings' if strict else ''})" if w else ""
    typer.echo(f"ok: {n} {plural(n, 'rule')} in {files} {plural(files, 'file')}, "
               f"policy_version {policy.version}{warned}")
    raise typer.Exit(1 if strict and w else 0)


Strict = Annotated[bool, typer.Option("--strict", help="Fail on warnings too: lint's on the rule files (a threshold "
                                      "that reads as a percentage written whole, a number written 1.000), a count "
                                      "written 1.000 in a case or fixture, and a financial statement there that does "
                                      "not add up (cash and stock over its current assets, …).")]


ScoreShown = Annotated[bool, typer.Option("--score", help="Under each case, how its 5C score is reached: each "
                                          "factor's row, points and weight, the staff's scores and the blend, and "
                                          "the grade band the score falls in.")]


def test_cmd(rules: RulesArgument = None, rules_option: RulesAlso = None, strict: Strict = False,
             score: ScoreShown = False) -> None:
    """Run the rule test cases kept in RULES/tests; every rule must fire in some case."""
    from policy_engine.casetests import run_suite

    rules = rules_dir(rules, rules_option)
    # Without a word after the problems, the cases looked forgotten rather than not run.
    policy = load_or_exit(rules, "no case was run: the rule files have {problems} (above){version}; fix them "
                                 "(`credit-policy lint` shows the same) and run the cases again")
    for warning in policy.warnings:  # lint's, as lint says them: staff who only run the cases see them too
        typer.echo(f"warning: {warning}", err=True)
    suite = run_suite(policy, rules)
    for problem in suite.problems:
        typer.echo(str(problem), err=True)
    for warning in suite.warnings:  # the `warning: ` lead other commands' warnings have, before the location
        typer.echo(f"warning: {warning}", err=True)
    for result in suite.results:
        status = "FAIL" if result.failures else "ok"
        typer.echo(f"{status:4} {result.case_id}  ({result.where})")
        for failure in result.failures:
            typer.echo(f"       {failure}")
        if score and result.snapshot is not None:
            _echo_score(policy, result.snapshot, result.as_of)
    coverage = _echo_coverage(suite)
    passed = sum(1 for r in suite.results if not r.failures)
    not_run = suite.not_run
    failed = f"{len(suite.results) - passed} failed" + (f" ({not_run} not run: problems above)" if not_run else "")
    warned = len(policy.warnings) + len(suite.warnings)
    typer.echo(f"{passed} passed, {failed}, {coverage}{_extra_counts(suite, warned, strict)}")
    raise typer.Exit(0 if suite.ok and not (strict and warned) else 1)


def _echo_score(policy: Any, snapshot: Any, as_of: Any) -> None:
    """The case's score breakdown under its line (a case the engine cannot decide shows its failure instead)."""
    from policy_engine.cli.score_view import score_lines
    from policy_engine.domain.errors import PolicyError

    try:
        lines = score_lines(*policy.score_breakdown(snapshot, as_of))
    except PolicyError:  # the failure above says why
        return
    for line in lines:
        typer.echo(f"       {line}")


def _extra_counts(suite: Suite, w: int, strict: bool) -> str:
    """The summary's end: the case files' problems, and the `w` warnings (the rule files' and the cases'), when
    there are any."""
    n = len(suite.problems)
    malformed = f", {n} {plural(n, 'problem')} in the case files (above)" if n else ""
    fails = "; --strict fails on warnings" if strict else ""
    return malformed + (f", {w} {plural(w, 'warning')} (above{fails})" if w else "")


def _echo_coverage(suite: Suite) -> str:
    """Print the rules no case that ran makes fire, and return the summary's words for them. While some
    cases were not run, such a rule may fire in one of those once its problem is fixed: it is listed as
    `not shown fired`, not `uncovered`, so nobody writes a new case for it before fixing the old ones."""
    uncovered = f"{len(suite.uncovered)} {plural(len(suite.uncovered), 'rule')}"
    if not (suite.not_run or suite.unread_files) or not suite.uncovered:
        for rule in suite.uncovered:
            typer.echo(f"uncovered: no case makes {rule} fire")
        return f"{uncovered} uncovered"
    missed = [(len(suite.unread_files), "case file", "not read"), (suite.not_run, "case", "not run")]
    counts = [(f"{n} {plural(n, what)}", n, how) for n, what, how in missed if n]
    said = " and ".join(f"{many} {'was' if n == 1 else 'were'} {how}" for many, n, how in counts)
    typer.echo(f"coverage incomplete: {said} (problems above); "
               "these rules fire in no case that ran, and may in those once they are fixed:")
    for rule in suite.uncovered:
        typer.echo(f"not shown fired: {rule}")
    brief = ", ".join(f"{many} {how}" for many, _, how in counts)
    return f"{uncovered} not shown fired (coverage incomplete: {brief})"


def evaluate(
    snapshot: Annotated[Path, typer.Argument(help="CustomerSnapshot JSON file.")],
    rules: RulesDir = DEFAULT_RULES_DIR,
    as_of: AsOf = None,
    explain: Annotated[bool, typer.Option("--explain", help="Include the trace of every rule.")] = False,
    db: Db = None,
) -> None:
    """Print the CustomerDecision for a snapshot as JSON."""
    snap, when = read_snapshot(snapshot), as_of_or_exit(as_of)
    policy = load_or_exit(rules)
    decision = _guard(lambda: policy.evaluate(snap, as_of=when, explain=explain))
    record(db, snap, decision, policy)
    emit(decision)


def check_order(
    snapshot: Annotated[Path, typer.Argument(help="CustomerSnapshot JSON file.")],
    amount: Annotated[str, typer.Option("--amount", metavar="DECIMAL", help="Order amount, a decimal string.")],
    order_id: Annotated[str, typer.Option("--order-id", metavar="ID",
                                          help="The order's id, as the decision names it.")] = "new-order",
    payment_term_days: Annotated[int, typer.Option("--payment-term-days", min=TERM_DAYS.ge, max=TERM_DAYS.le,
                                                   help="The order's payment terms in days.")] = 30,
    currency: Annotated[str | None, typer.Option("--currency", metavar="CODE", help=(
        "The amount's currency (ISO 4217); one other than the snapshot's is refused. Default: the snapshot's."
    ))] = None,
    rules: RulesDir = DEFAULT_RULES_DIR,
    as_of: AsOf = None,
    explain: Annotated[bool, typer.Option("--explain", help="Include the trace of every rule.")] = False,
    db: Db = None,
) -> None:
    """Print the OrderDecision (APPROVE, HOLD, SPECIAL_APPROVAL, CASH_IN_ADVANCE, REJECT) as JSON."""
    snap, when = read_snapshot(snapshot), as_of_or_exit(as_of)
    order = order_or_exit(order_id, amount, payment_term_days, _ORDER_OPTIONS, currency)
    if (other := currency_violation(order, snap, leave="leave --currency out")) is not None:
        raise fail(f"--currency: {other.description}")
    policy = load_or_exit(rules)
    decision = _guard(lambda: policy.check_order(snap, order, as_of=when, explain=explain), _ORDER_OPTIONS)
    record(db, snap, decision.customer, policy, order=decision, request=order)
    emit(decision)


def schema() -> None:
    """Print the JSON Schema of the rule files (for editors)."""
    from policy_engine.rules.schema import json_schema

    typer.echo(json.dumps(json_schema(), ensure_ascii=False, indent=2))




def _guard(run: Any, options: dict[str, str] | None = None) -> Any:
    """run(); a refusal exits 2 naming each request field by the option it was typed as (`options`)."""
    try:
        return run()
    except InvalidInput as exc:
        raise fail(str(exc.as_typed(options or {}))) from None
    except PolicyError as exc:
        typer.echo(f"error: {exc.code}: {exc}", err=True)
        raise typer.Exit(3) from None


def is_tty() -> bool:
    """True when stdout is a terminal (progress bars only then)."""
    return sys.stdout.isatty() and os.environ.get("CI") is None
