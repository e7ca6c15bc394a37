# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""`credit-policy status` against a real `credit-policy serve` on port 0: a rule change copied in is waited for
and reported served, a broken one is reported at file:line with exit 1 while the old version serves, nothing
listening is exit 4 naming host:port, a peer that never answers is a timeout, TLS as serve's flags name it."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from policy_engine.rules.emit import policy_version
from policy_engine.rules.loader import read_rule_files
from tests.integration.conftest_grpc import (
    ROOT,
    ServerProcess,
    copy_rules,
    server_factory,  # noqa: F401  (fixtures: pytest finds them by name)
)
from tests.integration.test_grpc_reload import BROKEN_YAML, a_rule_file
from tests.integration.test_grpc_tls import pki  # noqa: F401  (a fixture)

POLICY_KEYS = {"version", "loaded_at", "build", "rules_dir", "rules_dir_state", "rule_count", "file_names",
               "warning_count", "warnings", "reloading", "pending", "last_refused"}
TOP_KEYS = {"outcome", "exit_code", "target", "wanted_version", "rules", "waited_seconds", "message", "error",
            "policy"}


def status_args(server: ServerProcess, *args: str) -> list[str]:
    """The command line of `credit-policy status` at `server`."""
    return [sys.executable, "-m", "policy_engine.cli", "status", "--host", "127.0.0.1", "--port", str(server.port),
            *args]


def run_status(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    """Run a `credit-policy status` command line to its end."""
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=_env())


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT))


def start_waiting(*args: str) -> tuple[subprocess.Popen[str], str]:
    """Start `status --wait` and return once it has asked the service a first time, with its `waiting` line."""
    proc = subprocess.Popen(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            env=_env())
    assert proc.stderr is not None
    line = proc.stderr.readline()
    assert line.startswith("waiting up to"), line + proc.stderr.read()
    return proc, line


@pytest.fixture
def watched(server_factory: Any) -> ServerProcess:
    server: ServerProcess = server_factory("--watch-interval", "0.2", workers=0)
    return server


def test_a_change_copied_into_the_served_rules_is_waited_for_and_reported_live(
        watched: ServerProcess, tmp_path: Path) -> None:
    staged = copy_rules(tmp_path / "staged")
    edited = a_rule_file(staged)
    edited.write_text(edited.read_text() + "\n# reviewed by risk staff\n")
    lint = run_status(sys.executable, "-m", "policy_engine.cli", "lint", str(staged))
    wanted = lint.stdout.rsplit("policy_version ", 1)[1].split()[0]  # the version lint prints is the one waited for
    before = watched.version()
    proc, waiting = start_waiting(*status_args(watched, "--rules", str(staged), "--wait", "--timeout", "60"))

    shutil.copy(edited, watched.rules_dir / edited.relative_to(staged))
    out, err = proc.communicate(timeout=90)

    assert proc.returncode == 0, out + err
    assert waiting.rstrip().endswith(f"for policy_version {wanted} on 127.0.0.1:{watched.port}: it serves {before}")
    assert f"served: policy_version {wanted} (the rules in {staged}) is live on 127.0.0.1:{watched.port}" in out
    assert f"127.0.0.1:{watched.port} serves policy_version {wanted}, loaded at " in out
    assert watched.version() == wanted


def test_a_broken_file_copied_in_is_refused_at_its_line_exit_1_and_the_old_version_keeps_serving(
        watched: ServerProcess) -> None:
    served = watched.version()
    broken = watched.rules_dir / "zz_broken.yaml"

    broken.write_text(BROKEN_YAML)  # copied in, then waited for: the refusal may come before the first look
    result = run_status(*status_args(watched, "--rules", str(watched.rules_dir), "--wait", "--timeout", "60"))

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"    {broken}:3:9: yaml_error: " in result.stdout  # as `credit-policy lint` prints it
    assert "  directory:    REFUSED" in result.stdout
    assert "refused: 1 problem in 1 file (above), at " in result.stderr
    assert result.stderr.rstrip().endswith(f"127.0.0.1:{watched.port} still serves policy_version {served}")
    assert watched.version() == served
    lint = run_status(sys.executable, "-m", "policy_engine.cli", "lint", str(watched.rules_dir))
    assert f"{broken}:3:9: yaml_error: " in lint.stderr  # the same words, the same place

    # A refusal from before the command started is shown, not taken for another version's: it times out (exit 3).
    other = run_status(*status_args(watched, "--policy-version", "0123456789abcdef", "--wait", "--timeout", "1.5"))

    assert other.returncode == 3, other.stdout + other.stderr
    assert "timed out after 1.5 s: " in other.stderr
    assert "its rules directory holds a rule set refused at" in other.stderr
    assert f"{broken}:3:9: yaml_error: " in other.stdout


def test_a_refusal_of_the_folder_waited_for_ends_the_wait_naming_its_version(
        watched: ServerProcess, tmp_path: Path) -> None:
    served = watched.version()
    staged = copy_rules(tmp_path / "staged")
    (staged / "zz_broken.yaml").write_text(BROKEN_YAML)
    wanted = policy_version(read_rule_files(staged))  # the rule files' content hash, refused or not
    proc, _ = start_waiting(*status_args(watched, "--rules", str(staged), "--wait", "--timeout", "60"))

    shutil.copy(staged / "zz_broken.yaml", watched.rules_dir / "zz_broken.yaml")
    out, err = proc.communicate(timeout=90)

    assert proc.returncode == 1, out + err
    assert "zz_broken.yaml:3:9: yaml_error: " in out and f"still serves policy_version {served}" in err
    assert f", policy_version {wanted}, 1 problem in 1 file:" in out and f", policy_version {wanted}; " in err


def test_a_refusal_of_another_rule_set_while_waiting_does_not_end_the_wait(watched: ServerProcess) -> None:
    """Before GetPolicy named the refused version, any refusal seen to come ended the wait with exit 1."""
    proc, _ = start_waiting(*status_args(watched, "--policy-version", "0123456789abcdef", "--wait", "--timeout", "6"))

    (watched.rules_dir / "zz_broken.yaml").write_text(BROKEN_YAML)
    out, err = proc.communicate(timeout=90)

    assert proc.returncode == 3, out + err
    assert "timed out after 6 s: " in err and "its rules directory holds a rule set refused at" in err
    assert "zz_broken.yaml:3:9: yaml_error: " in out


def test_json_has_the_same_keys_every_time_with_the_proto_field_names(watched: ServerProcess) -> None:
    served = watched.version()

    look = run_status(*status_args(watched, "--json"))
    other = run_status(*status_args(watched, "--json", "--policy-version", "0123456789abcdef"))

    assert look.returncode == 0, look.stderr
    first = json.loads(look.stdout)
    assert set(first) == TOP_KEYS and set(first["policy"]) == POLICY_KEYS
    assert first["outcome"] == "answered" and first["exit_code"] == 0 and first["error"] is None
    assert first["policy"]["version"] == served and first["policy"]["rules_dir_state"] == "SERVED"
    assert first["policy"]["rule_count"] > 50 and first["policy"]["last_refused"] is None
    assert other.returncode == 3
    second = json.loads(other.stdout)
    assert set(second) == TOP_KEYS and set(second["policy"]) == POLICY_KEYS
    assert (second["outcome"], second["wanted_version"]) == ("not_served", "0123456789abcdef")
    assert second["message"].startswith(f"not served: 127.0.0.1:{watched.port} serves policy_version {served}")


@pytest.fixture
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_nothing_listening_is_exit_4_naming_host_and_port_and_what_to_check(free_port: int) -> None:
    cli = [sys.executable, "-m", "policy_engine.cli", "status", "--host", "127.0.0.1", "--port", str(free_port)]

    once = run_status(*cli)
    waited = run_status(*cli, "--rules", "rules", "--wait", "--timeout", "1", "--json")

    assert once.returncode == 4 and once.stdout == ""
    assert once.stderr.startswith(f"not reachable: 127.0.0.1:{free_port}: ")
    assert "Connection refused" in once.stderr and "is `credit-policy serve` running" in once.stderr
    assert waited.returncode == 4
    answer = json.loads(waited.stdout)
    assert (answer["outcome"], answer["policy"]) == ("not_reachable", None)
    assert answer["message"].startswith(f"not reachable for 1 s: 127.0.0.1:{free_port}: ")


@pytest.fixture
def silent_peer() -> Iterator[int]:
    """A port whose listener takes connections (the kernel's backlog) and never says a word."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield int(s.getsockname()[1])


def test_a_peer_that_never_answers_is_a_timeout_not_a_hang(silent_peer: int) -> None:
    started = time.monotonic()

    result = run_status(sys.executable, "-m", "policy_engine.cli", "status", "--host", "127.0.0.1", "--port",
                        str(silent_peer), "--timeout", "1", timeout=30)

    assert result.returncode == 4, result.stdout + result.stderr
    assert result.stderr.startswith(f"not reachable: 127.0.0.1:{silent_peer}: ")
    assert "something took the connection and did not answer it" in result.stderr
    assert time.monotonic() - started < 20  # 1 s and the interpreter's start, not gRPC's own 20-s connect timeout


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_mutual_tls_with_serves_flag_names_and_what_is_missing_said(server_factory: Any, pki: Path) -> None:
    server: ServerProcess = server_factory("--tls-cert", str(pki / "server.pem"), "--tls-key",
                                           str(pki / "server.key"), "--tls-client-ca", str(pki / "ca.pem"), workers=0)
    cli = [sys.executable, "-m", "policy_engine.cli", "status", "--host", "localhost", "--port", str(server.port)]

    mutual = run_status(*cli, "--tls-ca", str(pki / "ca.pem"), "--tls-cert", str(pki / "client.pem"),
                        "--tls-key", str(pki / "client.key"))
    no_cert = run_status(*cli, "--tls-ca", str(pki / "ca.pem"))
    plaintext = run_status(*cli)

    assert mutual.returncode == 0, mutual.stderr
    assert f"localhost:{server.port} serves policy_version " in mutual.stdout
    assert no_cert.returncode == 4 and "give this client's --tls-cert and --tls-key" in no_cert.stderr
    assert plaintext.returncode == 4 and "give --tls-ca" in plaintext.stderr
