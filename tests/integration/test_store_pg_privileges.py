"""A PostgreSQL role that may not do what a command needs: one line naming the role, what it lacks and what to do,
and an exit code that tells a scheduler not to retry. The test role takes its own privileges away (an owner may),
as a role granted SELECT alone or DML without DDL would lack them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from typer.testing import CliRunner

from adapters.store import make_engine, migrate
from policy_engine.cli import build_app
from tests.integration.conftest import reset_postgres

PG_URL = os.environ.get("CREDIT_POLICY_PG_URL", "")
pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not PG_URL, reason="CREDIT_POLICY_PG_URL is not set")]
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "steady-distributor.json"


@pytest.fixture
def role() -> str:
    """The role of CREDIT_POLICY_PG_URL, on a store at this release's schema that may read but not insert."""
    reset_postgres(PG_URL)
    engine = make_engine(PG_URL)
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(text("REVOKE INSERT ON ALL TABLES IN SCHEMA public FROM CURRENT_USER"))
    engine.dispose()
    return str(make_url(PG_URL).username)


def _named(role: str) -> str:
    """How a message names `role`: hidden as *** where its password is the same word (as the CI's role has it)."""
    return "***" if make_url(PG_URL).password == role else role


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(build_app(), list(args))
    return result.exit_code, result.stdout, result.stderr


def test_a_batch_whose_role_may_not_write_stops_with_exit_2_naming_the_role_and_the_grant(role: str) -> None:
    """Before: exit 3 and `ProgrammingError: permission denied for table policy_versions` alone, which the nightly
    unit retried in vain."""
    code, stdout, stderr = _cli("batch", "--db", PG_URL, "--as-of", "2026-11-22", "--quiet")

    summary = json.loads(stdout)
    assert (code, summary["exit_code"]) == (2, 2)
    assert str(summary["error"]).startswith("ProgrammingError: permission denied for table ")
    assert " may not write the store's tables: " in str(summary["error"])
    assert "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO " in stderr


def test_evaluate_with_db_whose_role_may_not_write_says_so_in_one_line_and_prints_nothing(role: str) -> None:
    """Before: a traceback ending in InsufficientPrivilege, exit 1."""
    code, stdout, stderr = _cli("evaluate", str(EXAMPLE), "--as-of", "2026-11-22", "--db", PG_URL)

    assert (code, stdout) == (2, "")
    assert stderr.startswith("error: permission denied for table ") and len(stderr.splitlines()) == 1
    assert " may not write the store's tables" in stderr and "the decision was not recorded" in stderr


def test_the_role_in_the_advice_is_masked_as_in_the_driver_s_words_and_the_url(role: str) -> None:
    """Before: with the CI's role, whose password is its name, the driver's words and the URL hid it and the advice
    after them said `GRANT … TO credit_policy` on stderr and in the batch's summary: the password, in clear."""
    batch = _cli("batch", "--db", PG_URL, "--as-of", "2026-11-22", "--quiet")
    evaluate = _cli("evaluate", str(EXAMPLE), "--as-of", "2026-11-22", "--db", PG_URL)

    grant = f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {_named(role)}, or point --db"
    for said in (str(json.loads(batch[1])["error"]), batch[2], evaluate[2]):
        assert f"(role {_named(role)} may not write the store's tables" in said and grant in said
        assert _named(role) != "***" or role not in said  # the password is nowhere


def test_serve_whose_role_may_not_write_the_decision_log_refuses_to_start_naming_what_it_lacks(role: str) -> None:
    """Before: the rules loaded and the workers started, then a traceback (InsufficientPrivilege on policy_versions)."""
    done = subprocess.run([sys.executable, "-m", "adapters.grpc", "serve", "--db", PG_URL, "--port", "0",
                           "--workers", "0"], capture_output=True, text=True, timeout=120)  # fmt: skip

    assert done.returncode == 2
    assert done.stderr.startswith("serve: cannot open the store ") and len(done.stderr.splitlines()) == 1
    assert (f"role {_named(role)} may not write the decision log the service keeps (no INSERT on policy_versions, "
            "INSERT on decision_snapshots, INSERT on decision_log)") in done.stderr
    password = str(make_url(PG_URL).password)
    assert f":{password}@" not in done.stderr


def test_a_store_behind_whose_role_may_not_change_the_schema_names_credit_policy_migrate() -> None:
    """Before: the driver's `permission denied for schema public` with the whole CREATE TABLE statement."""
    reset_postgres(PG_URL)
    engine = make_engine(PG_URL)
    migrate(engine, "0002")
    with engine.begin() as conn:
        conn.execute(text("REVOKE CREATE ON SCHEMA public FROM CURRENT_USER"))

    runs = _cli("runs", "--db", PG_URL)
    served = subprocess.run([sys.executable, "-m", "adapters.grpc", "serve", "--db", PG_URL, "--port", "0",
                             "--workers", "0"], capture_output=True, text=True, timeout=120)  # fmt: skip
    with engine.begin() as conn:
        conn.execute(text("GRANT CREATE ON SCHEMA public TO CURRENT_USER"))
    migrated = _cli("migrate", "--db", PG_URL)

    refused = ("may not change the store's schema (permission denied for schema public); the store is at revision "
               "0002, this release reads and writes ")
    assert runs[0] == 2 and refused in runs[2] and "run `credit-policy migrate --db URL` once with a role" in runs[2]
    last = served.stderr.splitlines()[-1]  # after alembic's log line `Running upgrade 0002 -> batch_0001`
    assert served.returncode == 2 and last.startswith("serve: cannot open the store ") and refused in last
    assert "CREATE TABLE" not in runs[2] + served.stderr
    assert migrated[0] == 0 and "upgraded from revision 0002 to " in migrated[1]
    engine.dispose()
