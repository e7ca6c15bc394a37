"""A batch stopped (systemctl stop: SIGTERM) while it writes its report: the summary still comes, with exit 3, and no
half-written file is left in the report folder. Before, the run's signal handlers were gone by then, so SIGTERM ended
the process on the spot: exit 143, nothing on stdout or stderr, three `.partial` files left beside the report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.integration.test_batch_support import AS_OF, make_portfolio

ROOT = Path(__file__).resolve().parents[2]
STOPPED_WHILE_THE_CSV_IS_WRITTEN = """
import os, signal, sys
from adapters.batch import report
write_csv = report.write_csv

def stopped_meanwhile(engine, run_id, path):
    os.kill(os.getpid(), signal.SIGTERM)  # as `systemctl stop` sends it, between the page and the CSV
    return write_csv(engine, run_id, path)

report.write_csv = stopped_meanwhile
from policy_engine.cli import main
sys.argv = ["credit-policy", *sys.argv[1:]]
main()
"""


def test_a_batch_stopped_while_it_writes_its_report_says_so_and_leaves_no_partial_file(tmp_path: Path) -> None:
    url, reports = make_portfolio(tmp_path, customers=120), tmp_path / "reports"

    result = subprocess.run([sys.executable, "-c", STOPPED_WHILE_THE_CSV_IS_WRITTEN, "batch", "--db", url, "--as-of",
                             AS_OF.isoformat(), "--quiet", "--report-dir", str(reports)],
                            capture_output=True, text=True, timeout=120, cwd=ROOT)  # fmt: skip

    assert result.returncode == 3, (result.returncode, result.stderr)
    summary = json.loads(result.stdout)
    assert (summary["status"], summary["exit_code"], summary["ok"]) == ("complete", 3, 120)
    assert summary["report"]["error"] == ("terminated while the report was written: the run is complete and kept, the "
                                          "report not written; the same command again writes only the report")
    assert result.stderr.strip().splitlines()[-1] == f"error: {summary['report']['error']}"
    assert list(reports.iterdir()) == []
