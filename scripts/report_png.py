"""Remake docs/report.png: the nightly report of a demo portfolio, rendered by headless chromium.

    make report-png                                  # 5,000 customers as of 2026-11-22 -> docs/report.png
    .venv/bin/python scripts/report_png.py --help   # the options: --out, --customers, --as-of, --width, ...

Runs `credit-policy demo-data` and `credit-policy batch --report-dir` on a SQLite store in a temporary
folder, then chromium twice on the report's page: once to measure the page's height at the given
width, once to take the screenshot of the whole page, with the flags and fonts the browser test uses
(tests/integration/test_batch_report.py). Only the PNG is left; it replaces --out in one rename.
Exit 0 done, 1 a step failed (its error output is shown), 2 bad input or a missing browser or font.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import NoReturn

try:
    from policy_engine.domain.dates import refused_date
    from policy_engine.domain.values import parse_iso_date
except ImportError:  # run by a Python without the project: say which one to use, not a traceback
    sys.exit("error: run with the project's venv after `make install`: .venv/bin/python scripts/report_png.py")

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "docs" / "report.png"
DOCS_AS_OF = "2026-11-22"  # the date README and docs/batch.md quote the demo book's figures at
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
INSTALL = "bash .ci/install-chromium.sh (Debian/Ubuntu: apt-get install chromium fonts-noto-cjk)"
BROWSER_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run")
"""The flags tests/integration/test_batch_report.py renders the report with too."""
MAX_CUSTOMERS = 100_000  # the page's height does not grow with the book: more only takes longer
WIDTHS = (800, 3840)  # narrower and the report's two-column grid wraps; wider and the page is mostly margin
MAX_HEIGHT = 16_384  # chromium's largest texture side: a taller page would be cut off or blank
_HEIGHT = re.compile(r'data-page-height="(\d+)"')
# Added to a copy of the page only: the report itself carries no script (the browser test checks that).
_MEASURE = ("<script>document.body.setAttribute('data-page-height', "
            "String(document.documentElement.scrollHeight))</script></body>")


class Refused(Exception):
    """Bad input, or a browser or font that is missing: exit 2 with this message."""


class StepFailed(Exception):
    """A step (demo-data, batch, chromium) failed: exit 1 with this message."""


class _Parser(argparse.ArgumentParser):
    """argparse, its errors in the form every credit-policy command uses: `error: --option: …`, exit 2."""

    def error(self, message: str) -> NoReturn:
        """Print the error and exit 2."""
        self.exit(2, f"error: {message.removeprefix('argument ')}\n(scripts/report_png.py --help lists the options)\n")


def _bounded(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from low to high, else an error echoing the value."""

    def parse(text: str) -> int:
        if not re.fullmatch(r"[0-9]{1,9}", text.strip()):
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}")
        if not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(f"from {low:,} to {high:,}, got {text.strip()}")
        return int(text)

    return parse


def _as_of(text: str) -> date:
    """--as-of as a date, refused in the words every credit-policy command uses."""
    try:
        return parse_iso_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(refused_date(text, str(exc))) from None


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line; argparse exits 2 with `error: --option: …` on a bad value."""
    parser = _Parser(prog="scripts/report_png.py", description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--out", type=Path, default=DEFAULT_OUT, metavar="FILE", help="the PNG to write (default docs/report.png)")
    add("--customers", type=_bounded(1, MAX_CUSTOMERS), default=5000, metavar="N",
        help="demo customers (default 5000, the figure the docs name)")
    add("--as-of", type=_as_of, default=DOCS_AS_OF, metavar="YYYY-MM-DD",
        help=f"the run's date (default {DOCS_AS_OF}, the date of the docs' figures)")
    add("--seed", type=_bounded(0, 999_999_999), default=1, metavar="N", help="demo data seed (default 1)")
    add("--width", type=_bounded(*WIDTHS), default=1280, metavar="PX",
        help=f"page width in pixels, {WIDTHS[0]} to {WIDTHS[1]} (default 1280)")
    add("--workers", type=_bounded(1, 64), default=2, metavar="N", help="batch worker processes (default 2)")
    add("--chromium", metavar="PATH", help=f"the browser (default the first of {', '.join(BROWSERS)} on PATH)")
    return parser.parse_args(argv)


def find_chromium(given: str | None) -> Path:
    """The browser to render with, or Refused saying how to install one."""
    found = shutil.which(given) if given else next(filter(None, map(shutil.which, BROWSERS)), None)
    if found is None:
        what = f"--chromium {given}: not found or not executable" if given else \
            f"no chromium on PATH (looked for {', '.join(BROWSERS)})"
        raise Refused(f"{what}; install it with {INSTALL}")
    return Path(found)


def check_cjk_font() -> None:
    """Refused when no font covers Chinese: the report's policy terms (重点客户) would render as boxes."""
    if shutil.which("fc-list") is None:
        print("warning: fc-list not found, so the CJK font is not checked", file=sys.stderr)
        return
    listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=60)
    if not listed.stdout.strip():
        raise Refused("no font for Chinese text (fc-list :lang=zh lists none): the page would show boxes for its "
                      "policy terms; install one with apt-get install fonts-noto-cjk (Debian/Ubuntu)")


def check_out(out: Path) -> Path:
    """--out as an absolute path to a .png in a folder that exists and may be written, else Refused."""
    out = out.expanduser().absolute()
    if out.is_dir():
        raise Refused(f"--out {out}: is a directory; name the file, such as {out / 'report.png'}")
    if out.suffix.lower() != ".png":
        raise Refused(f"--out {out}: not a .png file name (chromium writes PNG)")
    if not out.parent.is_dir():
        raise Refused(f"--out {out}: no such folder {out.parent}")
    if not os.access(out.parent, os.W_OK | os.X_OK):
        raise Refused(f"--out {out}: the folder {out.parent} may not be written")
    return out


def run_step(name: str, command: Sequence[str], work: Path, ok: tuple[int, ...] = (0,)) -> None:
    """Run one step in `work`; StepFailed with the end of its error output when its exit status is not in `ok`."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=3600, cwd=work)
    except subprocess.TimeoutExpired:
        raise StepFailed(f"{name} did not finish within an hour") from None
    if done.returncode not in ok:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise StepFailed(f"{name} failed (exit {done.returncode}):\n{tail}")


def make_report(work: Path, args: argparse.Namespace) -> Path:
    """Demo data and a batch with its report, in `work`; the report's HTML page."""
    cli = [sys.executable, "-m", "policy_engine.cli"]
    db, as_of = f"sqlite:///{work / 'store.sqlite'}", args.as_of.isoformat()
    run_step("demo-data", [*cli, "demo-data", "--customers", str(args.customers), "--seed", str(args.seed),
                           "--as-of", as_of, "--db", db], work)
    # exit 1: done, with quarantined customers; the report names them (the demo data has none)
    run_step("batch", [*cli, "batch", "--db", db, "--as-of", as_of, "--workers", str(args.workers), "--quiet",
                       "--rules", str(ROOT / "rules"), "--report-dir", str(work / "reports")], work, ok=(0, 1))
    pages = sorted((work / "reports").glob("*.html"))
    if len(pages) != 1:
        raise StepFailed(f"the batch wrote {len(pages)} report pages, expected 1")
    return pages[0]


def browse(chromium: Path, work: Path, width: int, height: int, *args: str) -> subprocess.CompletedProcess[str]:
    """Chromium headless at width x height, its profile in `work` (removed with it)."""
    command = [str(chromium), *BROWSER_FLAGS, "--hide-scrollbars", f"--user-data-dir={work / 'profile'}",
               f"--window-size={width},{height}", *args]
    # Chromium keeps crash-report settings and a dconf cache under the XDG folders, whatever its profile:
    # pointed into `work`, they go with it (fonts are system-wide: fonts-noto-cjk)
    env = {**os.environ, "XDG_CONFIG_HOME": str(work / "config"), "XDG_CACHE_HOME": str(work / "cache")}
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=180, cwd=work, env=env)
    except subprocess.TimeoutExpired:
        raise StepFailed(f"{chromium} did not finish within 3 minutes") from None


def page_height(chromium: Path, page: Path, width: int, work: Path) -> int:
    """The page's full height in pixels at `width`, measured by chromium on a copy with a script added."""
    copy = work / "measure.html"
    copy.write_text(page.read_text(encoding="utf-8").replace("</body>", _MEASURE, 1), encoding="utf-8")
    done = browse(chromium, work, width, 1000, "--dump-dom", copy.as_uri())
    found = _HEIGHT.search(done.stdout)
    if found is None:
        raise StepFailed(f"chromium could not measure the page (exit {done.returncode}):\n{done.stderr[-2000:]}")
    height = int(found.group(1))
    if height > MAX_HEIGHT:
        raise StepFailed(f"the page is {height:,} px high at width {width}, over chromium's {MAX_HEIGHT:,}")
    return height


def screenshot(chromium: Path, page: Path, width: int, work: Path) -> Path:
    """The whole page as a PNG in `work`."""
    height = page_height(chromium, page, width, work)
    shot = work / "report.png"
    done = browse(chromium, work, width, height, f"--screenshot={shot}", page.as_uri())
    if not shot.is_file() or shot.read_bytes()[:8] != b"\x89PNG\r\n\x1a\n":
        raise StepFailed(f"chromium wrote no screenshot (exit {done.returncode}):\n{done.stderr[-2000:]}")
    return shot


def place(shot: Path, out: Path) -> None:
    """Put the PNG at `out` in one rename: a reader never finds half a picture, a failure leaves the old one."""
    fd, temporary = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as target:
            target.write(shot.read_bytes())
        os.chmod(temporary, 0o644)
        os.replace(temporary, out)
    except BaseException:
        os.unlink(temporary)
        raise


def main(argv: Sequence[str] | None = None) -> int:
    """Make the PNG; print where it went and its size."""
    args = parse_args(argv)
    try:
        out = check_out(args.out)
        chromium = find_chromium(args.chromium)  # both checked before minutes of work, not after
        check_cjk_font()
        with tempfile.TemporaryDirectory(prefix="report-png-") as work:
            shot = screenshot(chromium, make_report(Path(work), args), args.width, Path(work))
            place(shot, out)
    except Refused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except StepFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{out}: {args.customers:,} customers as of {args.as_of}, {out.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
