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
        unit = f"({_unit(spec)}) " if _unit(spec) else ""
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
            "maximum": spec.maximum, "realistic": low_high, "written_as": _written_as(spec),
            "description": spec.description, "values": list(spec.values)}


def _written_as(spec: FieldSpec) -> str | None:
    """How a percentage is written on the field: `fraction` (0.8 for 80%), `ratio` (1.5 for 150%), or None when it is
    no share or multiple (an amount, days, a score)."""
    if spec.fraction:
        return "fraction"
    return "ratio" if spec.realistic is not None else None


_WRITTEN = {"fraction": "0.8 for 80%", "ratio": "1.5 for 150%"}


def _unit(spec: FieldSpec) -> str:
    """The unit and the bounds (`months, ≥ 0`, `1-9`); a range written as the unit (0-1, 0-100) shows them already.
    A fraction with no unit says so (`fraction, ≥ 0`): 0.8, not 80, is its 80%. Then the realistic range lint judges
    a threshold by, and how a percentage is written (`real values 0 to 10, written as a ratio: 1.5 for 150%`)."""
    unit = spec.unit or ("fraction" if spec.fraction else "")
    shown = "" if spec.minimum is None else f"{spec.minimum:g}"
    if spec.minimum is not None and not unit.startswith(f"{shown}-"):
        bounds = f"≥ {shown}" if spec.maximum is None else f"{shown}-{spec.maximum:g}"
        unit = ", ".join(filter(None, (unit, bounds)))
    written = _written_as(spec)
    if spec.realistic is None or written is None:
        return unit
    low, high = spec.realistic
    real = f"real values {low:g} to {high:g}, written as a {written}: {_WRITTEN[written]}"
    return "; ".join(filter(None, (unit, real)))
