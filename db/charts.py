"""Charts for the Datasette pages as inline SVG, drawn on the server.

The machines that serve Datasette have no internet, so no chart library from a
CDN: a bar chart is a few <rect> elements, which every browser renders, prints
and screenshots without JavaScript. Pure functions from numbers to markup.
"""
from __future__ import annotations

from html import escape


def month_range(first: str, last: str) -> list[str]:
    """Every month from first to last inclusive: ('2024-11', '2025-02') ->
    ['2024-11', '2024-12', '2025-01', '2025-02'] (gaps in the data become 0 bars)."""
    y, m = int(first[:4]), int(first[5:7])
    end = (int(last[:4]), int(last[5:7]))
    months = []
    while (y, m) <= end:
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def monthly_bars_svg(counts: dict[str, int], label: str = "stories 投诉(故事)数",
                     width: int = 640, height: int = 160) -> str:
    """{'2025-01': 3, '2025-03': 1} -> an SVG bar chart with one bar per month
    (empty months included), the maximum on the y axis and years on the x axis.
    Each bar has a <title> tooltip ('2025-01: 3') and data-month/data-count."""
    months = [m for m in counts if m and len(m) >= 7]
    if not months:
        return '<p class="chart-empty">没有数据 No data</p>'
    months = month_range(min(months), max(months))
    top = max(max(counts.get(m, 0) for m in months), 1)
    left, bottom, pad = 34, 22, 6
    plot_w, plot_h = width - left - pad, height - bottom - pad
    slot = plot_w / len(months)
    bar_w = min(max(1.0, slot * 0.8), 36.0)
    parts = [f'<svg class="chart monthly" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" '
             f'aria-label="{escape(label)} per month">',
             f'<line x1="{left}" y1="{pad + plot_h}" x2="{width - pad}" y2="{pad + plot_h}" stroke="#888"/>',
             f'<text x="{left - 4}" y="{pad + 10}" text-anchor="end" font-size="11">{top}</text>',
             f'<text x="{left - 4}" y="{pad + plot_h}" text-anchor="end" font-size="11">0</text>']
    for i, month in enumerate(months):
        n = counts.get(month, 0)
        h = plot_h * n / top
        x = left + i * slot + (slot - bar_w) / 2
        parts.append(f'<rect class="bar" x="{x:.1f}" y="{pad + plot_h - h:.1f}" width="{bar_w:.1f}" '
                     f'height="{h:.1f}" fill="#b03a2e" data-month="{month}" data-count="{n}">'
                     f'<title>{month}: {n}</title></rect>')
        if i == 0 or month.endswith("-01"):
            parts.append(f'<text x="{left + i * slot:.1f}" y="{height - 6}" font-size="11">'
                         f'{month if i == 0 else month[:4]}</text>')
    if len(months) > 1:
        parts.append(f'<text x="{width - pad}" y="{height - 6}" text-anchor="end" font-size="11">'
                     f'{months[-1]}</text>')
    parts.append("</svg>")
    return "".join(parts)


def heat_style(value: int, top: int) -> str:
    """Background for one cell of the lender x tactic table: darker = more stories."""
    if not value or top <= 0:
        return ""
    alpha = 0.15 + 0.75 * value / top
    color = "#fff" if alpha > 0.6 else "#000"
    return f"background: rgba(176, 58, 46, {alpha:.2f}); color: {color}"
