"""Prometheus metrics of the service, in a registry of its own (tests run several servers)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

_LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)


class ServiceMetrics:
    """Request counts and latency by method and status, decisions, reloads."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("credit_policy_grpc_requests", "gRPC calls by method and status code",
                                ["method", "code"], registry=r)
        self.latency = Histogram("credit_policy_grpc_request_seconds", "gRPC call latency",
                                 ["method", "code"], buckets=_LATENCY_BUCKETS, registry=r)
        self.decisions = Counter("credit_policy_decisions", "Decisions by kind, outcome and grade",
                                 ["kind", "outcome", "grade"], registry=r)
        self.reloads = Counter("credit_policy_reloads", "Policy reload attempts by result",
                               ["result"], registry=r)
        self.policy = Gauge("credit_policy_policy_info", "The policy version being served",
                            ["version"], registry=r)
        self._server: Any = None
        # labels() takes a lock and builds a key on every call; the children are cached instead.
        self._calls: dict[tuple[str, str], tuple[Any, Any]] = {}
        self._decided: dict[tuple[str, str, str], Any] = {}

    def observe_call(self, method: str, code: str, seconds: float) -> None:
        """Count one finished call."""
        children = self._calls.get((method, code))
        if children is None:
            children = self._calls[method, code] = (self.requests.labels(method, code),
                                                     self.latency.labels(method, code))
        children[0].inc()
        children[1].observe(seconds)

    def observe_decision(self, kind: str, outcome: str, grade: str) -> None:
        """Count one decision (kind `customer` has outcome `EVALUATED`)."""
        child = self._decided.get((kind, outcome, grade))
        if child is None:
            child = self._decided[kind, outcome, grade] = self.decisions.labels(kind, outcome, grade)
        child.inc()

    def policy_loaded(self, version: str) -> None:
        """Show only the version now served."""
        self.policy.clear()
        self.policy.labels(version).set(1)

    def serve(self, port: int, address: str = "0.0.0.0") -> int:
        """Expose /metrics over HTTP; return the bound port."""
        server, _thread = start_http_server(port, addr=address, registry=self.registry)
        self._server = server
        return int(server.server_port)

    def close(self) -> None:
        """Stop the HTTP endpoint if one was started."""
        if self._server is not None:
            self._server.shutdown()
            self._server = None
