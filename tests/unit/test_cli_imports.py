"""A command imports what it uses: `lint` neither the store nor the gRPC service, `status` neither the engine nor
the store, the app's `--help` no command at all (commands.py). Risk staff run `lint` and `test` many times an
hour and the tests start hundreds of CLI processes; every module no command needs is start-up time for all.

Which modules a command imported is read from its process's sys.modules as it ends: deterministic, unlike a time.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from policy_engine.cli import build_app
from policy_engine.cli.commands import COMMANDS, CommandTable

ROOT = Path(__file__).resolve().parents[2]
COMMAND_MODULES = frozenset(target.split(":")[0] for target in COMMANDS.values())
ENGINE = ("durable_rules_engine", "policy_engine.evaluator")
STORE = ("sqlalchemy", "alembic", "adapters.store")
SERVICE = ("grpc", "adapters.grpc.command")
SHARES = {"policy_engine.cli.runs_cmd": ("policy_engine.cli.batch_cmds",)}
"""The command modules a command's own module builds on (the batch commands share batch_cmds' options)."""
DOMAIN = ("policy_engine.domain.models", "pycountry")
"""The domain model, and ISO 4217's list of currencies that its values load (~20-60 ms)."""


def _imported(tmp_path: Path, *args: str) -> set[str]:
    """The modules `credit-policy ARGS` has imported when it ends, run as a process from the project's root."""
    listed = tmp_path / "modules"
    code = (f"import sys\nsys.argv = ['credit-policy', *{args!r}]\nfrom policy_engine.cli import main\n"
            f"try:\n    main()\nfinally:\n    open({str(listed)!r}, 'w').write('\\n'.join(sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert listed.exists(), done.stderr[-2000:]
    return set(listed.read_text().splitlines())


def _among(imported: set[str], names: tuple[str, ...] | frozenset[str]) -> list[str]:
    """Which of `names` were imported (a package's modules count as the package)."""
    return sorted(n for n in names if n in imported or any(m.startswith(f"{n}.") for m in imported))


def test_the_apps_help_lists_every_command_without_importing_any(tmp_path: Path) -> None:
    imported = _imported(tmp_path, "--help")

    assert _among(imported, COMMAND_MODULES) == []
    assert _among(imported, (*ENGINE, *STORE, *SERVICE, *DOMAIN, "pydantic")) == []


@pytest.mark.parametrize(("args", "unused"), [
    (("lint", "rules"), (*STORE, *SERVICE, "asyncio", "rich.progress", "policy_engine.cli.batch_cmds")),
    (("test", "rules"), (*STORE, *SERVICE, "asyncio", "rich.progress", "policy_engine.cli.batch_cmds")),
    (("status", "--port", "1", "--timeout", "1"), (*ENGINE, *STORE, *DOMAIN, "ruamel")),
    (("serve", "--help"), (*ENGINE, *STORE)),
    (("batch", "--help"), (*ENGINE, *SERVICE, *STORE, *DOMAIN, "asyncio")),
    (("runs", "--help"), (*ENGINE, *SERVICE, *STORE, *DOMAIN, "asyncio")),
])
def test_a_command_imports_neither_the_other_commands_nor_what_it_does_not_use(
        args: tuple[str, ...], unused: tuple[str, ...], tmp_path: Path) -> None:
    imported = _imported(tmp_path, *args)

    own = COMMANDS[args[0]].split(":")[0]
    assert own in imported
    assert _among(imported, COMMAND_MODULES - {own, *SHARES.get(own, ())}) == []
    assert _among(imported, unused) == []


def test_the_apps_help_lists_each_command_as_the_command_itself_would(monkeypatch: pytest.MonkeyPatch) -> None:
    """The listing reads the docstrings from the source; built from the commands themselves it reads the same."""
    listed = CliRunner().invoke(build_app(), ["--help"], env={"COLUMNS": "300"})
    monkeypatch.setattr(CommandTable, "listed", lambda table: {name: table[name] for name in table})

    built = CliRunner().invoke(build_app(), ["--help"], env={"COLUMNS": "300"})

    assert listed.exit_code == built.exit_code == 0
    assert listed.stdout == built.stdout
    assert all(f" {name} " in listed.stdout for name in COMMANDS)
