"""Output files written whole or not at all: a report, an export or a simulation's CSV; text in them
spreadsheet-safe."""

from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

PRIVATE_FILE, PRIVATE_FOLDER = 0o600, 0o700
"""A new file written here and a folder made for it: its owner's only, whatever the umask (the store's file is
0600 too). Every file written here holds customers' data (a report, queue --csv, simulate --csv, snapshot --out,
import's rejects): under the usual umask 022 they were 0644, readable by every local user."""


def spreadsheet_safe(value: Any) -> Any:
    """Text a spreadsheet will not run as a formula (`=HYPERLINK(…)` in a customer's name): a
    leading `= + - @`, tab or carriage return gets a `'` before it, as OWASP advises for CSV. Only for
    text from the records (ids, names, messages): a number of ours (`-500.00`) must stay a number."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def spreadsheet_text(cell: str) -> str:
    """A CSV cell as it was before spreadsheet_safe: its `'` taken off when a formula's first character follows, so
    that a file we wrote (an import's rejects) imports as it is."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(_FORMULA_STARTS) else cell


@contextmanager
def written_whole(path: Path, encoding: str = "utf-8", newline: str | None = None,
                  new_mode: int = PRIVATE_FILE, errors: str = "strict") -> Iterator[TextIO]:
    """Open a temporary file beside `path` for writing text; when the block ends it takes `path`'s
    place in one rename, so a reader (a browser, a spreadsheet, a script) never finds half a file
    and a run killed while writing leaves the previous file, not a truncated one. If the block
    raises, the temporary file is removed and `path` is untouched. A file replaced keeps its
    permissions (its owner's choice); a new one gets `new_mode` (PRIVATE_FILE) less what the umask takes away."""
    target = _target_of(path)
    if target.is_dir():  # found before writing it all, and named as asked (not the temporary's name)
        raise OSError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    temporary, fd = _create_beside(target, path, new_mode)
    try:
        with os.fdopen(fd, "w", encoding=encoding, errors=errors, newline=newline) as out:
            yield out
        try:
            os.replace(temporary, target)
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(path)) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _target_of(path: Path) -> Path:
    """The file `path` names, through a symbolic link as open() would write, but only a link of ours (or
    root's): one planted by another user in a shared directory would choose which of our files is replaced."""
    if os.path.islink(path) and os.lstat(path).st_uid not in (os.geteuid(), 0):
        raise PermissionError(errno.EPERM, "a symbolic link owned by another user; not followed", str(path))
    return Path(os.path.realpath(path))


def _create_beside(target: Path, path: Path, new_mode: int) -> tuple[Path, int]:
    """A new temporary file in `target`'s directory and its descriptor: an unguessable name created
    exclusively (never through a link planted at it), with the mode of the file it will replace."""
    try:
        mode: int | None = stat.S_IMODE(target.stat().st_mode)
    except OSError:  # none yet (or no such directory, which creating the temporary file reports)
        mode = None  # new_mode less the umask, as open() would create it
    for _ in range(100):
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.partial")
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                         0o600 if mode is not None else new_mode)
        except FileExistsError:
            continue
        except OSError as exc:  # name the file asked for, not the temporary one
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        if mode is not None:  # the replaced file's mode: the umask must not widen one its owner narrowed
            os.fchmod(fd, mode)
        return temporary, fd
    raise FileExistsError(errno.EEXIST, "no free temporary name beside it", str(path))


def make_private_folder(folder: Path) -> None:
    """Make `folder` (PRIVATE_FOLDER when new; one that exists keeps its mode) and, as the umask says, its parents."""
    if folder.exists() and not folder.is_dir():  # mkdir says "File exists", which reads as "will not overwrite"
        raise NotADirectoryError(errno.ENOTDIR, "not a directory (a file of that name is there)", str(folder))
    folder.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)


def write_whole(path: Path, text: str) -> None:
    """`path.write_text(text)` that a reader or a kill never sees half done (see written_whole)."""
    with written_whole(path) as out:
        out.write(text)
