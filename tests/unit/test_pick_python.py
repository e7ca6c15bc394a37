"""scripts/pick-python.sh: the interpreter `make install` builds .venv on."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "pick-python.sh"
SH = shutil.which("sh") or "/bin/sh"


def pick(path_dirs: list[Path], *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.pathsep.join(str(d) for d in path_dirs), "HOME": os.environ.get("HOME", "/")}
    return subprocess.run(
        [SH, str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=120
    )


def base_interpreter() -> Path:
    """The CPython this venv was made from (the venv's own python cannot make venvs of its own
    with pip when it is a symlink into the venv; its base can)."""
    return Path(os.path.realpath(getattr(sys, "_base_executable", sys.executable)))


def test_no_usable_interpreter_is_an_error_that_says_what_to_install(tmp_path: Path) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    # a "python3.12" that is not a CPython 3.11/3.12 at all, and a 3.13 one, are both passed over
    (fake / "python3.12").write_text("#!/bin/sh\necho 'Python 3.13.0'\nexit 0\n")
    (fake / "python3.12").chmod(0o755)
    result = pick([fake, Path("/nonexistent")])
    assert result.returncode == 1
    assert result.stdout == ""
    assert "need CPython 3.11 or 3.12" in result.stderr
    assert "python3.11-venv python3.11-dev" in result.stderr


def test_the_same_interpreter_twice_on_path_is_one_candidate(tmp_path: Path) -> None:
    base = base_interpreter()
    dirs = []
    for name in ("a", "b"):
        d = tmp_path / name
        d.mkdir()
        (d / "python3.11").symlink_to(base)
        (d / "python3").symlink_to(base)
        dirs.append(d)
    result = pick(dirs, "-v")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(base)
    assert result.stderr.count("candidate:") == 1, result.stderr


def test_of_several_interpreters_the_fastest_is_taken() -> None:
    real = {
        os.path.realpath(p)
        for d in os.environ.get("PATH", "").split(os.pathsep)
        for p in (os.path.join(d, "python3.11"), os.path.join(d, "python3.12"))
        if os.access(p, os.X_OK) and not os.path.realpath(p).endswith("/pyenv")
    }
    result = pick([Path(d) for d in os.environ.get("PATH", "").split(os.pathsep)], "-v")
    prefix = "lap time relative to the first:"
    laps = [line[len(prefix):].split() for line in result.stderr.splitlines() if line.startswith(prefix)]
    if len(laps) < 2:
        pytest.skip(f"fewer than two usable CPython 3.11/3.12 on PATH here ({sorted(real)})")
    assert result.returncode == 0, result.stderr
    relative = {exe: float(ratio) for ratio, exe in laps}
    assert next(iter(relative.values())) == 1.0  # the first candidate is the yardstick
    chosen = result.stdout.strip()
    assert chosen in relative
    assert relative[chosen] <= min(relative.values()) * 1.03


def fake_venv(root: Path, python: str) -> Path:
    """A venv-shaped directory whose pip only records its arguments, for the Makefile's stamp rule."""
    bin_dir = root / "bin"
    bin_dir.mkdir(parents=True)
    (root / "pyvenv.cfg").write_text("home = /nowhere\n")
    (bin_dir / "python").symlink_to(python)
    (bin_dir / "pip").write_text(f'#!/bin/sh\necho "$@" >> "{root}/pip-calls"\n')
    (bin_dir / "pip").chmod(0o755)
    return root


def make_stamp(venv: Path, *args: str) -> subprocess.CompletedProcess[str]:
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    return subprocess.run([make, "-C", str(SCRIPT.parents[1]), f"VENV={venv}", f"{venv}/.installed", *args],
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_an_existing_venv_is_updated_in_place_not_made_again_with_another_interpreter(tmp_path: Path) -> None:
    # A changed pyproject.toml used to re-run `python -m venv` over the venv with the picker's (or
    # PYTHON's) interpreter; with another interpreter than the venv's that broke it.
    venv = fake_venv(tmp_path / "venv", sys.executable)
    result = make_stamp(venv, "PYTHON=/nonexistent/python3.11")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"updating {venv} (Python {sys.version.split()[0]}" in result.stdout
    assert "creating" not in result.stdout
    assert (venv / "pyvenv.cfg").read_text() == "home = /nowhere\n"
    assert "install -q -e .[dev]" in (venv / "pip-calls").read_text()
    assert (venv / ".installed").exists()


def test_a_broken_venv_is_made_again(tmp_path: Path) -> None:
    venv = fake_venv(tmp_path / "venv", "/nonexistent/python3")
    result = make_stamp(venv, "PYTHON=/nonexistent/python3.11")
    assert result.returncode != 0
    assert f"creating {venv} with /nonexistent/python3.11" in result.stdout
