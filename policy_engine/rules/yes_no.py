"""A true/false written as a word (`yes`, `no`, `on`, `是`): said the same way for a condition and for a setting."""

from __future__ import annotations

from typing import Any

from policy_engine.rules.echo_yaml import as_written

YES_NO_WORDS = {**dict.fromkeys(("yes", "y", "on", "true", "是", "有"), "true"),
                **dict.fromkeys(("no", "n", "off", "false", "否", "无", "没有"), "false")}
"""Words for yes and no that YAML 1.2 (as these files are read) takes as text, not as true or false."""


def not_true_false(name: str, value: Any) -> str:
    """`"urgent_review" is true/false; got 'yes' (write true, without quotes: …)`, the hint only for a yes/no word."""
    meant = YES_NO_WORDS.get(value.strip().lower()) if isinstance(value, str) else None
    hint = f" (write {meant}, without quotes: YAML reads only true and false as yes or no)" if meant else ""
    return f'"{name}" is true/false; got {as_written(value)}{hint}'
