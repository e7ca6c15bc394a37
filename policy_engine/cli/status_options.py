"""`credit-policy status`'s options: where the service is, how to speak to it (serve's TLS flag names, from the
client's side) and which version is wanted; each refused naming its flag (exit 2)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from policy_engine.cli.options import fail
from policy_engine.rules.problems import PolicyLoadError

if TYPE_CHECKING:
    from adapters.grpc.policy_client import Target

Host = Annotated[str, typer.Option("--host", metavar="HOST", help="Host the service listens on.")]
Port = Annotated[int, typer.Option("--port", min=1, max=65535, help="Its port, as serve's --port.")]
Rules = Annotated[Path | None, typer.Option("--rules", metavar="DIR", help=(
    "Want the version of these rule files (as `credit-policy lint DIR` prints it): the folder you copied in."))]
PolicyVersion = Annotated[str | None, typer.Option("--policy-version", metavar="HASH", help=(
    "Want this policy_version (16 hex digits, as lint and GetPolicy give it)."))]
Wait = Annotated[bool, typer.Option("--wait", help=(
    "Wait until the version wanted serves (exit 0) or a reload is refused (exit 1), up to --timeout (exit 3)."))]
Timeout = Annotated[float | None, typer.Option("--timeout", metavar="SECONDS", help=(
    "Give up after this long, 0.1 to 86400 (default 10, with --wait 60); each call has at most 10 s."))]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object (outcome, exit_code, policy, …).")]
Tls = Annotated[bool, typer.Option("--tls", help="Speak TLS, trusting this machine's CAs (implied by --tls-*).")]
TlsCa = Annotated[Path | None, typer.Option("--tls-ca", metavar="FILE", help=(
    "PEM CA that signed the service's --tls-cert (TLS)."))]
TlsCert = Annotated[Path | None, typer.Option("--tls-cert", metavar="FILE", help=(
    "This client's PEM certificate, for a service with --tls-client-ca (mutual TLS)."))]
TlsKey = Annotated[Path | None, typer.Option("--tls-key", metavar="FILE", help="The private key of --tls-cert.")]
TlsServerName = Annotated[str | None, typer.Option("--tls-server-name", metavar="NAME", help=(
    "The name the service's certificate holds, when --host is another (an IP address, a tunnel)."))]

MAX_TIMEOUT = 86_400.0
_VERSION = re.compile(r"[0-9a-f]{16}")


@dataclass(frozen=True)
class Wanted:
    """The policy_version wanted (None: any answer will do) and, for --rules, when its files last changed."""

    version: str | None
    changed_at: datetime | None = None


def wanted_version(rules: Path | None, policy_version: str | None, wait: bool) -> Wanted:
    """The policy_version wanted: --policy-version's, or that of --rules' files."""
    if rules is not None and policy_version is not None:
        raise fail("--rules and --policy-version both name the version wanted; give one")
    if policy_version is not None:
        version = policy_version.strip().lower()
        if not _VERSION.fullmatch(version):
            raise fail(f"--policy-version: not a policy_version: {policy_version!r}; it is 16 hex digits, as "
                       "`credit-policy lint` prints it after `policy_version` (or give --rules DIR)")
        return Wanted(version)
    if rules is None:
        if wait:
            raise fail("--wait waits for a version: give --rules DIR (the rule files copied in) or --policy-version")
        return Wanted(None)
    return _version_of(rules)


def _version_of(rules: Path) -> Wanted:
    from policy_engine.rules.emit import policy_version
    from policy_engine.rules.loader import read_rule_files

    try:
        files = read_rule_files(rules)
        return Wanted(policy_version(files), _last_changed(rules, files))
    except PolicyLoadError as exc:  # no such folder, a file that cannot be read: lint's words, then why it matters
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        raise fail(f"--rules: the rule files in {rules} cannot all be read (above), so they have no version; "
                   "fix them (`credit-policy lint` says the same)") from None


def _last_changed(rules: Path, files: dict[str, str]) -> datetime | None:
    """When the rule files (or the folder: a file taken out) last changed, by their modification times."""
    try:
        newest = max(path.stat().st_mtime for path in (rules, *(rules / name for name in files)))
    except OSError:  # gone since it was read: no time, the seen refusal decides (status_wait.Watch)
        return None
    return datetime.fromtimestamp(newest, UTC)


def timeout_or_exit(timeout: float | None, wait: bool) -> float:
    """--timeout, or its default for a look (10 s) or a wait (60 s)."""
    if timeout is None:
        return 60.0 if wait else 10.0
    if not 0.1 <= timeout <= MAX_TIMEOUT:  # NaN fails this too
        raise fail(f"--timeout: expected seconds from 0.1 to {MAX_TIMEOUT:,.0f}, got {timeout:g}")
    return timeout


def target_or_exit(host: str, port: int, tls: bool, ca: Path | None, cert: Path | None, key: Path | None,
                   server_name: str | None) -> Target:
    """Where and how to connect; the TLS files checked before any call (missing, not PEM, not a pair), where gRPC
    would only fail the handshake."""
    from adapters.grpc.policy_client import Target

    if not host.strip():
        raise fail("--host: empty; give the host the service listens on, e.g. localhost")
    if (cert is None) != (key is None):
        raise fail("--tls-cert and --tls-key go together: this client's certificate and its private key")
    if cert is not None and key is not None:
        _check_pair(cert, key)
    if ca is not None:
        _check_ca(ca)
    target = Target(host.strip(), port, tls, ca, cert, key, server_name)
    if server_name is not None and not target.secure:
        raise fail("--tls-server-name: checks the service's certificate, so it needs TLS: add --tls-ca or --tls")
    return target


def _check_pair(cert: Path, key: Path) -> None:
    import ssl

    try:  # password: never OpenSSL's own prompt on the terminal for an encrypted key
        ssl.create_default_context().load_cert_chain(cert, key, password=b"")
    except (ssl.SSLError, OSError, ValueError) as exc:
        raise fail(f"--tls-cert/--tls-key: {cert} and {key} are not a PEM certificate and its private key without a "
                   f"passphrase ({exc})") from None


def _check_ca(ca: Path) -> None:
    import ssl

    try:
        ssl.create_default_context(cafile=str(ca))
    except (ssl.SSLError, OSError, ValueError) as exc:
        why = "no such file" if not ca.exists() else f"not a PEM CA certificate ({exc})"
        raise fail(f"--tls-ca: {ca}: {why}") from None
