"""`credit-policy migrate`: bring the store's schema to this release's, as its own step of an upgrade.

Every command migrates a store behind this release as it opens it, which suits an embedded SQLite file (only the
writing ones create a store where there is none: adapters/store/presence.py). A PostgreSQL store in production is
often written by a role that may not change the schema (its tables owned by another): there a release's upgrade is
this command, run once with the owner's URL, and the others then find the store at their schema.
"""

from __future__ import annotations

from typing import Annotated

import typer

from policy_engine.cli.store_common import DbOption, err, exit_cannot_open, say_waiting

CheckOption = Annotated[bool, typer.Option(
    "--check", help="change nothing: exit 0 when the store is at this release's schema, 1 when it is behind or empty")]


def migrate_cmd(db: DbOption = None, check: CheckOption = False) -> None:
    """Bring the store's schema to this release's (once per upgrade, by a role that may change it); --check says."""
    from adapters.store import make_engine, resolve_db_url
    from adapters.store.engine import NoSuchStore, require_existing, safe_url
    from adapters.store.revisions import current_revision, head_revision, migrate, refuse_unknown

    url = str(resolve_db_url(db))
    head = head_revision()
    try:
        require_existing(url)
        engine = make_engine(url)
    except NoSuchStore as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from None
    except Exception as exc:  # a bad location (BadDbUrl says what to write) or an unknown driver
        exit_cannot_open(exc, url)
    try:
        found = current_revision(engine)
        if found is not None:
            refuse_unknown(found)
        if not check and found != head:
            found = migrate(engine, on_wait=say_waiting("migrate"))
    except Exception as exc:  # unreachable, a later release's schema, a role that may not change it: one line
        exit_cannot_open(exc, url)
    finally:
        engine.dispose()
    typer.echo(f"store {safe_url(url)}: {_said(found, head, check)}")
    if check and found != head:
        raise typer.Exit(1)


def _said(found: str | None, head: str, check: bool) -> str:
    """The one line on what the store's schema was and became."""
    if found == head:
        return f"at revision {head}, this release's schema: nothing to do"
    was = f"at revision {found}" if found else "empty (no tables yet)"
    if check:
        return f"{was}, behind this release's {head}: run `credit-policy migrate` as a role that may change the schema"
    return f"upgraded from revision {found} to {head}" if found else f"schema created at revision {head} (it was empty)"
