"""Small inline SVG charts for the report: no JavaScript, no network, readable when printed."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

FONT = "font-family='Inter,Segoe UI,Helvetica,Arial,sans-serif' font-size='12' fill='#334155'"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10.0 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _short(value: float) -> str:
    for cut, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= cut:
            return f"{value / cut:.1f}".rstrip("0").rstrip(".") + suffix
    return f"{value:.0f}" if value == int(value) else f"{value:.2f}"


def grouped_bars(categories: Sequence[str], series: Sequence[tuple[str, Sequence[float], str]],
                 width: int = 560, height: int = 240, title: str = "") -> str:  # fmt: skip
    """Vertical grouped bars: one group per category, one bar per series (name, values, colour)."""
    left, bottom, top = 48, 28, 28
    plot_w, plot_h = width - left - 12, height - bottom - top
    peak = _nice_max(max((v for _, values, _ in series for v in values), default=0))
    group_w = plot_w / max(len(categories), 1)
    bar_w = group_w * 0.8 / max(len(series), 1)
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' width='100%' role='img' "
             f"aria-label='{escape(title)}'>"]  # fmt: skip
    for i in range(5):
        y = top + plot_h - plot_h * i / 4
        parts.append(f"<line x1='{left}' x2='{width - 12}' y1='{y:.1f}' y2='{y:.1f}' stroke='#e2e8f0'/>")
        parts.append(f"<text x='{left - 6}' y='{y + 4:.1f}' text-anchor='end' {FONT}>{_short(peak * i / 4)}</text>")
    for g, category in enumerate(categories):
        x0 = left + g * group_w + group_w * 0.1
        for k, (name, values, colour) in enumerate(series):
            value = values[g]
            h = plot_h * value / peak
            x = x0 + k * bar_w
            tip = f"<title>{escape(name)} {escape(category)}: {value:,.0f}</title>"
            parts.append(f"<rect x='{x:.1f}' y='{top + plot_h - h:.1f}' width='{bar_w - 2:.1f}' height='{h:.1f}' "
                         f"rx='2' fill='{colour}'>{tip}</rect>")  # fmt: skip
        parts.append(f"<text x='{left + g * group_w + group_w / 2:.1f}' y='{height - 10}' text-anchor='middle' "
                     f"{FONT}>{escape(category)}</text>")  # fmt: skip
    parts.append(_legend(series, left, 14))
    parts.append("</svg>")
    return "".join(parts)


def _legend(series: Sequence[tuple[str, object, str]], x: int, y: int) -> str:
    parts = []
    for name, _values, colour in series:
        parts.append(f"<rect x='{x}' y='{y - 9}' width='10' height='10' rx='2' fill='{colour}'/>")
        parts.append(f"<text x='{x + 14}' y='{y}' {FONT}>{escape(name)}</text>")
        x += 24 + 7 * len(name)
    return "".join(parts)


def horizontal_bars(rows: Sequence[tuple[str, Sequence[float]]], series: Sequence[tuple[str, str]],
                    width: int = 560, title: str = "") -> str:  # fmt: skip
    """Horizontal bars: one row per label, one bar per series (name, colour) stacked beneath each other."""
    left, row_h, top = 90, 16 * max(len(series), 1) + 14, 28
    height = top + row_h * len(rows) + 8
    peak = _nice_max(max((v for _, values in rows for v in values), default=0))
    plot_w = width - left - 70
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' width='100%' role='img' "
             f"aria-label='{escape(title)}'>"]  # fmt: skip
    for r, (label, values) in enumerate(rows):
        y0 = top + r * row_h
        parts.append(f"<text x='{left - 8}' y='{y0 + row_h / 2:.1f}' text-anchor='end' {FONT}>{escape(label)}</text>")
        for k, ((name, colour), value) in enumerate(zip(series, values, strict=True)):
            w = plot_w * value / peak
            y = y0 + 4 + k * 16
            parts.append(f"<rect x='{left}' y='{y}' width='{max(w, 1):.1f}' height='13' rx='2' fill='{colour}'>"
                         f"<title>{escape(name)}: {value:,.0f}</title></rect>")  # fmt: skip
            parts.append(f"<text x='{left + w + 5:.1f}' y='{y + 11}' {FONT}>{_short(value)}</text>")
    parts.append(_legend([(n, None, c) for n, c in series], left, 14))
    parts.append("</svg>")
    return "".join(parts)


def curve(points: Sequence[tuple[float, float]], marks: Sequence[tuple[float, str]] = (),
          width: int = 560, height: int = 240, title: str = "") -> str:  # fmt: skip
    """A cumulative curve on 0–100% × 0–100% (the ABC / Pareto curve), with horizontal marks."""
    left, bottom, top, right = 44, 44, 14, 14
    plot_w, plot_h = width - left - right, height - top - bottom

    def xy(px: float, py: float) -> str:
        return f"{left + plot_w * px:.1f},{top + plot_h * (1 - py):.1f}"

    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' width='100%' role='img' "
             f"aria-label='{escape(title)}'>"]  # fmt: skip
    for i in range(5):
        f = i / 4
        parts.append(f"<line x1='{left}' x2='{width - right}' y1='{top + plot_h * (1 - f):.1f}' "
                     f"y2='{top + plot_h * (1 - f):.1f}' stroke='#e2e8f0'/>")  # fmt: skip
        parts.append(f"<text x='{left - 6}' y='{top + plot_h * (1 - f) + 4:.1f}' text-anchor='end' {FONT}>"
                     f"{f:.0%}</text>")  # fmt: skip
        parts.append(f"<text x='{left + plot_w * f:.1f}' y='{top + plot_h + 16:.1f}' text-anchor='middle' {FONT}>"
                     f"{f:.0%}</text>")  # fmt: skip
    for share, label in marks:
        y = top + plot_h * (1 - share)
        parts.append(f"<line x1='{left}' x2='{width - right}' y1='{y:.1f}' y2='{y:.1f}' stroke='#f59e0b' "
                     "stroke-dasharray='4 3'/>")  # fmt: skip
        parts.append(f"<text x='{left + 6}' y='{y - 4:.1f}' {FONT}>{escape(label)}</text>")
    path = " ".join(xy(px, py) for px, py in [(0.0, 0.0), *points])
    parts.append(f"<polyline points='{path}' fill='none' stroke='#2563eb' stroke-width='2.5'/>")
    parts.append(f"<text x='{left + plot_w / 2:.1f}' y='{height - 4}' text-anchor='middle' {FONT}>"
                 "share of customers, best-selling first</text>")  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)
