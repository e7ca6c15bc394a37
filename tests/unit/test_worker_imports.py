"""An engine worker builds its policy from the program compiled once for the version (policy_from_program): it
imports neither the rule-file loader nor the compiler (the YAML parser among them, ~0.12 s and their memory in
every worker), which `policy_engine.api` used to import as it loaded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from policy_engine.api import load_policy, program_bytes

ROOT = Path(__file__).resolve().parents[2]
READERS = ("policy_engine.rules.compiler", "policy_engine.rules.loader", "ruamel.yaml")


def test_a_worker_builds_the_policy_from_its_program_without_importing_the_loader_or_the_compiler(
        tmp_path: Path) -> None:
    policy = load_policy()
    program = tmp_path / "program"
    program.write_bytes(program_bytes(policy))
    code = ("import sys, adapters.grpc.worker, adapters.grpc.memory_store\n"
            "from policy_engine.api import policy_from_program\n"
            f"built = policy_from_program(open({str(program)!r}, 'rb').read())\n"
            f"print(built.version, [m for m in {READERS!r} if m in sys.modules])")

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().split(maxsplit=1) == [policy.version, "[]"]
    policy.close()


def test_a_worker_opens_a_sqlite_store_without_importing_alembic_or_the_postgresql_dialect(tmp_path: Path) -> None:
    """The front process migrates the store; a worker only checks its revision (adapters/store/schema_head.py)."""
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    subprocess.run([sys.executable, "-c", f"from adapters.store import open_store; open_store({url!r}).close()"],
                   check=True, cwd=ROOT, timeout=60)
    unused = ("alembic", "mako", "sqlalchemy.dialects.postgresql")
    code = ("import sys, adapters.grpc.worker as worker\n"
            f"store = worker._open_worker_store({url!r})\n"
            f"print(type(store).__name__, [m for m in {unused!r} if m in sys.modules])")

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().split(maxsplit=1) == ["SqlStore", "[]"]
