"""The systemd examples of deploy/systemd/ as the tests read them: unit files, the environment file, and
each unit's command line expanded from that file the way systemd expands it.

systemd's own parser is not at hand in a test (PID 1 is no systemd here; docs/service.md says how the
files were checked with `systemd-analyze verify`), so this reads the subset of the format the files use:
sections, `Key=value`, comments, repeated keys, and `$VAR` / `${VAR}` in Exec lines.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy" / "systemd"
SERVICE = DEPLOY / "credit-policy.service"
BATCH_SERVICE = DEPLOY / "credit-policy-batch.service"
BATCH_TIMER = DEPLOY / "credit-policy-batch.timer"
ENV_FILE = DEPLOY / "credit-policy.env"

_SPAN_UNITS = {"ms": 0.001, "s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600, "hr": 3600, "d": 86400}
_ASSIGNMENT = re.compile(r"^(#?)([A-Z][A-Z0-9_]*)=(.*)$")


@dataclass(frozen=True)
class Unit:
    """One unit file: every value of every key, per section, in file order."""

    path: Path
    sections: dict[str, dict[str, list[str]]]

    def values(self, section: str, key: str) -> list[str]:
        """Every value given to `key` in `section` (an empty assignment resets the list, as in systemd)."""
        out: list[str] = []
        for value in self.sections.get(section, {}).get(key, []):
            out = [] if value == "" else [*out, value]
        return out

    def value(self, section: str, key: str) -> str:
        """The one value of `key` in `section`; an AssertionError naming the file when it is not set."""
        values = self.values(section, key)
        assert values, f"{self.path.name}: [{section}] {key}= is not set"
        return values[-1]


def read_unit(path: Path) -> Unit:
    """Parse a unit file; a line that is neither a section, an assignment nor a comment is an error."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, equals, value = line.partition("=")
        assert equals and current is not None and not line.endswith("\\"), f"{path.name}:{number}: not read: {raw!r}"
        current.setdefault(key.strip(), []).append(value.strip())
    return Unit(path, sections)


def read_env_file(path: Path = ENV_FILE) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The file's settings, and the alternatives its comments offer (`#VAR=value` lines), by variable."""
    settings: dict[str, str] = {}
    alternatives: dict[str, list[str]] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = _ASSIGNMENT.match(raw.strip())
        if match is None:
            assert not raw.strip() or raw.lstrip().startswith("#"), f"{path.name}:{number}: not VAR=value: {raw!r}"
            continue
        commented, name, value = match.groups()
        if commented:
            alternatives.setdefault(name, []).append(value)
        else:
            assert name not in settings, f"{path.name}:{number}: {name} set twice"
            settings[name] = value
    return settings, alternatives


def expand_command(line: str, env: dict[str, str]) -> list[str]:
    """An Exec line's argv: `${VAR}` stays one word, a word that is `$VAR` splits on white space (systemd.service(5),
    "Command lines"); a variable the environment lacks is an error here (systemd would drop it silently)."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in env, f"{line!r}: ${{{name}}} is not set in {ENV_FILE.name}"
        return env[name]

    argv: list[str] = []
    for word in shlex.split(line):
        split = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", word)
        if split is not None:
            assert split.group(1) in env, f"{line!r}: ${split.group(1)} is not set in {ENV_FILE.name}"
            argv += env[split.group(1)].split()
        else:
            argv.append(re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", one, word))
    return argv


def seconds(span: str) -> float:
    """A systemd time span (`45`, `45s`, `2min`, `1h 30min`) in seconds."""
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]*)", span.strip())
    assert parts and "".join(n + u for n, u in parts) == re.sub(r"\s+", "", span), f"not a time span: {span!r}"
    return sum(float(number) * _SPAN_UNITS[unit or "s"] for number, unit in parts)


def option_value(argv: list[str], flag: str) -> str | None:
    """The value given to `flag` in argv (`--flag V` or `--flag=V`; the last one wins), or None."""
    found = None
    for index, word in enumerate(argv):
        if word == flag and index + 1 < len(argv):
            found = argv[index + 1]
        elif word.startswith(flag + "="):
            found = word.split("=", 1)[1]
    return found
