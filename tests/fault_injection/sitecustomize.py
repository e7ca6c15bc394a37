"""Injected rule-engine failures for the tests of a closed engine (tests/integration/test_grpc_engine_closed.py).

A `credit-policy serve` started with this directory first on PYTHONPATH and
CREDIT_POLICY_TEST_ENGINE_FAULTS=PATH imports this module at start-up (Python's `site` does, in
every process: the server, its engine workers, its server processes). Nothing changes until a test
writes a number N to PATH: the first process that next asserts facts takes the file (deletes it)
and fails its next N assertions in the durable_rules core, as a real failure inside the core would,
so `policy_engine.engine` recovers from each by starting over on a fresh ruleset until it gives up
(MAX_REPLACEMENTS). Never on the path of a real service.

With CREDIT_POLICY_TEST_ENGINE_DELAY=PATH instead (tests/integration/test_grpc_service.py), every
assertion of facts waits the seconds written in PATH for as long as the file is there: a decision slower
than any caller's deadline whatever the machine's load, with a request small enough to arrive at once.

With CREDIT_POLICY_TEST_START_HOLD=DIR (tests/integration/test_serve_stop_while_starting.py), a process holds
at a stage of its start for as long as DIR/hold.<stage> is there, after writing DIR/at.<stage>.<pid>: a
deterministic moment for a stop signal. Stages: `boot.spawned` (a spawned engine worker or server process, as
Python starts it), `compile.serve` and `compile.spawned` (the rules compiled by `serve` itself, or by a spawned
process: durable_rules' create_ruleset), `store.serve` (`serve` connecting to its SQLite store).
"""

from __future__ import annotations

import os

_PATH = os.environ.get("CREDIT_POLICY_TEST_ENGINE_FAULTS")

if _PATH:
    import durable_rules_engine as _core

    _real_assert = _core.assert_facts
    _left = [0]

    def _assert_facts(handle, payload):  # type: ignore[no-untyped-def]
        if os.path.exists(_PATH):
            try:
                with open(_PATH) as f:
                    count = int(f.read())
                os.unlink(_PATH)
            except (OSError, ValueError):  # another process took it first
                count = 0
            _left[0] += count
        if _left[0] > 0:
            _left[0] -= 1
            raise RuntimeError("injected engine failure (test)")
        return _real_assert(handle, payload)

    _core.assert_facts = _assert_facts

_DELAY_PATH = os.environ.get("CREDIT_POLICY_TEST_ENGINE_DELAY")

if _DELAY_PATH:
    import time as _time

    import durable_rules_engine as _delayed_core

    _undelayed_assert = _delayed_core.assert_facts

    def _slow_assert_facts(handle, payload):  # type: ignore[no-untyped-def]
        try:
            with open(_DELAY_PATH) as f:
                _time.sleep(float(f.read()))
        except (OSError, ValueError):  # no file (or half written): no delay
            pass
        return _undelayed_assert(handle, payload)

    _delayed_core.assert_facts = _slow_assert_facts

_HOLD_DIR = os.environ.get("CREDIT_POLICY_TEST_START_HOLD")

if _HOLD_DIR:
    import time as _hold_time

    def _role() -> str:
        with open("/proc/self/cmdline", "rb") as f:
            command = f.read()
        if b"compile_child" in command or b"compile_fork" in command or b"resource_tracker" in command:
            return "other"  # never held
        return "spawned" if b"--multiprocessing-fork" in command else "serve"

    _ROLE = _role()

    def _hold(stage: str) -> None:
        switch = os.path.join(_HOLD_DIR, f"hold.{stage}.{_ROLE}")
        if not os.path.exists(switch):
            return
        with open(os.path.join(_HOLD_DIR, f"at.{stage}.{_ROLE}.{os.getpid()}"), "w"):
            pass
        while os.path.exists(switch):
            _hold_time.sleep(0.02)

    if _ROLE != "other":
        _hold("boot")

        import sqlite3 as _sqlite3
        import sqlite3.dbapi2 as _dbapi2  # SQLAlchemy connects through this one

        import durable_rules_engine as _held_core

        _create_ruleset = _held_core.create_ruleset
        _connect = _sqlite3.connect

        def _held_create_ruleset(*args, **kwargs):  # type: ignore[no-untyped-def]
            _hold("compile")
            return _create_ruleset(*args, **kwargs)

        def _held_connect(*args, **kwargs):  # type: ignore[no-untyped-def]
            _hold("store")
            return _connect(*args, **kwargs)

        _held_core.create_ruleset = _held_create_ruleset
        _sqlite3.connect = _dbapi2.connect = _held_connect
