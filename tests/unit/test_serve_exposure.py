"""`serve` says at start when anyone who reaches its port may call it (no TLS, not only this machine), and when
other local users may read or write its TLS private key."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.grpc.serve_options import exposure_warning, key_permissions_warning


@pytest.mark.parametrize("host", ["[::]", "0.0.0.0", "10.1.2.3", "[fd00::1]", "credit.internal"])
def test_plaintext_on_an_address_others_reach_is_a_warning_naming_the_flags_that_close_it(host: str) -> None:
    warning = exposure_warning(host, tls=False, mutual_tls=False)

    assert warning is not None
    assert warning["address"] == host and warning["tls"] is False
    assert "--tls-client-ca" in warning["advice"] and "--host 127.0.0.1" in warning["advice"]


def test_tls_without_client_certificates_still_says_any_caller_is_taken() -> None:
    warning = exposure_warning("[::]", tls=True, mutual_tls=False)

    assert warning is not None and warning["tls"] is True and "--tls-client-ca" in warning["advice"]


@pytest.mark.parametrize(("host", "tls", "mutual"), [
    ("127.0.0.1", False, False), ("localhost", False, False), ("[::1]", False, False), ("::1", False, False),
    ("[::]", True, True),
])
def test_this_machine_only_or_mutual_tls_is_no_warning(host: str, tls: bool, mutual: bool) -> None:
    assert exposure_warning(host, tls=tls, mutual_tls=mutual) is None


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o602, 0o666])
def test_a_tls_key_that_group_or_others_may_read_or_write_is_a_warning_saying_what_to_run(
        mode: int, tmp_path: Path) -> None:
    key = tmp_path / "server.key"
    key.write_text("-----BEGIN PRIVATE KEY-----\n")
    key.chmod(mode)

    warning = key_permissions_warning(key)

    assert warning is not None
    assert warning["path"] == str(key) and warning["mode"] == f"{mode:04o}"
    assert f"chmod 600 {key}" in warning["advice"]
    assert ("read" in warning["others_may"]) == bool(mode & 0o044)
    assert ("replace" in warning["others_may"]) == bool(mode & 0o022)


@pytest.mark.parametrize("mode", [0o600, 0o400, 0o700, 0o711])
def test_a_tls_key_only_its_owner_may_use_is_no_warning(mode: int, tmp_path: Path) -> None:
    key = tmp_path / "server.key"
    key.write_text("-----BEGIN PRIVATE KEY-----\n")
    key.chmod(mode)

    assert key_permissions_warning(key) is None
