# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""A reload refused because a rule file could not be read says, as lint does, that the checks across
files wait until it reads (more problems may show then): in GetPolicy's last_refused.note and in the
`policy reload refused` log line, on a real `credit-policy serve` process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from policy_engine.rules.compiler import UNREAD_NOTE
from tests.integration.conftest_grpc import (
    ROOT,
    TIMEOUT,
    ServerProcess,
    copy_rules,
    server_factory,  # noqa: F401  (fixtures: pytest finds them by name)
)
from tests.integration.test_grpc_reload import BROKEN_YAML, wait_until

NOT_UTF8 = b"rules:\n  - id: caf\xe9\n"
"""A rule file saved as Latin-1: it is not read (`unreadable`), so the checks across files do not run."""


def last_refused(server: ServerProcess) -> pb.RefusedReload:
    """GetPolicy's last_refused once a reload was refused."""
    stub = server.stub()
    wait_until(lambda: stub.GetPolicy(pb.GetPolicyRequest(), timeout=TIMEOUT).HasField("last_refused"))
    return stub.GetPolicy(pb.GetPolicyRequest(), timeout=TIMEOUT).last_refused


def test_a_rule_file_that_cannot_be_read_refuses_the_reload_with_the_note_that_checks_across_files_wait(
        server_factory: Any) -> None:
    server: ServerProcess = server_factory("--watch-interval", "0.2", workers=1)

    (server.rules_dir / "zz_latin1.yaml").write_bytes(NOT_UTF8)
    refused = last_refused(server)

    assert [(Path(p.path).name, p.code) for p in refused.problems] == [("zz_latin1.yaml", "unreadable")]
    assert refused.note == UNREAD_NOTE
    logged = server.wait_for_event("policy reload refused")
    assert logged["note"] == UNREAD_NOTE
    assert any("zz_latin1.yaml:" in problem for problem in logged["problems"])


def test_a_rule_set_whose_files_all_read_is_refused_without_a_note(server_factory: Any) -> None:
    server: ServerProcess = server_factory("--watch-interval", "0.2", workers=1)

    (server.rules_dir / "zz_broken.yaml").write_text(BROKEN_YAML)
    refused = last_refused(server)

    assert any(p.path.endswith("zz_broken.yaml") for p in refused.problems)
    assert refused.note == ""
    assert "note" not in server.wait_for_event("policy reload refused")


def test_a_rules_directory_emptied_while_serving_is_refused_once_as_no_rule_files_and_the_old_version_serves(
        server_factory: Any) -> None:
    """A ConfigMap that unmounts leaves an empty directory: one problem at it, not one per kind at absent files."""
    server: ServerProcess = server_factory("--watch-interval", "0.2", workers=1)
    first = server.version()

    for path in sorted(server.rules_dir.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    refused = last_refused(server)

    assert [(p.path, p.line, p.code) for p in refused.problems] == [(str(server.rules_dir), 1, "no_rule_files")]
    assert server.version() == first
    assert any("no_rule_files" in problem for problem in server.wait_for_event("policy reload refused")["problems"])


def serve_exit(rules: Path, *model: str) -> subprocess.CompletedProcess[str]:
    """`credit-policy serve` on a rules directory that does not load: it exits, saying why."""
    command = [sys.executable, "-c", "from policy_engine.cli import main; main()", "serve", "--rules", str(rules),
               "--db", "memory", "--port", "0", "--host", "127.0.0.1", *model]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))


def test_serve_refusing_to_start_on_an_unreadable_rule_file_prints_the_note_after_the_problems(
        tmp_path: Path) -> None:
    rules = copy_rules(tmp_path / "rules")
    (rules / "zz_latin1.yaml").write_bytes(NOT_UTF8)

    for model in (("--workers", "0"), ("--processes", "1")):
        result = serve_exit(rules, *model)

        assert result.returncode == 1, model
        lines = result.stderr.splitlines()
        problem = next(i for i, line in enumerate(lines) if "zz_latin1.yaml:" in line)
        assert any(line.endswith(f"note: {UNREAD_NOTE}") for line in lines[problem + 1:]), (model, result.stderr)
