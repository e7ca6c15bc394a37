"""scripts/report_png.py, which remakes docs/report.png: its options, and its errors before and during the work."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from scripts import report_png


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary folder the script works in, empty: a test can tell that nothing was left there."""
    place = tmp_path / "tmp"
    place.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(place))
    return place


def fake_tools(folder: Path, chromium: str, fonts: str = "Noto Sans CJK SC") -> Path:
    """A PATH folder with a `chromium` running the shell lines given and an `fc-list` listing `fonts`."""
    folder.mkdir()
    (folder / "chromium").write_text(f"#!/bin/sh\n{chromium}\n")
    (folder / "fc-list").write_text(f"#!/bin/sh\necho '{fonts}'\n")
    for tool in ("chromium", "fc-list"):
        (folder / tool).chmod(0o755)
    return folder


def refusal(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """The exit status and the error the script gives for `argv`, whether argparse or the script says it."""
    try:
        code = report_png.main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


@pytest.mark.parametrize(("argv", "said"), [
    (["--customers", "0"], "--customers: from 1 to 100,000, got 0"),
    (["--customers", "5,000"], "--customers: not a whole number: '5,000'"),
    (["--width", "300"], "--width: from 800 to 3,840, got 300"),
    (["--as-of", "22/11/2026"], "--as-of: not an ISO date (YYYY-MM-DD): '22/11/2026'; write 2026-11-22"),
    (["--as-of", "2026-02-30"], "--as-of: no such day: '2026-02-30' (February 2026 has 28 days)"),
    (["--colour", "blue"], "unrecognized arguments: --colour blue"),
])  # fmt: skip
def test_a_bad_option_value_is_refused_naming_the_option_and_the_value(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str], scratch: Path
) -> None:
    code, err = refusal(argv, capsys)

    assert code == 2 and err.startswith(f"error: {said}\n"), err
    assert list(scratch.iterdir()) == []


def test_the_defaults_are_the_docs_portfolio_and_date() -> None:
    args = report_png.parse_args([])

    assert (args.customers, args.as_of.isoformat(), args.width) == (5000, "2026-11-22", 1280)
    assert args.out == report_png.ROOT / "docs" / "report.png"


@pytest.mark.parametrize(("name", "said"), [
    ("shot.jpg", "not a .png file name"),
    ("no-such-folder/shot.png", "no such folder"),
    ("a-folder", "is a directory; name the file"),
])  # fmt: skip
def test_an_out_that_cannot_take_the_png_is_refused_before_any_work(
    name: str, said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], scratch: Path
) -> None:
    (tmp_path / "a-folder").mkdir()

    code, err = refusal(["--out", str(tmp_path / name)], capsys)

    assert code == 2 and err.startswith(f"error: --out {tmp_path / name}: {said}"), err
    assert list(scratch.iterdir()) == []


def test_no_chromium_on_path_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], scratch: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))

    code, err = refusal(["--out", str(tmp_path / "shot.png")], capsys)

    assert code == 2 and "no chromium on PATH (looked for chromium, chromium-browser, google-chrome)" in err
    assert "install it with bash .ci/install-chromium.sh" in err and "apt-get install chromium fonts-noto-cjk" in err
    assert list(scratch.iterdir()) == [] and not (tmp_path / "shot.png").exists()


def test_a_chromium_given_that_is_not_there_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = refusal(["--out", str(tmp_path / "shot.png"), "--chromium", "/nowhere/chromium"], capsys)

    assert code == 2 and "--chromium /nowhere/chromium: not found or not executable; install it with" in err


def test_no_font_for_chinese_is_refused_as_the_page_would_show_boxes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], scratch: Path
) -> None:
    monkeypatch.setenv("PATH", str(fake_tools(tmp_path / "bin", "exit 0", fonts="")))

    code, err = refusal(["--out", str(tmp_path / "shot.png")], capsys)

    assert code == 2 and "no font for Chinese text (fc-list :lang=zh lists none)" in err, err
    assert "apt-get install fonts-noto-cjk" in err and list(scratch.iterdir()) == []


def test_a_browser_that_fails_leaves_the_previous_png_and_no_temporary_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], scratch: Path
) -> None:
    """The demo data and the batch run for real (on 20 customers); the browser fails on the page."""
    monkeypatch.setenv("PATH", str(fake_tools(tmp_path / "bin", "echo 'cannot open display' >&2; exit 1")))
    previous = tmp_path / "shot.png"
    previous.write_bytes(b"the previous picture")

    code, err = refusal(["--out", str(previous), "--customers", "20"], capsys)

    assert code == 1 and "chromium could not measure the page (exit 1):\ncannot open display" in err, err
    assert previous.read_bytes() == b"the previous picture"
    assert list(scratch.iterdir()) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["bin", "shot.png", "tmp"]
