"""scripts/report_png.py end to end on a small book: the whole page in chromium, and nothing left but the PNG."""

from __future__ import annotations

import shutil
import struct
import tempfile
from pathlib import Path

import pytest

from scripts import report_png

CHROMIUM = next(filter(None, map(shutil.which, report_png.BROWSERS)), None)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (bash .ci/install-chromium.sh installs it)")
def test_the_script_renders_the_whole_report_at_the_width_asked_and_leaves_only_the_png(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    scratch, out = tmp_path / "tmp", tmp_path / "docs" / "report.png"
    scratch.mkdir(), out.parent.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    out.write_bytes(b"the previous picture")

    code = report_png.main(["--out", str(out), "--customers", "60", "--width", "1000", "--workers", "1"])

    assert code == 0, capsys.readouterr().err
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    # the whole page: taller than any window chromium opens by default, down to the page's last line
    assert width == 1000 and 2500 < height < report_png.MAX_HEIGHT
    assert len(data) > 100_000  # charts and tables, not a blank page
    assert list(scratch.iterdir()) == [] and [p.name for p in out.parent.iterdir()] == ["report.png"]
    assert f"{out}: 60 customers as of 2026-11-22, {len(data):,} bytes" in capsys.readouterr().out
