"""A report that meets a full disk: the line says to free space and that the run is kept, so the same command
writes only the report (before: `cannot write the report to DIR: No space left on device`, nothing more)."""

from __future__ import annotations

import errno
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from adapters.batch import report
from policy_engine.cli import build_app
from tests.integration.test_batch_support import AS_OF, make_portfolio


def _batch(url: str, report_dir: Path) -> tuple[int, dict[str, Any], str]:
    result = CliRunner().invoke(build_app(), ["batch", "--db", url, "--as-of", AS_OF.isoformat(), "--quiet",
                                              "--report-dir", str(report_dir)])  # fmt: skip
    return result.exit_code, json.loads(result.stdout), result.stderr


def test_a_report_on_a_full_disk_says_to_free_space_and_that_the_run_is_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url, reports = make_portfolio(tmp_path, customers=120), tmp_path / "reports"
    write_csv = report.write_csv

    def disk_full(_engine: Any, _run_id: str, path: Path) -> None:  # the CSV, the largest file, meets it
        raise OSError(errno.ENOSPC, "No space left on device", str(path.parent))

    monkeypatch.setattr(report, "write_csv", disk_full)
    code, summary, stderr = _batch(url, reports)
    monkeypatch.setattr(report, "write_csv", write_csv)
    again_code, again, _ = _batch(url, reports)

    assert (code, summary["status"], summary["exit_code"]) == (2, "complete", 2)
    error = summary["report"]["error"]
    assert error.startswith(f"cannot write the report to {reports}: No space left on device (no room left: free "
                            "space there); the run is complete and kept: once the report can be written, the same "
                            "command again writes only the report")
    assert stderr.splitlines()[-1] == f"error: {error}"
    assert (again_code, again["evaluated_now"]) == (0, 0) and Path(again["report"]["html"]).is_file()
