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
    """The command line; a command's module is imported only when that command is used (commands.py)."""
    import typer

    from policy_engine.cli.usage import CommandGroup

    return typer.Typer(
        name="credit-policy",
        help="Trade-credit and follow-up policy: lint and test rule files, evaluate customers, serve decisions.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        cls=CommandGroup,
        callback=_before_any_command,  # an app without commands of its own is a group to typer only with one
    )


def _before_any_command() -> None:
    """Nothing: the app has no options of its own."""


def main() -> None:
    """Entry point of the `credit-policy` script."""
    try:
        with until_imported():
            group = _group_with_its_command()
        group()
    except KeyboardInterrupt:  # between the commands' own handling (usage.CommandGroup) and the imports'
        raise interrupted() from None


def _group_with_its_command() -> typer.core.TyperGroup:
    """The app's click group, the command the command line names imported and built already: a Ctrl-C
    meanwhile is answered as during the other imports (interrupt.py)."""
    import sys

    import typer.main

    from policy_engine.cli.usage import CommandGroup

    group = typer.main.get_group(build_app())
    assert isinstance(group, CommandGroup)  # build_app's cls, for mypy
    if len(sys.argv) > 1:  # the app takes no option but --help: its first word, if any, names the command
        group.table.get(sys.argv[1])
    return group
