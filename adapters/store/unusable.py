"""A store that cannot take the writes or is damaged, and what the operator does about it, in one line.

A read-only SQLite file (a store made or restored as root for a batch that runs as `credit-policy`, a
folder or mount that is read-only) and a damaged one ("database disk image is malformed") do not mend by
themselves: a run stopped by one must not be retried blindly (the batch's exit 2, not 3), and the line must
say what is wrong and where, not that "the database went away". So does a PostgreSQL role the tables' owner
did not grant the writes. A PostgreSQL server that takes no writes
is most likely a standby during a failover, which does pass: it is told apart and retried."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL

from adapters.store.db_env import DB_ENV_VAR

_SQLITE_UNWRITABLE = ("SQLITE_READONLY", "SQLITE_CANTOPEN")
_UNWRITABLE_WORDS = ("attempt to write a readonly database", "unable to open database file")
_PG_READ_ONLY = "25006"
"""read_only_sql_transaction: a hot standby, or default_transaction_read_only on."""
_PG_NO_PRIVILEGE = "42501"
"""insufficient_privilege: a role granted SELECT alone (a reporting role), or none on a table a release added."""
_PG_DAMAGED = frozenset({"XX001", "XX002"})
"""data_corrupted, index_corrupted."""


@dataclass(frozen=True)
class Unusable:
    """Why the store cannot be used (to follow the driver's words) and whether running again later may help."""

    advice: str
    retry_may_help: bool


def unusable_store(exc: BaseException, url: URL) -> Unusable | None:
    """What is wrong with the store at `url` when `exc` says it cannot be written or is damaged; else None."""
    orig = getattr(exc, "orig", None) or exc
    if url.get_backend_name() == "sqlite":
        return _sqlite(str(orig), getattr(orig, "sqlite_errorname", None) or "", _sqlite_path(url))
    state = getattr(orig, "sqlstate", None)
    if state == _PG_READ_ONLY:
        return Unusable(" (the database server takes no writes: a standby or read-only replica, or "
                        "default_transaction_read_only is on; point --db or $CREDIT_POLICY_DB at the primary, or "
                        "wait for the failover, then run the same command again to resume)", True)
    if state == _PG_NO_PRIVILEGE:
        role = url.username or "this role"
        return Unusable(f" (role {role} may not write the store's tables: the service, the batch, import, demo-data "
                        f"and evaluate --db write them; {grant_advice(role)})", False)
    if state in _PG_DAMAGED:
        return Unusable(" (the database server reports damaged data: a retry cannot help; have its administrator "
                        "repair it (REINDEX, or a restore from a backup), then run the same command again)", False)
    return None


def grant_advice(role: str) -> str:
    """What gives `role` the writes the commands need on a PostgreSQL store, or where else to point them."""
    return (f"as the schema's owner, GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role} "
            f"and GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}, or point --db or ${DB_ENV_VAR} at a role "
            "that may, then run the same command again")


def _sqlite(said: str, code: str, path: Path) -> Unusable | None:
    if code.startswith("SQLITE_NOTADB") or "file is not a database" in said:  # most often a wrong --db
        return Unusable(f" ({path} is not a SQLite database: check --db or ${DB_ENV_VAR}; if it names the store, the "
                        "store is damaged: restore it from a backup, then run the same command again)", False)
    if code.startswith("SQLITE_CORRUPT") or "database disk image is malformed" in said:
        return Unusable(f" (the store's file {path} is damaged: a retry cannot help; stop every process using it, "
                        f"check it with `sqlite3 {path} 'PRAGMA integrity_check'` and restore it from a backup, then "
                        "run the same command again)", False)
    if code.startswith(_SQLITE_UNWRITABLE) or any(words in said for words in _UNWRITABLE_WORDS):
        return Unusable(f" ({_not_writable(path)}: SQLite writes the store's file, its -wal and -shm files and "
                        f"their folder; make them {_user()}'s (chown) and writable, then run the same command "
                        "again)", False)
    return None


def _not_writable(path: Path) -> str:
    """Which of the store's file, its -wal and -shm files and their folder this user may not write, and why."""
    folder = path.parent
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return f"{folder} is on a read-only file system"
    except OSError:
        pass
    files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    for item in files:
        if item.exists() and not os.access(item, os.R_OK | os.W_OK):
            return f"user {_user()} may not write {item} ({_owner_and_mode(item)})"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"user {_user()} may not write the folder {folder} ({_owner_and_mode(folder)})"
    return f"the store's file {path} or its folder cannot be written (read-only, immutable or opened read-only)"


def _owner_and_mode(item: Path) -> str:
    info = item.stat()
    try:
        import pwd

        owner = pwd.getpwuid(info.st_uid).pw_name
    except (ImportError, KeyError):
        owner = str(info.st_uid)
    return f"owner {owner}, mode {stat.filemode(info.st_mode)}"


def _user() -> str:
    """The name of the user this process runs as (its uid where it has none)."""
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError, AttributeError):
        return "this user"


def _sqlite_path(url: URL) -> Path:
    """The file a SQLite URL names, `file:` URIs included (their query is not part of the name)."""
    database = url.database or ""
    return Path(database.removeprefix("file:").split("?", 1)[0]).expanduser()
