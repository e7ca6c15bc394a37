"""The rule-file language: load (YAML with positions), check, analyse and compile onto the engine."""

from pathlib import Path

DEFAULT_RULES_DIR = Path(__file__).resolve().parent.parent.parent / "rules"
"""The project's rules/ (api.DEFAULT_RULES_DIR): here, so that a command naming it as its default imports no
more than this package for it (the batch commands' module would import the whole policy core)."""
