"""The service's metric families: each name, its help text, its labels and how its values add up over the
`--processes` server processes (adapters/grpc/metrics.py says why each sums as it does). ServiceMetrics
registers them in this order, which is their order on /metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)


def call_metrics(r: CollectorRegistry) -> tuple[Counter, Histogram]:
    """gRPC calls by method and status code: their count and their latency."""
    requests = Counter("credit_policy_grpc_requests", "gRPC calls by method and status code",
                       ["method", "code"], registry=r)
    latency = Histogram("credit_policy_grpc_request_seconds", "gRPC call latency",
                        ["method", "code"], buckets=_LATENCY_BUCKETS, registry=r)
    return requests, latency


def decision_metrics(r: CollectorRegistry) -> tuple[Counter, Counter, Gauge]:
    """Decisions by kind, outcome and grade; those the decision log did not keep, and those it has yet to."""
    decisions = Counter("credit_policy_decisions", "Decisions by kind, outcome and grade",
                        ["kind", "outcome", "grade"], registry=r)
    log_failures = Counter("credit_policy_decision_log_failures",
                           "Decisions answered but not kept in the decision log (each also logged)", registry=r)
    # Summed over the live server processes under --processes; a dead one's entries are not waiting.
    log_backlog = Gauge("credit_policy_decision_log_backlog",
                        "Decisions answered and not yet written to the decision log (queued or being "
                        "written); 0 without a decision log", registry=r, multiprocess_mode="livesum")
    return decisions, log_failures, log_backlog


def admission_gauges(r: CollectorRegistry) -> tuple[Gauge, Gauge]:
    """The decision calls and streams served now, and how many the service takes at once."""
    in_flight = Gauge("credit_policy_grpc_in_flight",
                      "Decision calls and streams being served now (at most max_in_flight)",
                      registry=r, multiprocess_mode="livesum")
    max_in_flight = Gauge("credit_policy_grpc_max_in_flight",
                          "Decision calls and streams the service takes at once (serve --max-in-flight, "
                          "summed over the server processes)", registry=r, multiprocess_mode="livesum")
    return in_flight, max_in_flight


def health_watch_gauges(r: CollectorRegistry) -> tuple[Gauge, Gauge]:
    """The health Watch streams open now, and how many the service holds open at once."""
    watches = Gauge("credit_policy_grpc_health_watches",
                    "Health Watch streams open now (at most max_health_watches; gRPC's client-side health "
                    "checking holds one per connection)", registry=r, multiprocess_mode="livesum")
    max_watches = Gauge("credit_policy_grpc_max_health_watches",
                        "Health Watch streams the service holds open at once (serve --max-health-watches, "
                        "summed over the server processes)", registry=r, multiprocess_mode="livesum")
    return watches, max_watches


def reload_counter(r: CollectorRegistry, process: str | None) -> Counter:
    """Policy reload attempts by result, and by server process under `--processes` (module docstring)."""
    if process is None:
        reloads = Counter("credit_policy_reloads", "Policy reload attempts by result", ["result"], registry=r)
    else:
        reloads = Counter("credit_policy_reloads", "Policy reload attempts by server process and result",
                          ["process", "result"], registry=r)
    for result in ("success", "failure"):  # at 0 from the start: a first failure is an increase to alert on
        reloads.labels(result) if process is None else reloads.labels(process, result)
    return reloads


def policy_gauges(r: CollectorRegistry) -> tuple[Gauge, Gauge]:
    """The version served, and whether the rules directory as last read holds a refused rule set."""
    # Multiprocess: the highest value over the live processes, so a version shows 1 while any
    # process serves it; a dead process's values are dropped (mark_process_dead).
    policy = Gauge("credit_policy_policy_info", "The policy version being served",
                   ["version"], registry=r, multiprocess_mode="livemax")
    # Multiprocess: 1 while any live process last read a refused rule set from the directory.
    rules_dir_refused = Gauge(
        "credit_policy_rules_dir_refused",
        "1 while the rules directory, as last read, holds a rule set that was refused (the served "
        "version keeps serving; GetPolicy's last_refused says why); 0 once it holds a good one",
        registry=r, multiprocess_mode="livemax")
    return policy, rules_dir_refused


def reload_gauge(r: CollectorRegistry, process: str | None) -> Gauge:
    """Seconds the reload under way has run, 0 when none; by server process under `--processes`, as the reload
    counts (each process reloads on its own), a replaced process's series left to its successor."""
    help_text = ("Seconds the policy reload under way has run (compile, store, engines), 0 when none; a compile "
                 "is ended after 600 s")
    if process is None:
        return Gauge("credit_policy_reload_in_progress_seconds", help_text, registry=r)
    return Gauge("credit_policy_reload_in_progress_seconds", help_text, ["process"], registry=r,
                 multiprocess_mode="livemax")
