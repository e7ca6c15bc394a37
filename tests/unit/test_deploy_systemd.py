"""The systemd examples in deploy/systemd/ agree with the program they start: every flag their command
lines pass (the environment file's options and the alternatives its comments offer) is one the CLI's
parser takes, reload is SIGHUP, the stop waits longer than serve's grace, and the batch unit retries
exactly the exit codes that docs/batch.md and the code call resumable."""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer.main

from adapters.batch import runner
from adapters.grpc import store_watch
from adapters.grpc.runtime import ENGINE_BROKEN_EXIT
from adapters.store import audit_writer, engine
from policy_engine.cli import batch_cmds, build_app
from tests.deploy_units import (
    BATCH_SERVICE,
    BATCH_TIMER,
    DEPLOY,
    ROOT,
    SERVICE,
    expand_command,
    option_value,
    read_env_file,
    read_unit,
    seconds,
)

EXECUTABLE = "/opt/credit-policy/bin/credit-policy"
STOP_MARGIN_S = 15
"""What a stop takes beyond --grace (workers and store closed, the decision log written: ~1-3 s measured,
tests/integration/test_deploy_systemd_units.py) with room for a loaded machine."""
_UsageError: type[Exception] = typer.BadParameter.__mro__[1]  # click's UsageError (typer vendors click)


def _command(name: str) -> Any:
    return typer.main.get_command(build_app()).commands[name]  # type: ignore[attr-defined]


def _command_lines(unit_path: Any) -> list[tuple[str, list[str]]]:
    """(what, argv) for the unit's ExecStart with the env file's settings, then with each commented alternative."""
    line = read_unit(unit_path).value("Service", "ExecStart")
    settings, alternatives = read_env_file()
    out = [("as shipped", expand_command(line, settings))]
    for name, values in alternatives.items():
        out += [(f"#{name}={value}", expand_command(line, {**settings, name: value})) for value in values]
    return out


def _parse(argv: list[str]) -> dict[str, Any]:
    """Parse argv (after the executable) with the CLI's own parser, as `credit-policy` would; its params."""
    assert argv[0] == EXECUTABLE, argv
    name, args = argv[1], argv[2:]
    return dict(_command(name).make_context(name, args).params)


CASES = [(unit.name, what, argv) for unit in (SERVICE, BATCH_SERVICE) for what, argv in _command_lines(unit)]


@pytest.mark.parametrize(("unit", "what", "argv"), CASES, ids=[f"{u}: {w}" for u, w, _ in CASES])
def test_every_flag_a_unit_passes_is_taken_by_the_cli_parser(unit: str, what: str, argv: list[str]) -> None:
    params = _parse(argv)

    assert params["rules"] is not None and str(params["rules"]) == read_env_file()[0]["RULES_DIR"]
    assert argv[1] == ("serve" if unit == SERVICE.name else "batch")


@pytest.mark.parametrize(("renamed", "to"), [("--grace", "--grace-period"), ("--rules", "--rule-dir")])
def test_a_flag_the_cli_does_not_know_fails_the_parse(renamed: str, to: str) -> None:
    argv = [to if word == renamed else word for word in _command_lines(SERVICE)[0][1]]

    with pytest.raises(_UsageError, match=re.escape(to)):
        _parse(argv)


def test_reload_sends_sighup_to_the_main_process() -> None:
    unit = read_unit(SERVICE)

    argv = unit.value("Service", "ExecReload").split()

    assert argv[0].endswith("/kill") and argv[1:] in (["-HUP", "$MAINPID"], ["-s", "HUP", "$MAINPID"])


def test_the_service_is_stopped_by_sigterm_with_time_for_its_grace_to_run_out() -> None:
    unit = read_unit(SERVICE)
    argv = _command_lines(SERVICE)[0][1]
    grace = float(option_value(argv, "--grace") or _command("serve").make_context("serve", []).params["grace"])

    stop = seconds(unit.value("Service", "TimeoutStopSec"))

    assert unit.values("Service", "KillSignal") in ([], ["SIGTERM"])
    assert stop >= grace + STOP_MARGIN_S, f"TimeoutStopSec={stop:g} s leaves too little after --grace {grace:g}"
    for what, alternative in _command_lines(SERVICE)[1:]:
        assert float(option_value(alternative, "--grace") or grace) + STOP_MARGIN_S <= stop, what


def test_the_service_is_restarted_on_every_failure_exit_and_its_files_limit_is_set() -> None:
    unit = read_unit(SERVICE)

    assert unit.value("Service", "Type") == "exec"  # serve has no sd_notify: nothing would send READY=1
    assert unit.value("Service", "Restart") == "on-failure"
    assert ENGINE_BROKEN_EXIT not in _exit_codes(unit, "RestartPreventExitStatus")
    assert _exit_codes(unit, "SuccessExitStatus") == set()
    assert int(unit.value("Service", "LimitNOFILE")) >= 4096


def _exit_codes(unit: Any, key: str) -> set[int]:
    words = " ".join(unit.values("Service", key)).split()
    assert all(word.isdigit() for word in words), f"{key}: only numeric exit codes are expected here: {words}"
    return {int(word) for word in words}


def test_the_batch_unit_retries_the_resumable_exits_and_no_other() -> None:
    unit = read_unit(BATCH_SERVICE)
    resumable = {runner.EXIT_FATAL, batch_cmds.EXIT_INTERRUPTED}
    not_retried = {runner.EXIT_QUARANTINED, runner.EXIT_BAD_INPUT}

    success = {0} | _exit_codes(unit, "SuccessExitStatus")
    prevented = _exit_codes(unit, "RestartPreventExitStatus")

    assert unit.value("Service", "Type") == "oneshot" and unit.value("Service", "Restart") == "on-failure"
    assert success == {runner.EXIT_OK}, "exit 1 (quarantined customers) must leave the unit failed: it is the alert"
    assert prevented == not_retried
    assert not resumable & (success | prevented)


def test_the_batch_exit_codes_in_the_docs_are_those_the_unit_classifies() -> None:
    text = (ROOT / "docs" / "batch.md").read_text(encoding="utf-8")
    table = text.split("\n| exit | meaning |", 1)[1].split("\n\n", 1)[0]  # the table, up to the blank line after it

    documented = {int(code) for code in re.findall(r"^\| (\d+) \|", table, flags=re.MULTILINE)}

    assert documented == {runner.EXIT_OK, runner.EXIT_QUARANTINED, runner.EXIT_BAD_INPUT, runner.EXIT_FATAL,
                          batch_cmds.EXIT_INTERRUPTED}


def test_the_batch_stop_goes_to_the_main_process_which_lets_its_workers_commit() -> None:
    unit = read_unit(BATCH_SERVICE)

    assert unit.value("Service", "KillMode") == "mixed"
    assert seconds(unit.value("Service", "TimeoutStopSec")) >= 60


def test_the_timer_starts_the_batch_nightly_and_catches_up_a_missed_night() -> None:
    timer = read_unit(BATCH_TIMER)

    assert re.fullmatch(r"\*-\*-\* \d\d:\d\d(:\d\d)?( \S+)?", timer.value("Timer", "OnCalendar"))
    assert timer.value("Timer", "Persistent") == "true"
    assert (DEPLOY / timer.value("Timer", "Unit")).is_file()
    assert seconds(timer.value("Timer", "RandomizedDelaySec")) <= 3600


def test_what_the_units_write_is_inside_their_state_directory() -> None:
    settings, alternatives = read_env_file()
    for path in (SERVICE, BATCH_SERVICE):
        unit = read_unit(path)
        state = f"/var/lib/{unit.value('Service', 'StateDirectory')}"

        assert unit.value("Service", "ProtectSystem") == "strict" and unit.value("Service", "WorkingDirectory") == state
        assert unit.value("Service", "EnvironmentFile") == "/etc/credit-policy/credit-policy.env"
        for url in [settings["CREDIT_POLICY_DB"], *alternatives.get("CREDIT_POLICY_DB", [])]:
            assert not url.startswith("sqlite") or url.startswith(f"sqlite:///{state}/"), url
    report_dir = option_value(_command_lines(BATCH_SERVICE)[0][1], "--report-dir")
    assert report_dir is not None and report_dir.startswith(f"{state}/")


def test_the_env_file_sets_only_variables_the_program_reads() -> None:
    settings, alternatives = read_env_file()
    read_by_the_program = {engine.DB_ENV_VAR, audit_writer.LINGER_ENV_VAR, store_watch.INTERVAL_ENV_VAR, "TZ"}
    used_by_the_units = {"RULES_DIR", "SERVE_OPTIONS", "BATCH_OPTIONS"}

    names = set(settings) | set(alternatives)

    assert names <= read_by_the_program | used_by_the_units, names - read_by_the_program - used_by_the_units
