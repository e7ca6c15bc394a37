"""Option values a command refuses, in one form for every command: `error: --option: what is wrong: 'value'`,
then what to write where one can tell (`; write 2026-11-01`, `; write 1000`), exit 2 — the form case files
already use for their values (`as_of: not an ISO date (YYYY-MM-DD): '2026/11/01'; write 2026-11-01`)."""

from __future__ import annotations

from datetime import date

import typer

from policy_engine.domain.suggest import echoed
from policy_engine.rules.problems import one_line

USAGE_EXIT = 2
"""Bad input on the command line, as click's own usage errors."""

MAX_ROWS = 1_000_000_000
"""The most rows a count option (`--last`, `--limit`) takes: past 2**63, SQLite's LIMIT and islice raised
(a traceback)."""

def fail(message: str, code: int = USAGE_EXIT) -> typer.Exit:
    """Print an error on stderr and return the Exit to raise."""
    typer.echo(f"error: {one_line(message)}", err=True)
    return typer.Exit(code)


def refused(option: str, why: str, value: str, hint: str = "") -> typer.Exit:
    """`error: --option: why: 'value'` and the hint (`; write …`), on stderr; the Exit (2) to raise."""
    return fail(refusal(option, why, value, hint))


def refusal(option: str, why: str, value: str, hint: str = "") -> str:
    """`--option: why: 'value'` and the hint (`; write …`): what `refused` says after `error: `."""
    return f"{option}: {why}: {echoed(value)}{hint}"


def id_argument(name: str, value: str) -> str:
    """The id an argument names, surrounding whitespace taken off as every id is; or exit 2 saying what is wrong:
    empty, longer than any id (the bound, the id cut short), or holding a control or invisible character."""
    from policy_engine.domain.bounds import id_problem, too_long
    from policy_engine.domain.values import MAX_ID_LENGTH

    given = value.strip()
    if not given:
        raise fail(f"{name}: required")
    if len(given) > MAX_ID_LENGTH:  # the bound's words echo the id, cut short: 100,000 characters were echoed whole
        raise fail(f"{name}: {too_long(given, MAX_ID_LENGTH)}")
    if problem := id_problem(given):
        raise refused(name, problem, given)  # echoed escaped: raw, a control character would drive the terminal
    return given


def date_option(option: str, value: str) -> date:
    """The day an option names, or exit 2 saying what was given and, where one can tell, what to write."""
    # Imported here: the domain's values load ISO 4217's list (pycountry, ~20-60 ms), which the app's group
    # (usage.py), `status` and every --help import this module without needing.
    from policy_engine.domain.dates import refused_date
    from policy_engine.domain.values import parse_iso_date

    try:
        return parse_iso_date(value)
    except ValueError as exc:
        raise fail(f"{option}: {refused_date(value, str(exc))}") from None
