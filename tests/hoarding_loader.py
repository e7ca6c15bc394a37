"""Rules loaders that run away with memory, in a module that imports almost nothing (as sleeping_loader.py): a
compile child's memory bound must end them as a refused reload (adapters/grpc/compile_memory.py)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def hoard(rules_dir: Path) -> Any:
    """Take memory a MiB at a time (written, so resident) until there is none: MemoryError in Python."""
    held = []
    while True:
        held.append(b"x" * (1 << 20))


def hoard_then_abort(rules_dir: Path) -> Any:
    """As `hoard`, then abort with the memory still held, as a C core does when an allocation fails."""
    held = []
    try:
        while True:
            held.append(b"x" * (1 << 20))
    except MemoryError:
        os.abort()
