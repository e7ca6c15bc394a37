"""GetPolicy's answer: the version served, the rules directory's state and the last refused reload."""

from __future__ import annotations

from datetime import date
from typing import Any

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from adapters.grpc.host import PolicyHost
from adapters.grpc.versions import DIR_PENDING
from policy_engine.build import build_id


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def policy_info(host: PolicyHost, include_files: bool, brief: bool = False) -> pb.PolicyInfo:
    """GetPolicy's answer; `brief`: without its lists (rule ids, file names, rules, warnings, files, problems)."""
    served = host.served
    policy = served.policy
    info = pb.PolicyInfo(
        version=policy.version,
        loaded_at=_iso(getattr(policy, "loaded_at", served.loaded_at)),
        rules_dir=str(host.rules_dir),
        rules_dir_state=host.rules_dir_state,
        build=build_id(),
        warning_count=served.warnings.count,
    )
    if not brief:  # up to ~6 MB (docs/service.md, "How big GetPolicy gets"): a poller asks without them
        info.rule_ids.extend(policy.rule_ids)
        info.file_names.extend(sorted(policy.files))
        info.MergeFrom(served.rules)  # built when the version was loaded (versions.Served)
        info.warnings.extend(_problem(w) for w in served.warnings.warnings)  # lint's, from the child that compiled
        if include_files:
            info.files.update(policy.files)
    failed = host.last_failed
    if failed is not None and host.rules_dir_state == DIR_PENDING:  # why the directory's rule set waits
        info.pending.MergeFrom(pb.FailedReload(attempted_at=failed.attempted_at.isoformat(), version=failed.version,
                                               error=failed.error, attempt=failed.attempt))
    _last_refused(host, info, brief)
    reloading = host.progress.current
    if reloading is not None:  # the directory's state is as last read: this says a new read is under way
        info.reloading.MergeFrom(pb.ReloadUnderWay(started_at=reloading.started_at.isoformat(),
                                                   seconds=reloading.seconds(), trigger=reloading.trigger,
                                                   stage=reloading.stage, version=reloading.version))
    return info


def _problem(p: Any) -> pb.Problem:
    """A rule-file problem or warning (rules.problems.Problem, or whatever a loader raised) as the proto's."""
    return pb.Problem(path=str(getattr(p, "path", "")), line=int(getattr(p, "line", 0) or 0),
                      col=int(getattr(p, "col", 0) or 0), code=str(getattr(p, "code", "")),
                      message=str(getattr(p, "message", p)))


def _last_refused(host: PolicyHost, info: pb.PolicyInfo, brief: bool) -> None:
    refused = host.last_refused
    if refused is not None:
        info.last_refused.attempted_at = refused.attempted_at.isoformat()
        info.last_refused.note = refused.note
        info.last_refused.problem_count = refused.count
        info.last_refused.version = refused.version
        if brief:
            return
        info.last_refused.problems.extend(_problem(p) for p in refused.problems)
        if refused.error:
            info.last_refused.problems.add(code="load_failed", message=refused.error)
