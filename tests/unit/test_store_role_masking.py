"""A role whose password is its own name (the CI's role has it so) is hidden wherever the password is: in the URL
and in the advice that names the role, not only in the driver's words. Before, `safe_url` showed
`credit_policy:***@…` and the advice after a refusal said `GRANT … TO credit_policy`: the password, in clear. A role
whose password differs is still named, or the GRANT could not be copied."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import ProgrammingError

from adapters.batch.fatal import fatal_text
from adapters.store.engine import cannot_open, make_engine, safe_url

SAME = "postgresql+psycopg://credit_policy:credit_policy@db:5432/credit"
DIFFERENT = "postgresql+psycopg://credit_app:Xk2-secret@db:5432/credit"


class _Denied(Exception):
    """What psycopg raises for a table the role may not write: SQLSTATE 42501, insufficient_privilege."""

    sqlstate = "42501"


def _denied() -> ProgrammingError:
    return ProgrammingError("INSERT INTO policy_versions …", {}, _Denied("permission denied for table policy_versions"))


def test_a_user_name_that_is_the_password_is_hidden_in_the_url_shown() -> None:
    assert safe_url(SAME) == "postgresql+psycopg://***:***@db:5432/credit"


def test_a_user_name_other_than_the_password_is_shown() -> None:
    assert safe_url(DIFFERENT) == "postgresql+psycopg://credit_app:***@db:5432/credit"


@pytest.mark.parametrize(("url", "named", "hidden"), [(SAME, "***", "credit_policy"),
                                                    (DIFFERENT, "credit_app", "Xk2-secret")],
                         ids=["password is the role's name", "password differs"])  # fmt: skip
@pytest.mark.parametrize("say", [lambda url: cannot_open(url, _denied()),
                                 lambda url: fatal_text(_denied(), make_engine(url))], ids=["cannot_open", "batch"])
def test_the_advice_names_the_role_as_the_url_does(url: str, named: str, hidden: str, say) -> None:  # type: ignore[no-untyped-def]
    said = say(url)

    assert "permission denied for table policy_versions" in said
    assert f"(role {named} may not write the store's tables" in said
    assert f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {named}, or point --db" in said
    assert hidden not in said


def test_a_database_name_that_begins_with_the_password_stays_readable_in_the_whole_line() -> None:
    """Before: `database "***_no_such" does not exist`, while the URL and the advice said credit_policy_no_such."""
    url = "postgresql+psycopg://credit_policy:credit_policy@db:5432/credit_policy_no_such"
    missing = ProgrammingError("SELECT 1", {}, Exception('database "credit_policy_no_such" does not exist'))

    said = cannot_open(url, missing)

    assert said.startswith("cannot open the store postgresql+psycopg://***:***@db:5432/credit_policy_no_such: ")
    assert 'database "credit_policy_no_such" does not exist' in said
