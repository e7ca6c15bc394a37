"""Help that names values as a careful command line does: `--explain`, not `--explain <bool>`; `SNAPSHOT` in
the usage line, not `{snapshot}`; `--as-of YYYY-MM-DD` (an option's own `metavar`) or else a word for its type
(`TEXT`, `N`, `PATH`, `[csv|jsonl]`), not typer's `<str>`, `<int range>`, `<path>`.

typer 0.29 renders every parameter's type as `<type>` (`_TyperParameter.display_type`), flags included (the
rich options panel asks `display_type_rich` of every row), and a required argument as `{name}`
(`TyperArgument._usage_display_name`). It builds the parameters itself (`typer.main._get_param`) and takes no
class for them, so `PlainHelp.get_params` gives each built one the class below that renders it: only help
changes — parsing, values, defaults and error messages are the parent class's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args

from typer.core import TyperArgument, TyperCommand, TyperOption

_WORDS: dict[Any, str] = {int: "N", float: "NUMBER", Path: "PATH", str: "TEXT"}


def _placeholder(param: TyperOption | TyperArgument, ctx: Any) -> str:
    """A word for what `param` takes: its choices (`[csv|jsonl]`) or its type's (`TEXT`, `N`, `PATH`)."""
    descriptor = param.type_descriptor
    if descriptor.is_choice:
        return f"[{param.display_type(ctx).strip('<>').removeprefix('list[').removesuffix(']')}]"
    annotation = get_args(descriptor.annotation)[0] if descriptor.is_list else descriptor.annotation
    return _WORDS.get(annotation, "VALUE")


class _Option(TyperOption):
    """An option whose help shows no placeholder for a flag, else its `metavar` or a word for its type."""

    def display_type_rich(self, ctx: Any) -> str | None:
        """None for a flag (it takes no value); the placeholder of a value."""
        if self.is_flag or self.count:
            return None
        return self.metavar if self.metavar is not None else _placeholder(self, ctx)


class _Argument(TyperArgument):
    """An argument shown as `SNAPSHOT` (`[RULES]` when optional) in the usage line, its type as a word."""

    def display_type_rich(self, ctx: Any) -> str | None:
        """The word for the argument's type (`PATH`, `TEXT`, its choices); its name is in the column before."""
        return _placeholder(self, ctx)

    def get_usage_pieces(self, ctx: Any) -> list[str]:
        """`NAME`, `[NAME]` when optional, `NAME...` when it takes many; a `metavar` given is kept as written."""
        name = self.metavar or self.name.upper()
        name = name if self.required else f"[{name}]"
        return [name if self.nargs == 1 else f"{name}..."]


def _plain(param: Any) -> Any:
    """`param` rendered in help as this module describes (the same object; only its class changes)."""
    if type(param) is TyperOption:
        param.__class__ = _Option
    elif type(param) is TyperArgument:
        param.__class__ = _Argument
    return param


class PlainHelp:
    """Mixin for a command or group: its parameters, the help option included, render as `_plain` says."""

    def get_params(self, ctx: Any) -> list[Any]:
        """The command's parameters (typer's help option last), each rendered plainly in help."""
        return [_plain(param) for param in super().get_params(ctx)]  # type: ignore[misc]


class HelpCommand(PlainHelp, TyperCommand):
    """The class of every command of the app (`build_app` sets it): typer's command, help rendered plainly."""
