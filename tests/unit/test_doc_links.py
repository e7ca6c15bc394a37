"""Every relative link in README.md and docs/*.md reaches a file that is there, and every `#anchor` a
heading of that file, by GitHub's rules: so a section moved to another file (as the load history was, to
docs/service-load-history.md) never leaves a dead link behind."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^ {0,3}(```|~~~).*?^ {0,3}\1[^\n]*$", re.M | re.S)
CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
# [text](target) or [text](target "title"); the text may run over lines, as a wrapped paragraph's does
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$", re.M)


def prose(text: str) -> str:
    """The text without fenced code blocks and code spans, where a `[x](y)` is not a link (indented lines
    stay: in these docs they are mostly a list item's continuation, whose links count)."""
    text = FENCE.sub("", text)
    return CODE_SPAN.sub("", text)


def github_anchor(heading: str) -> str:
    """GitHub's id for a heading: inline markup dropped, lower-case, punctuation dropped, spaces → '-'."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text stays, its target goes
    text = re.sub(r"<[^>]+>", "", text).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """The ids of `path`'s headings; a repeated heading gets -1, -2 … as on GitHub."""
    seen: dict[str, int] = {}
    ids = set()
    for match in HEADING.finditer(FENCE.sub("", path.read_text(encoding="utf-8"))):
        base = github_anchor(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        ids.add(base if count == 0 else f"{base}-{count}")
    return ids


def dead_links(path: Path, root: Path = ROOT) -> list[str]:
    """`path`'s relative links whose file is not there, or whose `#anchor` no heading of that file has."""
    dead = []
    for match in LINK.finditer(prose(path.read_text(encoding="utf-8"))):
        target = match.group(1)
        if not target or re.match(r"[a-z][a-z0-9+.-]*:", target, re.I):  # http:, https:, mailto: …
            continue
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            dead.append(f"{path.relative_to(root)}: {target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            dead.append(f"{path.relative_to(root)}: {target}: no heading with that anchor")
    return dead


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_anchor_resolves(doc: Path) -> None:
    dead = dead_links(doc)

    assert not dead, "dead links:\n" + "\n".join(dead)


def test_the_load_history_is_among_the_checked_docs() -> None:
    assert ROOT / "docs" / "service-load-history.md" in DOCS


def test_a_dead_anchor_or_file_is_found(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    (tmp_path / "other.md").write_text("# Other\n\n## Twenty-ninth session (latest)\n", encoding="utf-8")
    doc.write_text("# Doc\n\n## A `flag`, and more!\n\nSee [it](#a-flag-and-more), [that](other.md#twenty-ninth-"
                   "session-latest),\n[a moved\nsection](other.md#sixth-session), [gone](gone.md) and "
                   "`[code](nowhere.md)`.\n", encoding="utf-8")  # fmt: skip

    dead = [line.split(": ", 1)[1] for line in dead_links(doc, tmp_path)]

    assert dead == ["other.md#sixth-session: no heading with that anchor", "gone.md: no such file"]

