"""Ctrl-C at any moment of a `credit-policy` command: exit 130 and one line, never a traceback.

The CLI runs as a real process, `evaluate` reading a snapshot from a pipe the test keeps open, so the command
never ends by itself: whenever the SIGINT lands (during the imports, while the app is built, while it waits),
the answer must be the same. The child runs with `-X importtime`, whose log on stderr tells the test when the
CLI's own imports have begun; no assertion depends on how fast the machine is.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMMAND = [sys.executable, "-X", "importtime", "-m", "policy_engine.cli", "evaluate", "/dev/stdin"]
INTERRUPTED = "credit-policy: interrupted"


def _spawn() -> subprocess.Popen[str]:
    return subprocess.Popen(COMMAND, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def _wait_for_cli_imports(child: subprocess.Popen[str], imports_after_cli: int) -> list[str]:
    """Read the import log until `imports_after_cli` modules imported after `policy_engine.cli` itself (so
    by main()) are done; the lines read."""
    assert child.stderr is not None
    seen: list[str] = []
    after = -1
    while after < imports_after_cli:
        line = child.stderr.readline()
        assert line, f"the CLI ended before {imports_after_cli} of its imports: {''.join(seen)[-2000:]}"
        seen.append(line)
        if after >= 0:
            after += 1
        elif line.rstrip().endswith("| policy_engine.cli"):
            after = 0
    return seen


def _interrupt(child: subprocess.Popen[str], read: list[str] | None = None) -> tuple[int, list[str]]:
    child.send_signal(signal.SIGINT)
    _, rest = child.communicate(timeout=120)
    lines = (read or []) + rest.splitlines(keepends=True)
    return child.returncode, [line.rstrip("\n") for line in lines if not line.startswith("import time:")]


@pytest.mark.parametrize("imports_after_cli", [1, 40, 250])
def test_ctrl_c_during_the_clis_imports_exits_130_with_one_line(imports_after_cli: int) -> None:
    for _ in range(2):
        child = _spawn()
        read = _wait_for_cli_imports(child, imports_after_cli)

        code, said = _interrupt(child, read)

        assert "Traceback" not in "\n".join(said)
        assert (code, said) == (130, [INTERRUPTED])


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.2, 0.5, 1.5])
def test_ctrl_c_once_the_cli_runs_exits_130_with_one_line(delay: float) -> None:
    child = _spawn()
    read = _wait_for_cli_imports(child, 1)
    time.sleep(delay)  # into the imports, the building of the app, or the wait for the snapshot: the same answer

    code, said = _interrupt(child, read)

    assert "Traceback" not in "\n".join(said)
    assert (code, said) == (130, [INTERRUPTED])


def test_ctrl_c_right_after_spawn_stops_the_cli_without_a_traceback() -> None:
    for _ in range(3):
        child = _spawn()

        code, said = _interrupt(child)

        # Before Python's own start-up installs its handler, SIGINT kills the process as for any program
        # (-SIGINT here; a shell shows 130); from the CLI's first line on, the CLI answers.
        assert "Traceback" not in "\n".join(said)
        assert code in (130, -signal.SIGINT)
        assert said in ([], [INTERRUPTED])


def test_a_cli_started_with_ctrl_c_ignored_keeps_ignoring_it() -> None:
    child = subprocess.Popen(COMMAND, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))  # as `nohup`, `cmd &`
    read = _wait_for_cli_imports(child, 1)
    child.send_signal(signal.SIGINT)

    _, rest = child.communicate(input="", timeout=120)  # the snapshot, read at last: empty

    said = [line for line in read + rest.splitlines() if not line.startswith("import time:")]
    assert child.returncode == 2 and INTERRUPTED not in said


def test_a_ctrl_c_caught_from_a_string_eval_still_exits_130_under_python_m(tmp_path: Path) -> None:
    """Where typer evaluates string annotations: CPython would end `python -m` by SIGINT (-2), not 130."""
    (tmp_path / "evaluated.py").write_text(
        "from policy_engine.cli.interrupt import interrupted\n"
        "def stop():\n    raise KeyboardInterrupt\n"
        "try:\n    eval('stop()')\nexcept KeyboardInterrupt:\n    raise interrupted() from None\n")

    done = subprocess.run([sys.executable, "-m", "evaluated"], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": f"{tmp_path}:{ROOT}", "PATH": "/usr/bin:/bin"}, timeout=120)

    assert (done.returncode, done.stderr.splitlines()) == (130, [INTERRUPTED])
