# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""TLS files whose dates make every handshake fail are refused before `serve` starts, naming the flag,
the file and the date: a --tls-cert not valid yet, and a --tls-client-ca none of whose CA certificates
is valid now (one expired CA in a bundle beside a valid one is normal and is taken)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from adapters.grpc.serve_options import check_tls_options
from tests.integration.conftest_grpc import ROOT
from tests.integration.test_grpc_tls import _openssl, pki  # noqa: F401  (pki: a fixture)
from tests.integration.test_grpc_tls import pytestmark as pytestmark

PAST = ("20200101000000Z", "20200201000000Z")
FUTURE = ("20990101000000Z", "20990201000000Z")
CA_EXTENSIONS = "basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign,cRLSign\n"


def dated_cert(d: Path, name: str, dates: tuple[str, str], *, signer: Path | None = None) -> Path:
    """`name`.pem valid from dates[0] to dates[1]: a leaf for localhost signed by the CA in `signer`
    (its ca.pem and ca.key), or, without one, a self-signed CA of its own."""
    (d / "index.txt").write_text("")
    (d / "ca.cnf").write_text("[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nserial = serial\n"
                              "new_certs_dir = .\ndefault_md = sha256\npolicy = p\ncopy_extensions = copy\n"
                              "unique_subject = no\n[p]\ncommonName = supplied\n")
    (d / "ca.ext").write_text(CA_EXTENSIONS)
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout", f"{name}.key",
             "-out", f"{name}.csr", cwd=d)
    if signer is None:
        how = ["-selfsign", "-keyfile", f"{name}.key", "-extfile", "ca.ext"]
    else:
        how = ["-cert", str(signer / "ca.pem"), "-keyfile", str(signer / "ca.key")]
    _openssl("ca", "-batch", "-config", "ca.cnf", "-create_serial", *how, "-in", f"{name}.csr",
             "-out", f"{name}.pem", "-startdate", dates[0], "-enddate", dates[1], cwd=d)
    return d / f"{name}.pem"


def refusal(pki: Path, *, cert: Path | None = None, client_ca: Path | None = None) -> tuple[str, str]:
    """The flag and the words `serve`'s TLS check refuses these files with."""
    key = pki / "server.key" if cert is None else cert.with_suffix(".key")
    with pytest.raises(typer.BadParameter) as refused:
        check_tls_options(cert or pki / "server.pem", key, client_ca)
    return str(refused.value.param_hint), refused.value.message


def test_a_certificate_not_valid_yet_is_refused_at_start_naming_the_flag_the_file_and_the_date(
        pki: Path, tmp_path: Path) -> None:
    cert = dated_cert(tmp_path, "early", FUTURE, signer=pki)
    cmd = [sys.executable, "-c", "from policy_engine.cli import main; main()", "serve", "--port", "0",
           "--db", "memory", "--workers", "0", "--tls-cert", str(cert), "--tls-key", str(tmp_path / "early.key")]

    result = subprocess.run(cmd, capture_output=True, text=True, timeout=30, cwd=ROOT,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))

    said = " ".join(result.stderr.replace("│", " ").split())
    assert result.returncode == 2, said
    assert "--tls-cert" in said and "early.pem" in said and "Jan 1 00:00:00 2099 GMT" in said


def test_an_expired_client_ca_is_refused_naming_the_flag_the_file_and_the_date(pki: Path, tmp_path: Path) -> None:
    ca = dated_cert(tmp_path, "old-ca", PAST)

    flag, message = refusal(pki, client_ca=ca)

    assert flag == "--tls-client-ca"
    assert str(ca) in message and "expired on Feb  1 00:00:00 2020 GMT" in message


def test_a_client_ca_not_valid_yet_is_refused_naming_the_date_it_starts(pki: Path, tmp_path: Path) -> None:
    ca = dated_cert(tmp_path, "early-ca", FUTURE)

    flag, message = refusal(pki, client_ca=ca)

    assert flag == "--tls-client-ca"
    assert str(ca) in message and "Jan  1 00:00:00 2099 GMT" in message


def test_a_bundle_is_refused_only_when_none_of_its_cas_is_valid_now(pki: Path, tmp_path: Path) -> None:
    old, early = dated_cert(tmp_path, "old-ca", PAST), dated_cert(tmp_path, "early-ca", FUTURE)
    dead = tmp_path / "dead-bundle.pem"
    dead.write_text(old.read_text() + early.read_text())
    usable = tmp_path / "bundle.pem"
    usable.write_text(old.read_text() + (pki / "ca.pem").read_text())

    flag, message = refusal(pki, client_ca=dead)
    check_tls_options(pki / "server.pem", pki / "server.key", usable)  # one valid CA is enough

    assert flag == "--tls-client-ca"
    assert all(part in message for part in (str(dead), "old-ca", "2020", "early-ca", "2099"))


def test_an_expired_intermediate_in_the_chain_file_is_refused_naming_its_place_and_subject(
        pki: Path, tmp_path: Path) -> None:
    """Only the first certificate of --tls-cert was checked: a chain whose intermediate had expired
    started, and every client that verifies the chain refused the handshake."""
    (tmp_path / "int").mkdir()
    (tmp_path / "leaf").mkdir()
    intermediate = dated_cert(tmp_path / "int", "ca", PAST, signer=pki)
    leaf = dated_cert(tmp_path / "leaf", "localhost", (PAST[0], FUTURE[1]), signer=tmp_path / "int")
    chain, good_chain = tmp_path / "chain.pem", tmp_path / "good-chain.pem"
    chain.write_text(leaf.read_text() + intermediate.read_text())
    good_chain.write_text((pki / "server.pem").read_text() + (pki / "ca.pem").read_text())

    with pytest.raises(typer.BadParameter) as refused:
        check_tls_options(chain, leaf.with_suffix(".key"), None)
    check_tls_options(good_chain, pki / "server.key", None)  # a chain valid now is taken

    assert refused.value.param_hint == "--tls-cert"
    assert "certificate 2 of 2 (CN=ca) expired on Feb  1 00:00:00 2020 GMT" in refused.value.message
