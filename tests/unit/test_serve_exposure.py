"""`serve` says at start when anyone who reaches its port may call it: no TLS, not only this machine."""

from __future__ import annotations

import pytest

from adapters.grpc.serve_options import exposure_warning


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
