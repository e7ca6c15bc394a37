"""The `credit-policy` command line: one typer app, commands registered by topic.

Nothing is imported here at module level: the script imports this package first, and a Ctrl-C during the
imports (a third of a second) is answered by main() only once main() runs (see interrupt.py).
"""

from __future__ import annotations

from policy_engine.cli.interrupt import interrupted, until_imported

TYPE_CHECKING = False  # as typing.TYPE_CHECKING (mypy reads it so), without importing typing before the guard
if TYPE_CHECKING:
    import typer


def build_app() -> typer.Typer:
    """Assemble the command line from its topic modules."""
    import typer
    from typer.core import TyperCommand

    from policy_engine.cli import batch_cmds, core, serve_cmd, status_cmd, store_cmds
    from policy_engine.cli.helptext import HelpCommand
    from policy_engine.cli.usage import CommandGroup

    app = typer.Typer(
        name="credit-policy",
        help="Trade-credit and follow-up policy: lint and test rule files, evaluate customers, serve decisions.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        cls=CommandGroup,
    )
    for module in (core, store_cmds, serve_cmd, status_cmd, batch_cmds):
        module.register(app)
    for command in app.registered_commands:  # help that names values plainly, for every command (helptext)
        if command.cls in (None, TyperCommand):
            command.cls = HelpCommand
    return app


def main() -> None:
    """Entry point of the `credit-policy` script."""
    try:
        with until_imported():
            app = build_app()
        app()
    except KeyboardInterrupt:  # between the commands' own handling (usage.CommandGroup) and the imports'
        raise interrupted() from None
