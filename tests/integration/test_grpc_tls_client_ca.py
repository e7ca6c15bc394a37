# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""A --tls-client-ca that can verify no client certificate (no CA in it, nor a self-signed certificate: the
server's own certificate, say) is refused before `serve` starts, naming the flag, the file and the subject."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from adapters.grpc.serve_options import check_tls_options
from tests.integration.test_grpc_tls import _openssl, pki  # noqa: F401  (pki: a fixture)
from tests.integration.test_grpc_tls import pytestmark as pytestmark


def _check(pki: Path, client_ca: Path) -> None:
    check_tls_options(pki / "server.pem", pki / "server.key", client_ca)


@pytest.mark.parametrize("name", ["server.pem", "client.pem"])
def test_a_certificate_that_is_not_a_ca_given_as_the_client_ca_is_refused_naming_it(pki: Path, name: str) -> None:
    with pytest.raises(typer.BadParameter) as refused:
        _check(pki, pki / name)

    assert refused.value.param_hint == "--tls-client-ca"
    message = refused.value.message
    assert str(pki / name) in message and f"CN={name.removesuffix('.pem')}" in message and "not a CA" in message


def test_a_bundle_with_a_leaf_beside_its_ca_is_taken(pki: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.pem"
    bundle.write_text((pki / "server.pem").read_text() + (pki / "ca.pem").read_text())

    _check(pki, bundle)
    _check(pki, pki / "ca.pem")


def test_a_self_signed_certificate_that_is_not_a_ca_is_taken_as_one_pinned_client(tmp_path: Path, pki: Path) -> None:
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=pinned",
             "-addext", "basicConstraints=critical,CA:FALSE", "-keyout", "pinned.key", "-out", "pinned.pem",
             cwd=tmp_path)

    _check(pki, tmp_path / "pinned.pem")
