"""Whether the batch's --report-dir can be written, asked before the run (it is written only after it)."""

from __future__ import annotations

import os
import pwd
from collections.abc import Callable
from pathlib import Path
from typing import Any

NOT_A_DIRECTORY = "not a directory (a file of that name is there)"


def unwritable(path: Path) -> str | None:
    """Why the report could not be written into `path` (made if missing), or None when it could.

    Nothing is created to find out: the kernel's own check (access(2), for the effective user) is asked
    of `path` or of the nearest existing folder it would be made in. For root that is the truth too: the
    mode bits do not bind root, while a read-only mount or an immutable folder does, and access says so.
    """
    place = path
    while not place.exists() and place != place.parent:  # `exists` follows links, as the writes will
        place = place.parent
    if not place.is_dir():
        return NOT_A_DIRECTORY if place == path else f"{place} is {NOT_A_DIRECTORY}"
    if os.access(place, os.W_OK | os.X_OK, effective_ids=os.access in os.supports_effective_ids):
        return None
    if _read_only(place):  # the reason a read-only mount gives every user, root included
        return f"{place} is on a read-only file system"
    what = "files" if place == path else "the folder"
    return f"permission denied: user {_user()} may not create {what} in {place}"


def warn_if_unwritable(report_dir: Path, summary: dict[str, Any], warn: Callable[[str], None]) -> None:
    """Say now, not after an hour's run, that the report cannot be written there; the run goes on (a night's
    evaluation is not refused over a report path) and the caller still ends with exit 2 when it fails."""
    why = unwritable(report_dir)
    if why is not None:
        summary["report_dir_unwritable"] = why
        warn(f"--report-dir {report_dir} cannot be written: {why}; the run goes on, but its report will not be "
             "written (exit 2 at the end): once the folder is fixed, the same command writes only the report")


def _read_only(place: Path) -> bool:
    try:
        return bool(os.statvfs(place).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _user() -> str:
    try:  # the effective user's name, not $USER: `su`, sudo and a scheduler may leave it as it was
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:  # a uid with no name (a container's arbitrary uid)
        return f"uid {os.geteuid()}"
