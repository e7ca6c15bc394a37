"""The app's commands by name, each imported only when it is run or its own help is asked for.

Building every command meant importing every command's module, and with them the policy core, the store, the
gRPC service and rich's progress bars (~0.3 s of CPU) before any command ran, whichever it was: risk staff run
`lint` and `test` many times an hour, and the tests start hundreds of CLI processes. The app's own `--help`
lists the commands by their docstrings, read from the modules' source without importing them.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path
from typing import Any, cast

import typer.main
from typer.core import TyperGroup
from typer.models import CommandInfo

from policy_engine.cli.helptext import HelpCommand

COMMANDS: dict[str, str] = {  # in the order the app's help lists them
    "lint": "policy_engine.cli.core:lint",
    "test": "policy_engine.cli.core:test_cmd",
    "evaluate": "policy_engine.cli.core:evaluate",
    "check-order": "policy_engine.cli.core:check_order",
    "schema": "policy_engine.cli.core:schema",
    "fields": "policy_engine.cli.fields_cmd:fields",
    "rules": "policy_engine.cli.rules_cmd:rules",
    "import": "policy_engine.cli.import_cmd:import_cmd",
    "demo-data": "policy_engine.cli.store_cmds:demo_data_cmd",
    "history": "policy_engine.cli.history_cmd:history_cmd",
    "snapshot": "policy_engine.cli.snapshot_cmd:snapshot_cmd",
    "compact-log": "policy_engine.cli.compact_cmd:compact_log_cmd",
    "migrate": "policy_engine.cli.migrate_cmd:migrate_cmd",
    "serve": "adapters.grpc.command:serve",
    "status": "policy_engine.cli.status_cmd:status",
    "batch": "policy_engine.cli.batch_cmds:batch_cmd",
    "report": "policy_engine.cli.report_cmd:report_cmd",
    "queue": "policy_engine.cli.queue_cmd:queue_cmd",
    "runs": "policy_engine.cli.runs_cmd:runs_cmd",
    "simulate": "policy_engine.cli.simulate_cmd:simulate_cmd",
}
"""Each command's name and the function that implements it, `module:function`."""


class CommandTable(Mapping[str, Any]):
    """COMMANDS as click commands: a command's module is imported, and the command built, when it is looked up."""

    def __init__(self, rich_markup_mode: Any) -> None:
        """Commands whose help is rendered in `rich_markup_mode`, the app's."""
        self._markup = rich_markup_mode
        self._built: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        """The command `name` (KeyError if there is none), built the first time."""
        if name not in self._built:
            module, function = COMMANDS[name].split(":")
            self._built[name] = self._command(name, getattr(import_module(module), function))
        return self._built[name]

    def __contains__(self, name: object) -> bool:
        """Whether there is a command `name`, without building it."""
        return name in COMMANDS

    def __iter__(self) -> Iterator[str]:
        """The names, in the help's order."""
        return iter(COMMANDS)

    def __len__(self) -> int:
        """How many commands there are."""
        return len(COMMANDS)

    def listed(self) -> dict[str, Any]:
        """Each command as the app's help lists it, by name and docstring: its module is read, not imported."""
        return {name: HelpCommand(name=name, help=_docstring(COMMANDS[name]), rich_markup_mode=self._markup)
                for name in COMMANDS}

    def _command(self, name: str, function: Callable[..., Any]) -> Any:
        """The click command typer builds from `function`, its help rendered as helptext.py says."""
        info = CommandInfo(name=name, cls=HelpCommand, callback=function)
        # pretty_exceptions_short only matters with typer's pretty tracebacks, which the app turns off.
        return typer.main.get_command_from_info(info, pretty_exceptions_short=True, rich_markup_mode=self._markup)


class LazyGroup(TyperGroup):
    """A typer group whose commands are COMMANDS, each built when it is run or its help is shown."""

    def __init__(self, **attrs: Any) -> None:
        """The group typer builds for the app (the app registers no command of its own)."""
        super().__init__(**attrs)
        self.table = CommandTable(self.rich_markup_mode)
        self.commands = cast(MutableMapping[str, Any], self.table)  # typer and click only read it

    def list_commands(self, ctx: Any) -> list[str]:
        """The commands' names, in the help's order (typer's own would build every command to list them)."""
        return list(self.commands)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """The app's help: its list of commands from their docstrings, no command's module imported."""
        listing = copy.copy(self)
        listing.commands = self.table.listed()
        super(LazyGroup, listing).format_help(ctx, formatter)


def _docstring(target: str) -> str | None:
    """The docstring of `module:function`, as inspect.getdoc gives it, read from the module's source."""
    module, function = target.split(":")
    spec = find_spec(module)
    if spec is None or spec.origin is None:
        raise LookupError(f"command table: no module {module}")
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == function:
            return ast.get_docstring(node)
    raise LookupError(f"command table: no function {function} in {module}")
