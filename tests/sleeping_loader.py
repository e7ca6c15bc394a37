"""A rules loader that only sleeps, in a module that imports almost nothing: a compile child unpickling it
starts sleeping at once, however busy the machine (importing a test module, pytest and all, at nice 10 under
other jobs took longer than the 3 s a timeout test allows)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any


def sleep_in_child(pid_file: Path, rules_dir: Path) -> Any:
    """Write this process's pid to `pid_file`, then sleep two minutes."""
    pid_file.write_text(str(os.getpid()))
    time.sleep(120)
