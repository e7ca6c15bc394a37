"""The run report (HTML with charts, CSV, JSON), rendered in a real headless browser; the work queue."""

from __future__ import annotations

import csv
import json
import os
import pwd
import shutil
import struct
import subprocess
import sys
import tempfile
from datetime import datetime, tzinfo
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from adapters.batch.runner import BatchOptions, run_batch
from scripts.report_png import BROWSER_FLAGS  # docs/report.png is rendered with the same flags
from tests.integration.test_batch_support import AS_OF, CLI, RULES, cli, make_portfolio, scalar, summary_of

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A completed run over 400 customers and its report directory."""
    tmp = tmp_path_factory.mktemp("report")
    url = make_portfolio(tmp, customers=400)
    run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=RULES))
    result = cli("report", "--db", url, "--out", str(tmp / "out"))
    assert result.returncode == 0, result.stderr
    return url, tmp / "out"


def _files(out: Path, suffix: str) -> Path:
    [path] = out.glob(f"report-2026-11-22-*{suffix}")
    return path


def test_the_report_shows_every_section_with_inline_charts(finished_run: tuple[str, Path]) -> None:
    html = _files(finished_run[1], ".html").read_text(encoding="utf-8")

    for heading in ("Grade distribution", "Grade migration", "Value classes (ABC)", "ABC curve", "Limit changes",
                    "Exposure by class", "Largest limit increases", "work queue", "Top by sales",
                    "Top by sales growth", "Top by profit rate", "Quarantined customers"):
        assert heading in html, heading
    assert html.count("<svg") >= 5
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")


def test_the_report_csv_has_one_line_per_customer_and_the_json_adds_up(finished_run: tuple[str, Path]) -> None:
    url, out = finished_run

    rows = list(csv.DictReader(_files(out, ".csv").open(encoding="utf-8")))
    figures = json.loads(_files(out, ".json").read_text())

    assert len(rows) == 400 == sum(figures["grades"].values())
    assert sum(sum(row.values()) for row in figures["migration"].values()) == 400
    assert sum(figures["limit_bands"].values()) == 400
    assert figures["queue"]["hold"] == scalar(url, "SELECT COUNT(*) FROM batch_actions WHERE code = 'HOLD_ORDERS'")
    changed = [r for r in rows if r["limit_change"] not in ("", "0", "0.00")]
    assert changed and all(r["status"] == "ok" for r in rows)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (bash .ci/install-chromium.sh installs it)")
def test_the_report_renders_in_a_headless_browser(finished_run: tuple[str, Path], tmp_path: Path) -> None:
    page, shot = _files(finished_run[1], ".html"), tmp_path / "report.png"

    result = subprocess.run(
        [str(CHROMIUM), *BROWSER_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
         "--window-size=1280,2000", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert shot.exists(), result.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 2000)
    assert len(data) > 100_000  # charts and tables, not a blank page


def test_the_work_queue_lists_the_days_actions_and_exports_csv(finished_run: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = finished_run
    target = tmp_path / "queue.csv"

    result = cli("queue", "--db", url, "--date", AS_OF.isoformat(), "--csv", str(target), "--limit", "5")

    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(target.open(encoding="utf-8-sig")))
    due = scalar(url, "SELECT COUNT(*) FROM batch_actions WHERE due_on <= '2026-11-22'")
    give_up = scalar(url, "SELECT COUNT(*) FROM batch_portfolio WHERE give_up")
    assert len(rows) == due + give_up
    categories = [r["category"] for r in rows]
    assert categories[0] == "urgent_review" and {"hold", "collection", "follow_up", "give_up_review"} <= set(categories)
    order = ["urgent_review", "hold", "review_due", "collection", "follow_up", "limit_action", "give_up_review"]
    assert categories == sorted(categories, key=order.index)
    assert "work queue for 2026-11-22" in result.stdout
    assert target.read_bytes().startswith(b"\xef\xbb\xbfcategory,")  # Excel reads it as UTF-8


def test_the_queue_on_screen_says_how_many_there_are_only_when_it_shows_fewer(finished_run: tuple[str, Path]) -> None:
    url, _ = finished_run
    total = (scalar(url, "SELECT COUNT(*) FROM batch_actions WHERE due_on <= '2026-11-22'")
             + scalar(url, "SELECT COUNT(*) FROM batch_portfolio WHERE give_up"))
    holds = scalar(url, "SELECT COUNT(*) FROM batch_actions WHERE due_on <= '2026-11-22' AND code = 'HOLD_ORDERS'")

    cut = cli("queue", "--db", url, "--date", AS_OF.isoformat(), "--limit", "5")
    held = cli("queue", "--db", url, "--date", AS_OF.isoformat(), "--limit", "1", "--category", "hold")
    whole = cli("queue", "--db", url, "--date", AS_OF.isoformat(), "--limit", str(total))

    assert f"showing 5 of {total:,}; --limit N or --csv FILE for all" in cut.stdout
    assert f"showing 1 of {holds:,};" in held.stdout
    assert whole.returncode == 0 and "showing" not in whole.stdout


def test_the_queue_filters_by_category(finished_run: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = finished_run
    target = tmp_path / "holds.csv"

    result = cli("queue", "--db", url, "--date", AS_OF.isoformat(), "--category", "hold", "--csv", str(target))

    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(target.open(encoding="utf-8-sig")))
    assert rows and {r["code"] for r in rows} == {"HOLD_ORDERS"}


def test_batch_writes_the_report_when_asked(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path)

    result = cli("batch", "--db", url, "--as-of", AS_OF.isoformat(), "--report-dir", str(tmp_path / "r"), "--quiet")

    assert result.returncode == 0, result.stderr
    assert Path(summary_of(result)["report"]["html"]).is_file()


def test_report_without_a_run_is_bad_input(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path)

    result = cli("report", "--db", url, "--out", str(tmp_path))

    assert result.returncode == 2 and "no batch run" in result.stderr


def test_an_output_place_that_cannot_be_written_is_named_and_nothing_is_lost(
    finished_run: tuple[str, Path], tmp_path: Path
) -> None:
    url, _ = finished_run
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")  # a folder under a file cannot be made, even by root

    report = cli("report", "--db", url, "--out", str(blocked / "reports"))
    assert report.returncode == 2 and f"cannot write the report to {blocked / 'reports'}" in report.stderr
    assert "Traceback" not in report.stderr

    queue = cli("queue", "--db", url, "--date", AS_OF.isoformat(), "--csv", str(blocked / "queue.csv"))
    assert queue.returncode == 2 and "--csv: cannot write" in queue.stderr and "Traceback" not in queue.stderr

    (tmp_path / "batch").mkdir()
    fresh = make_portfolio(tmp_path / "batch")
    batch = cli("batch", "--db", fresh, "--as-of", AS_OF.isoformat(), "--report-dir", str(blocked / "r"), "--quiet")
    summary = summary_of(batch)
    assert batch.returncode == 2 and summary["status"] == "complete" and summary["exit_code"] == 2
    assert "cannot write the report" in summary["report"]["error"]
    again = cli("batch", "--db", fresh, "--as-of", AS_OF.isoformat(), "--report-dir", str(tmp_path / "r"), "--quiet")
    assert again.returncode == 0 and summary_of(again)["evaluated_now"] == 0  # the run was kept: only the report
    assert Path(summary_of(again)["report"]["html"]).is_file()


def test_a_file_given_as_the_report_folder_is_said_to_be_no_folder(
    finished_run: tuple[str, Path], tmp_path: Path
) -> None:
    """`--out summary.json` (a file) said `File exists`, which reads as a refusal to overwrite."""
    url, _ = finished_run
    a_file = tmp_path / "summary.json"
    a_file.write_text("{}")

    report = cli("report", "--db", url, "--out", str(a_file))

    assert report.returncode == 2, report.stderr
    assert f"cannot write the report to {a_file}: not a directory" in report.stderr
    assert "File exists" not in report.stderr and a_file.read_text() == "{}"
    # the batch writes the report after the run: its error is said last (it came above the run's own line)
    again = cli("batch", "--db", url, "--as-of", AS_OF.isoformat(), "--report-dir", str(a_file), "--quiet")
    lines = again.stderr.splitlines()
    assert again.returncode == 2 and len(lines) == 3, again.stderr
    assert lines[0].startswith(f"warning: --report-dir {a_file} cannot be written: not a directory")
    assert "is already complete" in lines[1] and lines[2].startswith("error: cannot write the report to")

def test_a_report_folder_that_cannot_be_made_is_warned_of_before_the_evaluation_and_the_run_goes_on(
    tmp_path: Path,
) -> None:
    """An unwritable --report-dir was found only after the whole run (an hour on a large book)."""
    url = make_portfolio(tmp_path)
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    said: list[str] = []
    opts = BatchOptions(db_url=url, as_of=AS_OF, rules_dir=RULES, report_dir=blocked / "r")

    summary = run_batch(opts, lambda p: said.append("progress"), on_warning=said.append)

    assert said[0].startswith(f"--report-dir {blocked / 'r'} cannot be written: {blocked} is not a directory")
    assert said.count("progress") > 1 and summary["status"] == "complete" and summary["exit_code"] == 0
    assert summary["report_dir_unwritable"] == said[0].split("cannot be written: ", 1)[1].split("; the run")[0]


def test_batch_warns_of_a_read_only_report_folder_at_once_and_still_ends_with_exit_2(tmp_path: Path) -> None:
    """Root may write where the mode bits say no, but not on a read-only mount: the batch often runs as root."""
    if subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode != 0:
        pytest.skip("needs root and a private mount namespace (unshare -m) to mount a read-only folder")
    url = make_portfolio(tmp_path)
    (tmp_path / "ro").mkdir()
    mounted = f"mount -t tmpfs -o ro tmpfs {tmp_path / 'ro'} && exec \"$0\" \"$@\""  # private to the command

    batch = subprocess.run(["unshare", "-m", "sh", "-c", mounted, CLI, "batch", "--db", url, "--as-of",
                            AS_OF.isoformat(), "--report-dir", str(tmp_path / "ro" / "r"), "--quiet"],
                           capture_output=True, text=True, timeout=120)  # fmt: skip

    lines, summary = batch.stderr.splitlines(), summary_of(batch)
    assert lines[0].startswith(f"warning: --report-dir {tmp_path / 'ro' / 'r'} cannot be written: "
                               f"{tmp_path / 'ro'} is on a read-only file system"), batch.stderr
    assert "the run goes on" in lines[0] and lines[-1].startswith("error: cannot write the report")
    assert batch.returncode == 2 and summary["status"] == "complete" and summary["evaluated_now"] == 300


def test_a_report_folder_this_user_may_not_write_is_named_with_the_user() -> None:
    """Checked as an ordinary user (root is made `nobody` for it): the mode bits bind everyone but root."""
    place = Path(tempfile.mkdtemp(prefix="report-dir-"))
    try:
        place.chmod(0o755)
        (place / "locked").mkdir(mode=0o555)
        # Root becomes `nobody` inside the child, after its imports: started as `nobody`, an interpreter under a
        # private home (pyenv's in /root, mode 0700) could not even be run.
        nobody = pwd.getpwnam("nobody")
        become = (f"os.setgroups([]); os.setgid({nobody.pw_gid}); os.setuid({nobody.pw_uid}); "
                  if os.geteuid() == 0 else "")
        check = ("import os, sys; from pathlib import Path; from adapters.batch.report_dir import unwritable; "
                 f"{become}print(unwritable(Path(sys.argv[1]) / 'r'), unwritable(Path(sys.argv[2])), sep='\\n')")

        out = subprocess.run([sys.executable, "-c", check, str(place / "locked"), str(place)], capture_output=True,
                             text=True, timeout=60, cwd=Path(__file__).resolve().parents[2])  # fmt: skip

        locked, open_place = out.stdout.splitlines()
        user = "nobody" if become else pwd.getpwuid(os.geteuid()).pw_name
        assert locked.startswith(f"permission denied: user {user} may not create the folder in {place / 'locked'}"), \
            out.stderr
        assert open_place.startswith("permission denied") and f"may not create files in {place}" in open_place
    finally:
        shutil.rmtree(place)


def test_a_writable_report_folder_gets_no_warning(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path)

    batch = cli("batch", "--db", url, "--as-of", AS_OF.isoformat(), "--report-dir", str(tmp_path / "new" / "r"),
                "--quiet")  # fmt: skip

    assert batch.returncode == 0 and "warning" not in batch.stderr and "report_dir_unwritable" not in batch.stdout


def test_a_report_that_fails_while_writing_leaves_the_previous_one_whole(
    finished_run: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CSV was opened in place and written row by row: a run killed while writing the report left
    a truncated file under the report's name, which a spreadsheet opened without a word.

    The page says when it was generated (to the minute). It used to be put in place before the CSV was
    written, so a failed rewrite left a new page beside the old CSV and JSON: the rewrite here runs an
    hour later, and nothing of the previous report may change."""
    from sqlalchemy import create_engine

    from adapters.batch import report, runs

    url, _ = finished_run
    engine = create_engine(url)
    with engine.connect() as conn:
        run_id = runs.latest_run(conn)
    assert run_id is not None
    monkeypatch.setattr(report, "datetime", _FrozenClock)
    report.write_report(engine, run_id, tmp_path / "out")
    before = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    assert len(before) == 3 and any(b"2026-11-23 06:00" in text for text in before.values())

    class _DiesAfterTen(csv.DictWriter):  # type: ignore[type-arg]
        written = 0

        def writerow(self, rowdict):  # type: ignore[no-untyped-def]
            _DiesAfterTen.written += 1
            if _DiesAfterTen.written > 10:
                raise KeyboardInterrupt
            return super().writerow(rowdict)

    monkeypatch.setattr(report.csv, "DictWriter", _DiesAfterTen)
    monkeypatch.setattr(report, "datetime", _AnHourLater)  # a page written now would differ
    with pytest.raises(KeyboardInterrupt):
        report.write_report(engine, run_id, tmp_path / "out")
    engine.dispose()

    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == before


class _AnHourLater(datetime):
    """`datetime` whose now() is an hour after _FrozenClock's: the failed rewrite's page would say so."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _AnHourLater:
        return cls(2026, 11, 23, 7, 0, 30, tzinfo=tz)


class _FrozenClock(datetime):
    """`datetime` whose now() is always the same minute: the report's "Generated …" line."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _FrozenClock:
        return cls(2026, 11, 23, 6, 0, 30, tzinfo=tz)


def _by_currency(url: str) -> dict[str, dict[str, Decimal]]:
    """Per currency, from the run's results: credit before and after, and exposure."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT currency, prev_limit, credit_limit, exposure FROM batch_results "
                                 "WHERE status = 'ok'")).all()  # fmt: skip
    engine.dispose()
    sums: dict[str, dict[str, Decimal]] = {}
    for currency, prev, limit, exposure in rows:
        row = sums.setdefault(currency, {"before": Decimal(0), "after": Decimal(0), "exposure": Decimal(0)})
        row["before"] += Decimal(prev or 0)
        row["after"] += Decimal(limit)
        row["exposure"] += Decimal(exposure)
    return sums


def _limit_moves(url: str) -> list[tuple[str, str, Decimal]]:
    """(currency, customer_id, new limit minus previous) of every evaluated customer."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT currency, customer_id, prev_limit, credit_limit FROM batch_results "
                                 "WHERE status = 'ok'")).all()  # fmt: skip
    engine.dispose()
    return [(cur, cid, Decimal(limit) - Decimal(prev or 0)) for cur, cid, prev, limit in rows]


def _largest(moves: list[tuple[str, str, Decimal]], sign: int, currencies: tuple[str, ...]) -> list[tuple[str, str]]:
    """The 10 largest increases (sign 1) or cuts (-1) of each currency, currencies in code order."""
    return [(cur, cid) for cur in currencies for _, cid, _ in
            sorted((m for m in moves if m[0] == cur and sign * m[2] > 0), key=lambda m: (-sign * m[2], m[1]))[:10]]


@pytest.fixture(scope="module")
def two_currency_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A completed run over 120 customers, the first 30 trading in USD, and its report directory."""
    tmp = tmp_path_factory.mktemp("two-currencies")
    url = make_portfolio(tmp, customers=120)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE customers SET currency = 'USD' WHERE customer_id <= 'C0000030'"))
    engine.dispose()
    run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=RULES))
    result = cli("report", "--db", url, "--out", str(tmp / "out"))
    assert result.returncode == 0, result.stderr
    return url, tmp / "out"


def test_the_report_gives_money_per_currency_and_no_total_across_currencies(two_currency_run: tuple[str, Path]) -> None:
    """The report added limits and exposure in USD and CNY into one figure with no currency."""
    url, out = two_currency_run

    figures = json.loads(_files(out, ".json").read_text())

    sums = _by_currency(url)
    got = {row["currency"]: row for row in figures["by_currency"]}
    assert sorted(got) == sorted(sums) == ["CNY", "USD"]
    for currency, expected in sums.items():
        row = got[currency]
        assert (Decimal(row["limit_before"]), Decimal(row["limit_after"])) == (expected["before"], expected["after"])
        assert Decimal(row["exposure"]) == expected["exposure"] > 0
        assert sum(int(v[0]) for v in row["exposure_by_grade_class"].values()) == row["customers"]
    assert (figures["limit_before"], figures["limit_after"]) == (None, None)
    assert all(v[1:] == [None, None] for v in figures["exposure_by_grade_class"].values())
    assert sum(int(v[0]) for v in figures["exposure_by_value_class"].values()) == 120  # counts still add up
    html = _files(out, ".html").read_text(encoding="utf-8")
    assert "Credit extended (USD)" in html and "Credit extended (CNY)" in html


def test_the_largest_limit_moves_are_ranked_within_each_currency(two_currency_run: tuple[str, Path]) -> None:
    """The lists compared a change in dollars with one in yuan: the mixed top 10 is not each currency's."""
    url, out = two_currency_run
    moves = _limit_moves(url)

    figures = json.loads(_files(out, ".json").read_text())

    for key, sign in (("largest_limit_increases", 1), ("largest_limit_cuts", -1)):
        got = [(r["currency"], r["customer_id"]) for r in figures[key]]
        assert got == _largest(moves, sign, ("CNY", "USD")), key
        mixed = [(cur, cid) for cur, cid, _ in sorted((m for m in moves if sign * m[2] > 0),
                                                      key=lambda m: (-sign * m[2], m[1]))[:10]]
        assert got != mixed, key
    html = _files(out, ".html").read_text(encoding="utf-8")
    assert html.count('<th colspan="6" class="l">USD</th>') == 2  # each list says where a currency's rows start
    assert '<th colspan="3" class="l">USD</th>' in html  # and so does "Top by sales", ranked by the portfolio pass


def test_a_one_currency_report_ranks_its_limit_moves_as_one_list(finished_run: tuple[str, Path]) -> None:
    url, out = finished_run

    figures = json.loads(_files(out, ".json").read_text())

    increases = [(r["currency"], r["customer_id"]) for r in figures["largest_limit_increases"]]
    assert increases == _largest(_limit_moves(url), 1, ("CNY",)) and len(increases) == 10
    assert 'colspan="6" class="l">CNY' not in _files(out, ".html").read_text(encoding="utf-8")


def test_a_one_currency_report_keeps_its_totals_and_names_the_currency(finished_run: tuple[str, Path]) -> None:
    url, out = finished_run

    figures = json.loads(_files(out, ".json").read_text())

    [row] = figures["by_currency"]
    assert row["currency"] == "CNY" and row["limit_after"] == figures["limit_after"] != None  # noqa: E711
    assert Decimal(figures["limit_after"]) == _by_currency(url)["CNY"]["after"]
    assert figures["exposure_by_grade_class"] == row["exposure_by_grade_class"]


def test_the_queue_csv_gives_a_reviews_items_to_gather_in_their_own_column(
    finished_run: tuple[str, Path], tmp_path: Path
) -> None:
    url, _ = finished_run
    target = tmp_path / "reviews.csv"

    result = cli("queue", "--db", url, "--date", AS_OF.isoformat(), "--csv", str(target))

    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(target.open(encoding="utf-8-sig")))
    reviews = [r for r in rows if r["code"] == "CREDIT_REVIEW"]
    assert reviews and all(r["gather"] for r in reviews)
    for row in reviews:  # the same items the message names, in the rule file's order
        assert row["message"].endswith("gather: " + ", ".join(row["gather"].split("; ")))
    assert all(r["gather"] == "" for r in rows if r["code"] != "CREDIT_REVIEW")


def test_the_queue_as_json_lists_every_item_with_a_reviews_items_to_gather_as_a_list(
    finished_run: tuple[str, Path], tmp_path: Path
) -> None:
    url, _ = finished_run
    target = tmp_path / "queue.csv"
    cli("queue", "--db", url, "--date", AS_OF.isoformat(), "--csv", str(target))

    result = cli("queue", "--db", url, "--date", AS_OF.isoformat(), "--json")

    assert result.returncode == 0, result.stderr
    items = json.loads(result.stdout)
    rows = list(csv.DictReader(target.open(encoding="utf-8-sig")))
    assert [(i["customer_id"], i["code"], i["target_id"]) for i in items] == [
        (r["customer_id"], r["code"], r["target_id"]) for r in rows]
    reviews = [i for i in items if i["code"] == "CREDIT_REVIEW"]
    assert reviews and all(isinstance(i["gather"], list) and i["gather"] for i in reviews)
    assert [i["gather"] for i in reviews] == [r["gather"].split("; ") for r in rows if r["code"] == "CREDIT_REVIEW"]
    assert all(i["gather"] == [] for i in items if i["code"] != "CREDIT_REVIEW")
