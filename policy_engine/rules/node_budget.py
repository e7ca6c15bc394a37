"""How many YAML nodes (aliases expanded where they are used) a set of files may make all together.

A bound per file let each of 200 files alias one large value up to it: 289 KB of rule files expanded to 40 million
nodes (lint past 6 GB), and 4 MiB of case files to 39 million (bench/bench_lint_bounds.py). The rule files and the
case files of a rule set each share one budget instead; the file that runs past it is refused where it did.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_NODES = 200_000
"""Nodes (mappings, lists, keys' values and items) of a rule set's files all together, YAML aliases expanded where
they are used: the shipped rules make ~1,200, 1 MiB of rules written out ~110,000-140,000. Bounded per file, it let
200 files of some KB each, aliasing one condition, expand to 40 million: 289 KB of rule files took lint past 6 GB
in 67 s, and the engine aborted (bench/bench_lint_bounds.py). A whole rule set at the bound lints in ~6-12 s and
~260 MB."""


@dataclass
class NodeBudget:
    """The nodes a set of files (a rule set's rule files, or its case files) may still make, all together."""

    bound: int = MAX_NODES
    files: str = "rule files"
    """What the files are, as the refusal names them."""
    shipped: str = "the shipped ones make ~1,200"
    advice: str = "write fewer aliases of large conditions, or fewer rules"
    left: int = field(init=False)

    def __post_init__(self) -> None:
        self.left = self.bound

    @property
    def spent(self) -> bool:
        """Whether a file has run past the bound: those after it are not read."""
        return self.left < 0

    def refusal(self, shared: bool) -> str:
        """Why the file that ran past the bound is refused; `shared` when the files before it counted too."""
        before = self.bound - self.left
        where = (f"the {self.files} before this one make {before:,} nodes, and with this one they come to" if before
                 else "this file makes")
        bound = (f"at most {self.bound:,} are read in all the {self.files} together ({self.shipped})" if shared
                 else f"at most {self.bound:,} are read in a file")
        return (f"{where} more than {self.bound:,} by here (mappings, lists, values and items, YAML aliases expanded "
                f"where they are used); {bound}: {self.advice}" + ("; it and the files after it are not read"
                                                                    if shared else ""))
