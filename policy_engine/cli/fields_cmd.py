"""`credit-policy fields`: the fields rule conditions may compare, aligned, wrapped and filterable."""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from policy_engine.cli.options import fail
from policy_engine.domain.suggest import echoed

if TYPE_CHECKING:
    from policy_engine.features import FieldSpec

AsJson = Annotated[bool, typer.Option("--json", help="print the fields as JSON, realistic ranges included")]


def fields(
    word: Annotated[str | None, typer.Argument(
        metavar="WORD", help="only the fields whose name or meaning contains WORD (any case)")] = None,
    stage: Annotated[str, typer.Option(metavar="STAGE", help="customer|invoice|rating|profile|order")] = "order",
    as_json: AsJson = False,
) -> None:
    """List the fields rule conditions may compare, with type, unit, realistic range and meaning; WORD filters them."""
    from policy_engine.rules.scopes import SCOPES

    if stage not in SCOPES:
        raise fail(f"--stage: {echoed(stage)} is not one of {', '.join(map(repr, SCOPES))}")
    specs = [s for s in SCOPES[stage].values() if word is None or _matches(s, word.lower())]
    if not specs:
        typer.echo(f"no field of stage {stage} has {word!r} in its name or meaning", err=True)
        raise typer.Exit(1)
    if as_json:
        typer.echo(json.dumps([field_record(spec) for spec in specs], ensure_ascii=False, indent=2))
        return
    # Wrapped only on a terminal: piped into grep or a file, each field stays on its own line.
    width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
    for line in field_lines(specs, width):
        typer.echo(line)


def _matches(spec: FieldSpec, word: str) -> bool:
    return word in spec.name.lower() or word in spec.description.lower()


def field_lines(specs: Sequence[FieldSpec], width: int | None = None) -> list[str]:
    """One line per field, `name  type  (unit) meaning [values]`, the columns as wide as their longest
    entry; with `width`, a long meaning wraps under the meaning column, not under the name."""
    name_w = max(len(s.name) for s in specs)
    type_w = max(len(s.type) for s in specs)
    indent = " " * (name_w + 2 + type_w + 2)
    lines = []
    for spec in specs:
        unit = f"({spec.unit_text()}) " if spec.unit_text() else ""
        extra = f" [{', '.join(spec.values)}]" if spec.values else ""
        head = f"{spec.name:{name_w}}  {spec.type:{type_w}}  "
        meaning = f"{unit}{spec.description}{extra}"
        if width is None or len(indent) + 20 > width:  # too narrow to wrap usefully: one line
            lines.append(head + meaning)
        else:
            lines += textwrap.wrap(meaning, width, initial_indent=head, subsequent_indent=indent,
                                   break_on_hyphens=False)  # fmt: skip
    return lines


def field_record(spec: FieldSpec) -> dict[str, Any]:
    """One field as `fields --json` gives it: what the line says, each part under its own key."""
    low_high = {"low": spec.realistic[0], "high": spec.realistic[1]} if spec.realistic else None
    return {"name": spec.name, "type": spec.type, "unit": spec.unit, "minimum": spec.minimum,
            "maximum": spec.maximum, "realistic": low_high, "written_as": spec.written_as(),
            "description": spec.description, "values": list(spec.values)}
