"""Output files written whole or not at all: a report, an export or a simulation's CSV; text in them
spreadsheet-safe."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """Text a spreadsheet will not run as a formula (`=HYPERLINK(…)` in a customer's name): a
    leading `= + - @`, tab or carriage return gets a `'` before it, as OWASP advises for CSV. Only for
    text from the records (ids, names, messages): a number of ours (`-500.00`) must stay a number."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


@contextmanager
def written_whole(path: Path, encoding: str = "utf-8", newline: str | None = None) -> Iterator[TextIO]:
    """Open a temporary file beside `path` for writing text; when the block ends it takes `path`'s
    place in one rename, so a reader (a browser, a spreadsheet, a script) never finds half a file
    and a run killed while writing leaves the previous file, not a truncated one. If the block
    raises, the temporary file is removed and `path` is untouched."""
    target = Path(os.path.realpath(path))  # through a symbolic link, as open() would write
    temporary = target.with_name(f".{target.name}.{os.getpid()}.partial")
    if target.is_dir():  # found before writing it all, and named as asked (not the temporary's name)
        raise OSError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    try:
        try:
            out = temporary.open("w", encoding=encoding, newline=newline)
        except OSError as exc:  # name the file asked for, not the temporary one
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        with out:
            yield out
        try:
            os.replace(temporary, target)
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(path)) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_whole(path: Path, text: str) -> None:
    """`path.write_text(text)` that a reader or a kill never sees half done (see written_whole)."""
    with written_whole(path) as out:
        out.write(text)
