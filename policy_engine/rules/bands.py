"""The grade bands' checks: every score of the range in one band (band_gap, band_overlap), and a higher score never a
worse grade (not_monotonic). A gap says which edge of the bands either side of it to move, and what to write."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from policy_engine.domain.values import GRADE_RANK
from policy_engine.rules.conditions import INF
from policy_engine.rules.problems import Problem

if TYPE_CHECKING:
    from policy_engine.rules.analysis import Entry


def band_problems(
    rules: list[Entry], boxes: dict[str, Any], kinds: dict[str, Any], unsound: frozenset[str],
) -> list[Problem]:
    """band_overlap, band_gap and not_monotonic of the grade bands. Where a band whose condition has a problem lies
    is unknown: overlaps between the others are still reported, gaps (which that band may fill) are not, until it
    is fixed."""
    bands = kinds.get("grade_bands")
    if bands is None:
        return []
    intervals = []
    problems = []
    for rule, _node, doc, loc in rules:
        if rule.kind != "grade_band" or rule.name in unsound:
            continue
        box = boxes[rule.name]
        if box is None or set(box) != {"score"}:
            msg = "a band must be a range of score only (e.g. {score: {between: [80, 90]}})"
            problems.append(doc.problem((*loc, "when"), "invalid_value", msg))
            continue
        intervals.append((box["score"], rule, doc, loc))
    gaps = not any(rule.kind == "grade_band" and rule.name in unsound for rule, *_ in rules)
    low, high = bands.range
    return problems + _sweep(intervals, low, high, gaps) + _band_order(intervals)


def _band_order(intervals: list[tuple[Any, ...]]) -> list[Problem]:
    """not_monotonic for a band that gives a worse grade than the band below it: bands whose grades
    were swapped covered 0-100 once and linted clean, and a higher score earned a worse grade."""
    problems = []
    ordered = sorted(intervals, key=lambda x: (x[0][0], not x[0][1]))
    for (below, lower, *_), (above, rule, doc, loc) in zip(ordered, ordered[1:], strict=False):
        worse, better = rule.spec.grade, lower.spec.grade
        if GRADE_RANK[worse] > GRADE_RANK[better]:
            msg = (f'gives {worse} from score {_fmt(above[0])}, a worse grade than {better} that '
                   f'"{lower.id}" gives from {_fmt(below[0])}: a higher score must never earn a worse grade; '
                   "swap their grades (or their ranges)")
            problems.append(doc.problem((*loc, "grade"), "not_monotonic", msg))
    return problems


def _sweep(intervals: list[tuple[Any, ...]], low: float, high: float, gaps: bool) -> list[Problem]:
    """band_overlap for each band that starts inside the ones before it; band_gap (when `gaps`) for
    each range of [low, high] no band covers."""
    problems = []
    intervals.sort(key=lambda x: (x[0][0], not x[0][1]))
    cursor, cursor_in = low, True  # the lowest value not yet covered, and whether it is itself included
    reaching = None  # the band that covers up to the cursor: the one an overlapping band shares scores with
    for band, rule, doc, loc in intervals:
        lo, lo_in, hi, hi_in = band
        if lo < low:
            lo, lo_in = low, True
        if lo > cursor or (lo == cursor and cursor_in and not lo_in):
            span = f"[{_fmt(cursor)}, {_fmt(lo)}{']' if not lo_in else ')'}"
            below = _end_at(reaching, lo, not lo_in, (low, high)) if reaching else ""
            above = _start_at((band, rule), cursor, cursor_in, (low, high))
            if gaps:
                fix = f"make {below} or {above}" if below else f"make {above}"
                problems.append(doc.problem((*loc, "when"), "band_gap", f"no band covers score {span}: {fix}"))
        elif lo < cursor or (lo == cursor and not cursor_in and lo_in):
            shared = _span(lo, lo_in, *min((hi, hi_in), (cursor, not cursor_in)))
            fix = "make one band end where the other starts"
            if reaching and (hi, not hi_in) > (cursor, cursor_in):  # it reaches past the other: either edge moves
                below = _end_at(reaching, lo, not lo_in, (low, high))
                fix = f"make {below} or {_start_at((band, rule), cursor, cursor_in, (low, high))}"
            msg = (f'"{rule.id}" and "{reaching[1].id if reaching else ""}" both cover score {shared}: a score there '
                   f"gets the grade of the one written first; {fix}")
            problems.append(doc.problem((*loc, "when"), "band_overlap", msg))
        if (hi, not hi_in) > (cursor, cursor_in):
            cursor, cursor_in, reaching = hi, not hi_in, (band, rule)
    if gaps and reaching and (cursor < high or (cursor == high and cursor_in)) and cursor != INF:
        _, rule, doc, loc = intervals[-1]
        (lo, lo_in, _, _), last = reaching
        fix = f'make "{last.id}" cover it (when: {_when((lo, lo_in, INF, False), (low, high))})'
        problems.append(doc.problem((*loc, "when"), "band_gap", f"no band covers score from {_fmt(cursor)} up: {fix}"))
    return problems


def _end_at(band: tuple[Any, Any], end: float, end_in: bool, scale: tuple[float, float]) -> str:
    """`"grade.aa" end at 92 (when: …)`: the band below a gap, reaching up to the band above it."""
    (lo, lo_in, _, _), rule = band
    return f'"{rule.id}" end at {_fmt(end)} (when: {_when((lo, lo_in, end, end_in), scale)})'


def _start_at(band: tuple[Any, Any], start: float, start_in: bool, scale: tuple[float, float]) -> str:
    """`"grade.aaa" start at 90 (when: …)`: the band above a gap, reaching down to the band below it."""
    (_, _, hi, hi_in), rule = band
    return f'"{rule.id}" start at {_fmt(start)} (when: {_when((start, start_in, hi, hi_in), scale)})'


def _when(band: tuple[float, bool, float, bool], scale: tuple[float, float]) -> str:
    """A band's condition as the shipped bands write it: `{score: {between: [82, 90]}}` (high end excluded), or
    `gte`/`lt` alone where the band runs to an end of the score's range."""
    lo, lo_in, hi, hi_in = band
    low = None if lo < scale[0] or (lo == scale[0] and lo_in) else ("gte" if lo_in else "gt", lo)
    high = None if hi > scale[1] or (hi == scale[1] and hi_in) else ("lte" if hi_in else "lt", hi)
    if low and high and low[0] == "gte" and high[0] == "lt":
        return f"{{score: {{between: [{_fmt(lo)}, {_fmt(hi)}]}}}}"
    terms = [f"{{score: {{{term[0]}: {_fmt(term[1])}}}}}" for term in (low, high) if term is not None]
    return terms[0] if len(terms) == 1 else f"{{all: [{', '.join(terms)}]}}"


def _span(lo: float, lo_in: bool, hi: float, hi_in: bool) -> str:
    """An interval as written in problems: `[72, 74)`, the high end excluded, as `between` has it."""
    return f"{'[' if lo_in else '('}{_fmt(lo)}, {_fmt(hi)}{']' if hi_in else ')'}"


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
