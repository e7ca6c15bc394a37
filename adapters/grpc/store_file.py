"""The SQLite store's file at its path, as the store watch (store_watch.py) sees it: which file a store URL
names, its identity (st_dev, st_ino), its -wal and -shm beside it, moving an old file's aside, and a
descriptor that pins the served one. store_watch.py re-exports these names, as they were defined there."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

Identity = tuple[int, int]


def store_path(store_url: str | None) -> Path | None:
    """The SQLite file `store_url` names; None for no store, another database, or a URL that does not parse."""
    if not store_url:
        return None
    from sqlalchemy import make_url

    from adapters.store.engine import resolve_db_url, sqlite_file

    try:
        return sqlite_file(make_url(resolve_db_url(store_url)))
    except Exception:  # noqa: BLE001 - the store opened, so this does not happen; no watch then
        return None


def identity(path: Path) -> Identity | None:
    """(st_dev, st_ino) of the file at `path`; None when there is none, or an empty one (opening it would
    make a new, empty store of it), or something else than a file (a directory)."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino) if stat.S_ISREG(info.st_mode) and info.st_size > 0 else None


def file_identity(path: Path) -> Identity | None:
    """(st_dev, st_ino) of the file at `path`, whatever its size; None when there is none."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino)


SIDE_FILES = ("-wal", "-shm")


def side_files(path: Path) -> dict[str, Identity | None]:
    """The identities of the store's -wal and -shm files."""
    return {suffix: file_identity(Path(f"{path}{suffix}")) for suffix in SIDE_FILES}


def move_aside(path: Path, known: dict[str, Identity | None]) -> list[str]:
    """Rename the old file's -wal and -shm (those still at the path with the identities in `known`) to
    `<name>-wal.old-<time>`: SQLite would read that WAL's frames over a new file's pages. Kept, not deleted:
    it holds the old file's last commits. Returns the new names."""
    moved = []
    for suffix, was in known.items():
        side = Path(f"{path}{suffix}")
        if was is not None and file_identity(side) == was:
            target = side.with_name(f"{side.name}.old-{time.strftime('%Y%m%dT%H%M%S')}")
            try:
                side.rename(target)
            except OSError:
                continue
            moved.append(str(target))
    return moved


def shown(ident: Identity | None) -> str:
    """An identity as the log shows it: `dev:inode`, or `none`."""
    return f"{ident[0]}:{ident[1]}" if ident is not None else "none"


def pin(path: Path) -> int | None:
    """A descriptor on the served file, held until another is served: while it is open the file's inode
    cannot be given to a new file, so a new file never takes the old one's identity (and its WAL).

    Closed only once SQLite's connections to that file in this process are (a close drops every POSIX lock
    the process holds on the file, SQLite's included)."""
    try:
        return os.open(path, os.O_RDONLY)
    except OSError:
        return None
