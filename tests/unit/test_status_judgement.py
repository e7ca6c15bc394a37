"""`credit-policy status` without a server: what one GetPolicy answer concludes (served, refused, not yet), the
options it refuses (exit 2, naming the flag) and how a long list of problems is cut, as lint's words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from policy_engine.cli import build_app, status_cmd
from policy_engine.cli.status_view import policy_dict, report_lines
from policy_engine.cli.status_wait import NOT_SERVED, REFUSED, SERVED, Watch

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
WANTED = "0123456789abcdef"


def info(version: str = "fedcba9876543210", refused_at: datetime | None = None, state: str = "SERVED",
         problems: int = 1, refused_version: str = "") -> pb.PolicyInfo:
    answer = pb.PolicyInfo(version=version, loaded_at="2026-11-25T08:00:00+00:00", rules_dir_state=state)
    if refused_at is not None:
        answer.last_refused.attempted_at = refused_at.isoformat()
        answer.last_refused.version = refused_version
        answer.last_refused.problem_count = problems
        answer.last_refused.problems.extend(
            pb.Problem(path=f"rules/zz_{i % 2}.yaml", line=i + 1, col=3, code="yaml_error", message="bad")
            for i in range(problems))
    return answer


def test_a_wait_goes_on_past_a_refusal_from_before_it_started_and_ends_at_a_new_one() -> None:
    watch = Watch(WANTED, START, waiting=True)
    old = START - timedelta(hours=1)

    assert watch.judge(info(refused_at=old, state="REFUSED")) is None
    assert watch.judge(info(refused_at=old, state="REFUSED")) is None
    assert watch.judge(info(refused_at=old + timedelta(seconds=1), state="REFUSED")) == REFUSED


def test_a_refusal_dated_after_the_rules_last_changed_counts_even_on_the_first_look() -> None:
    changed = START - timedelta(seconds=2)  # copied in, then the command started and asked

    assert Watch(WANTED, START, True, changed).judge(info(refused_at=changed + timedelta(seconds=1))) == REFUSED
    assert Watch(WANTED, START, True, changed).judge(info(refused_at=changed - timedelta(seconds=1))) is None
    assert Watch(WANTED, START, True).judge(info(refused_at=START + timedelta(seconds=1))) == REFUSED


def test_a_wait_goes_on_past_a_new_refusal_that_names_another_version_and_ends_at_one_naming_its_own() -> None:
    watch = Watch(WANTED, START, waiting=True)
    later = START + timedelta(seconds=3)  # after the command started, seen to come: the time alone took it before

    assert watch.judge(info()) is None
    assert watch.judge(info(refused_at=later, state="REFUSED", refused_version="1111111111111111")) is None
    assert watch.judge(info(refused_at=later, state="REFUSED", refused_version=WANTED)) == REFUSED


def test_a_refusal_naming_the_version_wanted_counts_whatever_the_clocks_say_while_the_directory_holds_it() -> None:
    changed = START - timedelta(seconds=2)
    skewed = changed - timedelta(seconds=30)  # the service's clock half a minute behind this machine's

    assert Watch(WANTED, START, True, changed).judge(
        info(refused_at=skewed, state="REFUSED", refused_version=WANTED)) == REFUSED
    assert Watch(WANTED, START, True, changed).judge(
        info(refused_at=skewed, state="SERVED", refused_version=WANTED)) is None  # taken back out since


def test_a_single_look_at_a_directory_refused_for_another_version_is_not_served_not_refused() -> None:
    other = info(refused_at=START, state="REFUSED", refused_version="1111111111111111")

    assert Watch(WANTED, START, False).judge(other) == NOT_SERVED
    assert Watch(WANTED, START, False).judge(info(refused_at=START, state="REFUSED", refused_version=WANTED)) == REFUSED


def test_the_version_wanted_served_wins_over_any_refusal_and_a_single_look_takes_the_state_as_it_is() -> None:
    assert Watch(WANTED, START, True).judge(info(WANTED, refused_at=START + timedelta(1))) == SERVED
    assert Watch(WANTED, START, False).judge(info(refused_at=START - timedelta(1), state="REFUSED")) == REFUSED
    assert Watch(WANTED, START, False).judge(info(state="PENDING")) == NOT_SERVED


def test_problems_are_shown_as_lint_prints_them_and_a_long_list_is_cut_saying_how_to_see_all() -> None:
    lines = report_lines(info(refused_at=START, state="REFUSED", problems=60), "localhost:50051", "my rules")

    assert "  last refused: 2026-11-25T09:00:00+00:00, 60 problems in 2 files:" in lines
    named = report_lines(info(refused_at=START, state="REFUSED", refused_version=WANTED), "localhost:50051", "r")
    assert f"  last refused: 2026-11-25T09:00:00+00:00, policy_version {WANTED}, 1 problem in 1 file:" in named
    assert "    rules/zz_0.yaml:1:3: yaml_error: bad" in lines
    assert lines[-1] == "    … and 10 more (`credit-policy lint 'my rules'` prints them all)"
    assert policy_dict(info())["last_refused"] is None and policy_dict(info())["reloading"] is None


def _status(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_app(), ["status", *args])
    return result.exit_code, result.output


def test_options_that_cannot_work_are_refused_naming_the_flag(tmp_path: Path) -> None:
    key_only = tmp_path / "client.key"
    key_only.write_text("not a key")

    assert _status("--wait") == (2, "error: --wait waits for a version: give --rules DIR (the rule files copied in) "
                                    "or --policy-version\n")
    code, said = _status("--policy-version", "32a5f946")
    assert code == 2 and said.startswith("error: --policy-version: not a policy_version: '32a5f946'; it is 16 hex")
    code, said = _status("--rules", str(tmp_path / "nowhere"))
    assert code == 2 and "nowhere" in said and "error: --rules: the rule files in " in said
    assert _status("--tls-key", str(key_only))[0] == 2
    code, said = _status("--tls-server-name", "svc.internal")
    assert code == 2 and said.startswith("error: --tls-server-name: ")
    code, said = _status("--timeout", "0")
    assert code == 2 and said == "error: --timeout: expected seconds from 0.1 to 86,400, got 0\n"


class FakeService:
    """GetPolicy answers in turn (the last one repeated), recording whether each call asked for the brief answer."""

    def __init__(self, *answers: pb.PolicyInfo):
        self.answers, self.asked = list(answers), []

    def get_policy(self, channel: object, target: object, deadline: float, brief: bool = False) -> pb.PolicyInfo:
        self.asked.append(brief)
        whole = self.answers[0] if len(self.answers) == 1 else self.answers.pop(0)
        answer = pb.PolicyInfo()
        answer.CopyFrom(whole)
        if brief:
            del answer.rule_ids[:]
        return answer


def test_a_wait_polls_the_brief_answer_and_reports_the_whole_one_it_concluded_on(monkeypatch: Any) -> None:
    import adapters.grpc.policy_client as client
    from adapters.grpc.policy_client import Target

    old, new = info(), info(WANTED)
    old.rule_ids.extend(["warn.a", "warn.b"])
    new.rule_ids.extend(["warn.a", "warn.b", "warn.c"])
    service = FakeService(old, old, new)
    monkeypatch.setattr(client, "get_policy", service.get_policy)
    monkeypatch.setattr(client, "open_channel", lambda target: FakeChannel())
    monkeypatch.setattr(status_cmd, "POLL_S", 0.01)

    looked = status_cmd.look(Target("localhost", 50051), Watch(WANTED, START, waiting=True), 30.0, quiet=True)

    assert looked.outcome == SERVED and not looked.brief
    assert list(looked.info.rule_ids) == ["warn.a", "warn.b", "warn.c"]  # the report's "3 rules", not a brief 0
    assert service.asked == [True, True, True, False]


class FakeChannel:
    def close(self) -> None:
        pass
