"""What one import did: rows read, loaded and rejected, and the problems and warnings found, within bounds."""

from __future__ import annotations

from dataclasses import dataclass, field

from adapters.importers.reader import Problem

MAX_PROBLEMS_KEPT = 1000
"""Problems beyond this are counted but not kept in memory (the rejects file still gets every row)."""
MAX_WARNINGS_KEPT = 1000
"""Warnings beyond this are counted but not kept in memory."""


@dataclass
class ImportReport:
    """What an import did: rows read, loaded and rejected, the problems found, whether it was committed."""

    kind: str
    file: str
    rows_read: int = 0
    rows_loaded: int = 0
    changed: dict[str, int] = field(default_factory=dict)
    """Rows inserted or changed in the store, by what they are (kinds.STORED_PLURALS): a customers row may store a
    customer record, a 5C assessment, a current grade/limit and a value class."""
    rows_rejected: int = 0
    problem_count: int = 0
    problems: list[Problem] = field(default_factory=list)
    warning_count: int = 0
    warnings: list[Problem] = field(default_factory=list)
    """What loaded rows hold that looks wrong (a statement that does not add up): said, never refused."""
    committed: bool = False
    refused_whole: bool = False
    """The file as a whole was refused before any row (empty, a bad header): its one problem says it all."""

    @property
    def rows_changed(self) -> int:
        """Rows inserted or changed in the store, of every table: more than the file's rows loaded, where a customers
        row stored an assessment or a grade/limit beside its customer record."""
        return sum(self.changed.values())

    def count_changed(self, changed: dict[str, int]) -> None:
        """Add a chunk's rows inserted or changed, by what they are."""
        for noun, count in changed.items():
            self.changed[noun] = self.changed.get(noun, 0) + count

    def add(self, problems: list[Problem]) -> None:
        """Count problems, keeping the first MAX_PROBLEMS_KEPT."""
        self.problem_count += len(problems)
        room = MAX_PROBLEMS_KEPT - len(self.problems)
        if room > 0:
            self.problems.extend(problems[:room])

    def warn(self, warnings: list[Problem]) -> None:
        """Count warnings, keeping the first MAX_WARNINGS_KEPT."""
        self.warning_count += len(warnings)
        room = MAX_WARNINGS_KEPT - len(self.warnings)
        if room > 0:
            self.warnings.extend(warnings[:room])


class ImportInterrupted(KeyboardInterrupt):
    """Ctrl-C before the import's one transaction committed: it was rolled back, nothing was imported, and a
    rejects file was not written (a KeyboardInterrupt still, for callers that catch those)."""
