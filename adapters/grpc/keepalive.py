"""Server keepalive (`serve --keepalive S --keepalive-timeout S`): the gRPC channel options that end a
connection whose caller has vanished without closing it, and the policy on the callers' own pings.

No gRPC import: the `--processes` supervisor, which never imports gRPC, hands a `Keepalive` to its
processes.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_INTERVAL_S = 30.0
"""A connection quiet this long is pinged (gRPC's own default is two hours)."""
DEFAULT_TIMEOUT_S = 20.0
"""A ping unanswered this long ends the connection: a vanished caller's place is free after ~50 s."""
CLIENT_PING_MIN_S = 10.0
"""Callers may ping this often without being sent away: gRPC's own minimum is 5 minutes while the server
sends nothing (two hours on a connection without calls), so a client whose keepalive was 10 s to 5 min
got GOAWAY `too_many_pings` on a quiet stream after its third ping."""


@dataclass(frozen=True)
class Keepalive:
    """How often a quiet connection is pinged (`interval`, seconds; 0: gRPC's own two hours), how long its
    answer may take (`timeout`, seconds) before the connection, and every call on it, is ended, and how
    often callers may ping (`client_ping_min`, seconds)."""

    interval: float = DEFAULT_INTERVAL_S
    timeout: float = DEFAULT_TIMEOUT_S
    client_ping_min: float = CLIENT_PING_MIN_S


def keepalive_options(keepalive: Keepalive | None) -> list[tuple[str, int]]:
    """The grpc.aio server options for `keepalive`; none (gRPC's own settings) for None."""
    if keepalive is None:
        return []
    options = [
        # Callers' pings are taken every client_ping_min, also on a connection without calls (gRPC's
        # own: once in two hours there), where the server now pings too. grpc.http2.max_ping_strikes
        # stays gRPC's 2: a third ping sooner than that is still answered GOAWAY too_many_pings.
        ("grpc.keepalive_permit_without_calls", 1),
        # The string of GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS: the macro's name lowercased
        # ("grpc.http2.min_recv_ping_…") is no option at all, and gRPC ignores it without a word.
        ("grpc.http2.min_ping_interval_without_data_ms", _ms(keepalive.client_ping_min)),
    ]
    if keepalive.interval > 0:
        options += [
            ("grpc.keepalive_time_ms", _ms(keepalive.interval)),
            ("grpc.keepalive_timeout_ms", _ms(keepalive.timeout)),
            # What grpcio 1.85's core waits for a ping's answer is this one (default 60 s), not
            # keepalive_timeout_ms: with only the latter at 1 s a frozen caller was let go after 61 s.
            ("grpc.http2.ping_timeout_ms", _ms(keepalive.timeout)),
            # grpcio 1.85 does not hold a server's pings to it (measured: a ping a second on a quiet
            # stream); 0 for a core that does, which would stop pinging after two and never find out.
            ("grpc.http2.max_pings_without_data", 0),
        ]
    return options


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))
