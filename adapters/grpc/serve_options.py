"""The `serve` command's checks of its options, each refusing a bad value (typer.BadParameter, exit 2)
naming its flag before anything starts."""

from __future__ import annotations

import math
import os
import stat
from pathlib import Path
from typing import Any

import typer

MAX_PROCESSES = max(8, 4 * (os.cpu_count() or 1))
"""--workers and --processes: more than four per CPU only adds memory (each holds a compiled policy)."""
MAX_SECONDS = 86_400.0
"""--watch-interval, --grace, --keepalive and --keepalive-timeout: at most a day."""


def check_seconds(*flags: tuple[str, float]) -> None:
    """Each (flag, seconds): a number of seconds from 0 to a day."""
    for name, value in flags:
        # Checked here rather than by the option's range: that said "should be less than or equal to
        # 86400" of nan.
        if math.isnan(value):
            raise typer.BadParameter(f"not a number of seconds: {value}", param_hint=name)
        if not 0 <= value <= MAX_SECONDS:
            raise typer.BadParameter(f"{value:g} is not between 0 and {MAX_SECONDS:.0f} seconds (a day)",
                                     param_hint=name)


def check_keepalive(interval: float, timeout: float) -> None:
    """--keepalive: 0 (gRPC's own two hours) or 1 s to a day; --keepalive-timeout: 1 s to a day."""
    check_seconds(("--keepalive", interval), ("--keepalive-timeout", timeout))
    # Below a second a quiet connection would be pinged many times a second, and a ping's answer
    # can take longer than that on a loaded machine: healthy callers would be cut off.
    for name, value in (("--keepalive", interval), ("--keepalive-timeout", timeout)):
        if value < 1 and not (name == "--keepalive" and value == 0):
            off = " (or 0: gRPC's own two hours)" if name == "--keepalive" else ""
            raise typer.BadParameter(f"{value:g} is less than 1 second{off}", param_hint=name)


def check_process_counts(processes: int | None, workers: int | None) -> None:
    """--processes and --workers: each within its bounds, and not both."""
    if processes is not None and processes < 1:
        raise typer.BadParameter("give at least 1 server process", param_hint="--processes")
    for name, count in (("--processes", processes), ("--workers", workers)):
        if count is not None and count > MAX_PROCESSES:
            raise typer.BadParameter(f"at most {MAX_PROCESSES} (four per CPU): each one holds a compiled policy "
                                     "and its own memory", param_hint=name)
    if processes is not None and workers:
        raise typer.BadParameter(
            "--processes N runs N server processes that each evaluate in-process; it cannot be combined with "
            "engine worker processes (--workers N): give one or the other", param_hint="--workers")
    if workers is not None and workers < 0:
        raise typer.BadParameter("give 0 or more worker processes", param_hint="--workers")


def check_ports(port: int, metrics_port: int | None) -> None:
    """--metrics-port is not --port: the second bind failed with `Address already in use`, which sent an operator
    looking for another program on a port that the service itself had just taken."""
    if metrics_port and metrics_port == port:
        raise typer.BadParameter(f"{metrics_port} is --port too: give the metrics another port, or 0 to pick one",
                                 param_hint="--metrics-port")


def check_tls_options(tls_cert: Path | None, tls_key: Path | None, tls_client_ca: Path | None) -> None:
    """The TLS flags: a certificate with its key, a client CA only with them, and files that are usable."""
    if (tls_cert is None) != (tls_key is None):
        raise typer.BadParameter("give both --tls-cert and --tls-key", param_hint="--tls-cert")
    if tls_client_ca and not tls_cert:
        raise typer.BadParameter("mutual TLS needs --tls-cert and --tls-key", param_hint="--tls-client-ca")
    if tls_cert is not None and tls_key is not None:
        _check_tls(tls_cert, tls_key, tls_client_ca)


def check_event_loop(event_loop: str) -> None:
    """--event-loop names a loop this interpreter can run."""
    from adapters.grpc.runtime import EventLoopUnavailable, resolve

    try:
        resolve(event_loop)
    except (ValueError, EventLoopUnavailable) as exc:
        raise typer.BadParameter(str(exc), param_hint="--event-loop") from exc


def _check_tls(cert: Path, key: Path, client_ca: Path | None) -> None:
    """Refuse TLS files that are missing or are not a PEM certificate with its key (or a CA) before
    anything starts: gRPC would only say that it could not add the port."""
    import ssl

    for flag, path in (("--tls-cert", cert), ("--tls-key", key), ("--tls-client-ca", client_ca)):
        if path is not None and not path.is_file():
            raise typer.BadParameter(f"{path}: {_not_a_file(path)}", param_hint=flag)
    try:
        encrypted = b"ENCRYPTED" in key.read_bytes()[:4096]  # "BEGIN ENCRYPTED PRIVATE KEY", "Proc-Type: 4,ENCRYPTED"
    except OSError as exc:
        raise typer.BadParameter(f"{key}: {exc.strerror or exc}", param_hint="--tls-key") from None
    if encrypted:
        raise typer.BadParameter(f"{key} is encrypted: gRPC takes only a private key without a passphrase "
                                 f"(decrypt it with `openssl pkey -in {key} -out KEY.pem`, readable by the "
                                 "service only)", param_hint="--tls-key")
    try:
        # password: never OpenSSL's own prompt on the terminal, whatever the key file holds
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key, password=b"")
    except (ssl.SSLError, OSError, ValueError) as exc:
        raise typer.BadParameter(f"{cert} and {key} are not a PEM certificate and its private key ({exc})",
                                 param_hint="--tls-cert/--tls-key") from None
    if (why := _chain_not_valid_now(cert)) is not None:
        raise typer.BadParameter(f"{cert}: {why}: every client would refuse the handshake; "
                                 "use one valid now (or check this machine's clock)", param_hint="--tls-cert")
    if client_ca is not None:
        _check_client_ca(client_ca)


def _not_a_file(path: Path) -> str:
    """Why `path`, given for a TLS file, is none: a device such as /dev/zero was said to be "no such file"."""
    if path.is_dir():
        return "a directory, not a file"
    return "not a regular file (a device, pipe or socket)" if path.exists() else "no such file"


def _check_client_ca(client_ca: Path) -> None:
    """A PEM file of CA certificates, at least one of which is valid now. One expired CA in a bundle beside
    a valid one is normal (a CA being rolled over) and taken; with none valid, every client certificate
    would fail verification, so every mutual-TLS client would be refused."""
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_verify_locations(cafile=client_ca)
    except (ssl.SSLError, OSError, ValueError) as exc:
        raise typer.BadParameter(f"{client_ca}: not a PEM CA certificate ({exc})",
                                 param_hint="--tls-client-ca") from None
    cas = context.get_ca_certs()  # decoded by the ssl module's public API, each with its dates; CAs only
    if not cas and (leaf := _no_anchor(client_ca)) is not None:
        raise typer.BadParameter(f"{client_ca}: {leaf} is not a CA certificate, and nothing else in the file is: "
                                 "every mutual-TLS client would be refused; give the CA that signed the clients' "
                                 "certificates", param_hint="--tls-client-ca")
    why = [(_common_name(ca), _outside(ca)) for ca in cas]
    if not why or any(reason is None for _, reason in why):
        return
    if len(why) == 1:
        said = f"the CA certificate {why[0][1]}"
    else:
        said = f"none of its {len(why)} CA certificates is valid now (" + "; ".join(f"{n} {r}" for n, r in why) + ")"
    raise typer.BadParameter(f"{client_ca}: {said}: every mutual-TLS client would be refused; use a CA valid now "
                             "(or check this machine's clock)", param_hint="--tls-client-ca")


def _no_anchor(client_ca: Path) -> str | None:
    """The first certificate of a --tls-client-ca holding no CA (`CN=… issued by CN=…`) when none in it can
    anchor a client's chain; None when one can, or the file cannot be decoded here.

    A certificate that is not a CA verifies no other (OpenSSL's and BoringSSL's INVALID_CA), and one that is
    not self-signed is no trust anchor: given the server's own certificate, say, the service started and
    refused every client with only gRPC's `CERTIFICATE_VERIFY_FAILED` line. A self-signed one is taken: it
    verifies itself, a single client pinned by its certificate."""
    decoded = _pem_certificates(client_ca)
    if not decoded or None in decoded or any(d is not None and d.get("subject") == d.get("issuer") for d in decoded):
        return None
    first = decoded[0] or {}
    issuer = _common_name({"subject": first.get("issuer", ())})
    return f"{_common_name(first)} (issued by {issuer})"


def _pem_certificates(path: Path) -> list[dict[str, Any] | None]:
    """Each certificate in a PEM file, decoded (None for one this Python cannot decode); [] when unreadable."""
    import re

    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except OSError:
        return []
    blocks = re.findall(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", text, re.DOTALL)
    return [_decoded(block) for block in blocks]


def _common_name(cert: dict[str, Any]) -> str:
    """`CN=…` of a certificate as the ssl module decodes it (its serial number when it has none)."""
    names = [value for rdn in cert.get("subject", ()) for key, value in rdn if key == "commonName"]
    return f"CN={names[0]}" if names else f"serial {cert.get('serialNumber', '?')}"


def _outside(cert: dict[str, Any]) -> str | None:
    """Why a decoded certificate is not valid now ("expired on DATE", "is valid only from DATE", as OpenSSL
    prints dates); None while it is, or when its dates cannot be read."""
    import ssl
    import time

    try:
        not_before, not_after = str(cert["notBefore"]), str(cert["notAfter"])
        now = time.time()
        if ssl.cert_time_to_seconds(not_after) < now:
            return f"expired on {not_after}"
        if ssl.cert_time_to_seconds(not_before) > now:
            return f"is valid only from {not_before}"
    except (KeyError, ValueError):
        return None
    return None


def _chain_not_valid_now(cert: Path) -> str | None:
    """Why the certificates in the `cert` chain file are not all valid now: each one out of date, by its
    place and subject (`the certificate expired on DATE` when the file holds one); None while all are.
    Only the first, the server's own, used to be checked: an expired intermediate started a service
    whose every client that verifies the chain refused the handshake."""
    found = list(enumerate(_pem_certificates(cert), 1))  # unreadable: load_cert_chain has said so already
    out = [(n, decoded, why) for n, decoded in found if decoded and (why := _outside(decoded))]
    if not out:
        return None
    if len(found) == 1:
        return f"the certificate {out[0][2]}"
    return "; ".join(f"certificate {n} of {len(found)} ({_common_name(d)}) {why}" for n, d, why in out)


def _decoded(pem: str) -> dict[str, Any] | None:
    """One PEM certificate as the ssl module decodes it (with its dates); None if this Python cannot."""
    import ssl
    import tempfile

    decode = getattr(ssl._ssl, "_test_decode_cert", None)  # type: ignore[attr-defined]  # CPython's, private
    if decode is None:
        return None
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".pem") as one:  # it reads a file's first certificate only
            one.write(pem + "\n")
            one.flush()
            return dict(decode(one.name))
    except (ssl.SSLError, OSError, ValueError):
        return None


_THIS_MACHINE = ("localhost", "127.0.0.1", "::1")


def exposure_warning(host: str, *, tls: bool, mutual_tls: bool) -> dict[str, Any] | None:
    """The fields of the `callers not authenticated` warning when any host that reaches `host`'s port may
    call the service (evaluate a customer by id, read the policy with GetPolicy): no mutual TLS and an
    address other machines reach. None with mutual TLS or on this machine only."""
    bare = host.strip("[]").lower()
    if mutual_tls or bare in _THIS_MACHINE or bare.startswith("127."):
        return None
    said = "encrypted, but" if tls else "in plaintext, and"
    return {"address": host, "tls": tls,
            "advice": f"calls are {said} any caller that reaches this address is served: give --tls-cert, "
                      "--tls-key and --tls-client-ca (mutual TLS), or --host 127.0.0.1 behind a proxy that "
                      "authenticates, or a network policy that admits only the callers"}


def key_permissions_warning(key: Path) -> dict[str, Any] | None:
    """The fields of the `tls key not private` warning when group or others may read or write the private
    key file `key` (ssh's and PostgreSQL's check); None when only its owner may, or it cannot be stat'ed
    (then loading it fails with its own error)."""
    try:
        mode = stat.S_IMODE(key.stat().st_mode)  # the file a symlink (a mounted secret's) points to
    except OSError:
        return None
    if not mode & 0o066:  # an execute bit alone lets no one read or replace it
        return None
    may = [verb for verb, bits in (("read", 0o044), ("replace", 0o022)) if mode & bits]
    return {"path": str(key), "mode": f"{mode:04o}", "others_may": may,
            "advice": f"other local users may {' and '.join(may)} the TLS private key: run `chmod 600 {key}` "
                      "(the service's user must still read it); serving goes on"}
