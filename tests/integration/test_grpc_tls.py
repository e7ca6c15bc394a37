# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""TLS and mutual TLS from the serve flags."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import grpc
import pytest

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2_grpc as pb_grpc
from tests.integration.conftest_grpc import (
    ROOT,
    TIMEOUT,
    order_request,
    server_factory,  # noqa: F401  (fixtures: pytest finds them by name)
)

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway CA, a server certificate for localhost and a client certificate."""
    d = tmp_path_factory.mktemp("pki")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-ca",
             "-keyout", "ca.key", "-out", "ca.pem", cwd=d)
    (d / "san.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    for name in ("server", "client"):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout", f"{name}.key",
                 "-out", f"{name}.csr", cwd=d)
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                 "-days", "2", "-extfile", "san.ext", "-out", f"{name}.pem", cwd=d)
    return d


def _stub(port: int, pki: Path, client_cert: bool) -> pb_grpc.CreditPolicyServiceStub:
    creds = grpc.ssl_channel_credentials(
        root_certificates=(pki / "ca.pem").read_bytes(),
        private_key=(pki / "client.key").read_bytes() if client_cert else None,
        certificate_chain=(pki / "client.pem").read_bytes() if client_cert else None,
    )
    return pb_grpc.CreditPolicyServiceStub(grpc.secure_channel(f"localhost:{port}", creds))


def test_tls_serves_clients_that_trust_the_server(server_factory: Any, pki: Path) -> None:
    server = server_factory("--tls-cert", str(pki / "server.pem"), "--tls-key", str(pki / "server.key"), workers=0)

    decision = _stub(server.port, pki, client_cert=False).CheckOrder(order_request(), timeout=TIMEOUT)

    assert decision.policy_version
    with pytest.raises(grpc.RpcError):
        server.stub().GetPolicy(pb.GetPolicyRequest(), timeout=3)  # plaintext is refused


def test_mutual_tls_refuses_a_client_without_a_certificate(server_factory: Any, pki: Path) -> None:
    server = server_factory("--tls-cert", str(pki / "server.pem"), "--tls-key", str(pki / "server.key"),
                            "--tls-client-ca", str(pki / "ca.pem"), workers=0)

    decision = _stub(server.port, pki, client_cert=True).CheckOrder(order_request(), timeout=TIMEOUT)
    with pytest.raises(grpc.RpcError) as refused:
        _stub(server.port, pki, client_cert=False).CheckOrder(order_request(), timeout=3)

    assert decision.policy_version
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


def test_an_encrypted_key_is_refused_at_once_without_a_passphrase_prompt(pki: Path, tmp_path: Path) -> None:
    _openssl("pkey", "-in", "server.key", "-aes256", "-passout", "pass:secret", "-out", str(tmp_path / "locked.key"),
             cwd=pki)
    cmd = [sys.executable, "-c", "from policy_engine.cli import main; main()", "serve", "--port", "0",
           "--tls-cert", str(pki / "server.pem"), "--tls-key", str(tmp_path / "locked.key")]
    # stdin a terminal would get OpenSSL's "Enter PEM pass phrase:"; here it would wait on the pipe
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60, stdin=subprocess.PIPE, cwd=ROOT,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert result.returncode == 2
    assert "pass phrase" not in result.stdout + result.stderr
    assert "is encrypted" in " ".join(result.stderr.replace("│", " ").split())


def test_an_expired_certificate_is_refused_at_once_naming_the_flag_and_the_date(pki: Path, tmp_path: Path) -> None:
    """It used to start serving, and every TLS client got UNAVAILABLE (`certificate has expired`), the
    server's own log silent."""
    (tmp_path / "index.txt").touch()
    (tmp_path / "ca.cnf").write_text("[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nserial = serial\n"
                                     "new_certs_dir = .\ndefault_md = sha256\npolicy = p\n"
                                     "copy_extensions = copy\n[p]\ncommonName = supplied\n")
    _openssl("req", "-new", "-key", str(pki / "server.key"), "-subj", "/CN=localhost", "-out", "old.csr", cwd=tmp_path)
    _openssl("ca", "-batch", "-config", "ca.cnf", "-create_serial", "-cert", str(pki / "ca.pem"), "-keyfile",
             str(pki / "ca.key"), "-in", "old.csr", "-out", "old.pem", "-startdate", "20200101000000Z",
             "-enddate", "20200201000000Z", cwd=tmp_path)
    cmd = [sys.executable, "-c", "from policy_engine.cli import main; main()", "serve", "--port", "0",
           "--db", "memory", "--workers", "0", "--tls-cert", str(tmp_path / "old.pem"),
           "--tls-key", str(pki / "server.key")]

    result = subprocess.run(cmd, capture_output=True, text=True, timeout=30, cwd=ROOT,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))

    said = " ".join(result.stderr.replace("│", " ").split())
    assert result.returncode == 2, said
    assert "--tls-cert" in said and "the certificate expired on Feb 1 00:00:00 2020 GMT" in said


def _key_copy(pki: Path, tmp_path: Path, mode: int) -> Path:
    """The server's key in a file of `mode`."""
    key = tmp_path / "server.key"
    key.write_bytes((pki / "server.key").read_bytes())
    key.chmod(mode)
    return key


@pytest.mark.parametrize(("mode", "warned"), [(0o644, 1), (0o600, 0)])
@pytest.mark.parametrize("model", [{"workers": 0}, {"processes": 1}], ids=["workers", "processes"])
def test_serve_warns_once_just_before_serving_when_others_may_read_the_tls_key(
        server_factory: Any, pki: Path, tmp_path: Path, mode: int, warned: int, model: dict[str, int]) -> None:
    """Like ssh's "UNPROTECTED PRIVATE KEY FILE", but it starts all the same: secrets mounted 0644 are common."""
    key = _key_copy(pki, tmp_path, mode)

    server = server_factory("--host", "127.0.0.1", "--tls-cert", str(pki / "server.pem"), "--tls-key", str(key),
                            **model)

    events = [e for e in server.events() if e.get("event") in ("tls key not private", "serving")]
    said = [e for e in events if e["event"] == "tls key not private"]
    assert len(said) == warned, events
    if warned:
        assert events.index(said[0]) < [e["event"] for e in events].index("serving")
        assert said[0]["level"] == "warning" and said[0]["path"] == str(key) and said[0]["mode"] == "0644"
        assert f"chmod 600 {key}" in said[0]["advice"]


def test_a_start_that_fails_prints_its_error_alone_not_the_key_warning(pki: Path, tmp_path: Path) -> None:
    """The warning is about what the service serves with; a start refused (here at its store) serves nothing."""
    from typer.testing import CliRunner

    from policy_engine.cli import build_app

    key = _key_copy(pki, tmp_path, 0o644)
    (tmp_path / "no.sqlite").write_text("not a database")

    result = CliRunner().invoke(build_app(), [
        "serve", "--port", "0", "--host", "127.0.0.1", "--workers", "0", "--db", f"sqlite:///{tmp_path / 'no.sqlite'}",
        "--tls-cert", str(pki / "server.pem"), "--tls-key", str(key)])

    assert result.exit_code == 2, result.output
    assert "cannot open the store" in result.stderr
    assert "tls key not private" not in result.stderr
