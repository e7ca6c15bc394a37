"""`credit-policy status`: which policy version a running `serve` answers with, since when, and why its last
reload was refused; `--wait` for a version, as a deploy script needs (docs/service.md, "Is my rule change live?")."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from policy_engine.cli.status_options import (
    Host,
    Json,
    PolicyVersion,
    Port,
    Rules,
    Timeout,
    Tls,
    TlsCa,
    TlsCert,
    TlsKey,
    TlsServerName,
    Wait,
    target_or_exit,
    timeout_or_exit,
    wanted_version,
)
from policy_engine.cli.status_view import policy_dict, refused_count, report_lines
from policy_engine.cli.status_wait import (
    EXIT_CODES,
    NOT_REACHABLE,
    NOT_SERVED,
    REFUSED,
    SERVED,
    TIMED_OUT,
    Watch,
)

if TYPE_CHECKING:
    from adapters.grpc.policy_client import Target, Unreachable

CALL_DEADLINE_S = 10.0
"""The most one GetPolicy may take: the worst reply (~6 MB) over a slow link, and no hang on a silent peer."""
POLL_S = 0.5
"""Between two looks while waiting: the watcher polls every second, and a reload takes ~0.3–1 s."""


@dataclass
class Looked:
    """What the looks came to: the conclusion, the last answer and the last failure (if the last look failed)."""

    outcome: str
    info: Any = None
    error: Unreachable | None = None
    seconds: float = 0.0
    brief: bool = False
    """Whether `info` is a brief answer (no lists): a wait's poll, never the one reported."""


def status(host: Host = "localhost", port: Port = 50051, rules: Rules = None, policy_version: PolicyVersion = None,
           wait: Wait = False, timeout: Timeout = None, json_out: Json = False, tls: Tls = False, tls_ca: TlsCa = None,
           tls_cert: TlsCert = None, tls_key: TlsKey = None, tls_server_name: TlsServerName = None) -> None:
    """Ask a running serve which policy_version it serves, since when, and why a reload was refused; --wait for one.

    Exit 0: it serves the version wanted (or, none wanted, it answered); 1: refused (the problems printed); 3: not
    served (timed out, with --wait); 4: not reachable; 2: bad options."""
    wanted = wanted_version(rules, policy_version, wait)
    budget = timeout_or_exit(timeout, wait)
    target = target_or_exit(host, port, tls, tls_ca, tls_cert, tls_key, tls_server_name)
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")  # gRPC's own handshake lines on stderr: the error below says it
    looked = look(target, Watch(wanted.version, datetime.now(UTC), wait, wanted.changed_at), budget, quiet=json_out)
    message = _message(looked, target, wanted.version, rules, budget if wait else None)
    if json_out:
        typer.echo(json.dumps(_json(looked, target, wanted.version, rules, message), ensure_ascii=False, indent=2))
    elif looked.info is not None and looked.outcome != NOT_REACHABLE:  # an earlier answer would read as today's
        lint_dir = str(rules) if rules is not None else (looked.info.rules_dir or "RULES")
        typer.echo("\n".join(report_lines(looked.info, target.address, lint_dir)))
    if message:
        typer.echo(message, err=looked.outcome != SERVED or json_out)
    raise typer.Exit(EXIT_CODES[looked.outcome])


def look(target: Target, watch: Watch, budget: float, quiet: bool = False) -> Looked:
    """GetPolicy once, or with a wait every POLL_S until the watch concludes or `budget` seconds pass."""
    from adapters.grpc.policy_client import Unreachable, open_channel

    started = time.monotonic()
    end, looked, said = started + budget, Looked(TIMED_OUT), False
    channel = open_channel(target)
    try:
        while True:
            deadline = min(CALL_DEADLINE_S, end - time.monotonic())
            try:
                looked.info, looked.brief, outcome = _answer(channel, target, watch, deadline, end)
                looked.error = None
            except Unreachable as exc:
                looked.error = exc
                if not watch.waiting:
                    return _done(looked, NOT_REACHABLE, started)
                channel.close()  # a fresh connection next time: a restarted service is reached at once
                channel = open_channel(target)
            else:
                if outcome is not None:
                    return _done(looked, outcome, started)
            if not (said or quiet):
                said = _say_waiting(target, watch, looked, budget)
            if time.monotonic() + POLL_S > end:
                # A last call cut short by the budget with no answer is the wait's end, not an unreachable service.
                cut = looked.error is not None and deadline < CALL_DEADLINE_S and looked.info is not None
                _whole(channel, target, looked)
                return _done(looked, NOT_REACHABLE if looked.error is not None and not cut else TIMED_OUT, started)
            time.sleep(POLL_S)
    finally:
        channel.close()


def _answer(channel: Any, target: Target, watch: Watch, deadline: float, end: float
            ) -> tuple[Any, bool, str | None]:  # fmt: skip
    """One look's answer and what it concludes. A wait asks for the brief answer (no rules table, warnings or
    problems: a few hundred bytes, where the whole is up to ~6 MB) until one concludes or the wait nears its end,
    then for the whole, which the report shows and which is judged again (it may have moved on)."""
    from adapters.grpc.policy_client import get_policy

    brief = watch.waiting and time.monotonic() + 2 * POLL_S <= end
    info = get_policy(channel, target, deadline, brief=brief)
    outcome = watch.judge(info)
    if brief and outcome is not None:
        info, brief = get_policy(channel, target, deadline), False
        outcome = watch.judge(info)
    return info, brief, outcome


def _whole(channel: Any, target: Target, looked: Looked) -> None:
    """The whole answer for the report, when the wait's last one was brief (a poll that took more than POLL_S
    near the end): one more call of at most 2 s past the budget, else the brief answer stands."""
    from adapters.grpc.policy_client import Unreachable, get_policy

    if looked.brief and looked.error is None:
        try:
            looked.info, looked.brief = get_policy(channel, target, min(CALL_DEADLINE_S, 2.0)), False
        except Unreachable:
            pass


def _done(looked: Looked, outcome: str, started: float) -> Looked:
    looked.outcome, looked.seconds = outcome, time.monotonic() - started
    return looked


def _say_waiting(target: Target, watch: Watch, looked: Looked, budget: float) -> bool:
    """One line on stderr as the wait begins: what it waits for and what the service says now."""
    now = (f"it serves {looked.info.version}" if looked.error is None else
           f"not reachable yet ({looked.error.why}); asking again")
    typer.echo(f"waiting up to {budget:g} s for policy_version {watch.wanted} on {target.address}: {now}", err=True)
    return True


def _message(looked: Looked, target: Target, wanted: str | None, rules: Path | None, waited: float | None) -> str:
    """The closing line: served, refused, not served, timed out (after `waited` s) or not reachable; empty for a
    plain look."""
    info, address = looked.info, target.address
    of = f" (the rules in {rules})" if rules is not None else ""
    if looked.outcome == NOT_REACHABLE and looked.error is not None:
        tried = f" for {waited:g} s" if waited is not None else ""
        return f"not reachable{tried}: {address}: {looked.error.why}; {looked.error.check}"
    if looked.outcome == SERVED:
        return f"served: policy_version {wanted}{of} is live on {address}, loaded at {info.loaded_at}"
    if looked.outcome == REFUSED:
        return (f"refused: {refused_count(info)} (above), at {info.last_refused.attempted_at}{_of(info)}; {address} "
                f"still serves policy_version {info.version}")
    if looked.outcome in (NOT_SERVED, TIMED_OUT):
        lead = "not served" if looked.outcome == NOT_SERVED else f"timed out after {waited:g} s"
        return f"{lead}: {address} serves policy_version {info.version}, not {wanted}{of}; {_why_not(info)}"
    return ""


def _why_not(info: Any) -> str:
    """What the service says about its rules directory, for a version wanted that it does not serve."""
    if info.HasField("reloading"):
        return f"a reload is under way (stage {info.reloading.stage}, {info.reloading.seconds:.1f} s): ask again"
    state = info.rules_dir_state
    if state == "REFUSED":
        return f"its rules directory holds a rule set refused at {info.last_refused.attempted_at}{_of(info)} (above)"
    if state == "PENDING":
        return "taking its rules directory's rule set failed and is tried again (pending, above)"
    return (f"its rules directory ({info.rules_dir}) holds the version it serves: are the files copied there, and "
            "is it watched? (with serve --watch-interval 0, send it SIGHUP)")


def _of(info: Any) -> str:
    """`, policy_version …`: the refused rule set's version, when the service names it (not an older one)."""
    version = info.last_refused.version
    return f", policy_version {version}" if version else ""


def _json(looked: Looked, target: Target, wanted: str | None, rules: Path | None, message: str) -> dict[str, Any]:
    """--json's object: every key always there, null when it does not apply."""
    error = looked.error if looked.outcome == NOT_REACHABLE else None
    return {"outcome": looked.outcome, "exit_code": EXIT_CODES[looked.outcome], "target": target.address,
            "wanted_version": wanted, "rules": str(rules) if rules is not None else None,
            "waited_seconds": round(looked.seconds, 3), "message": message or None,
            "error": {"why": error.why, "check": error.check} if error is not None else None,
            "policy": policy_dict(looked.info) if looked.info is not None and error is None else None}
