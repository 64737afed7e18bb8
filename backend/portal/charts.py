"""The HR workspace's charts as inline SVG, drawn on the server by pure functions (no script, no style
attribute: the portal's Content-Security-Policy allows neither; SVG presentation attributes only).

One kind of chart serves every figure: horizontal bars, one row per category (a month, a stage, a
department, a programme), one bar per series in the row, a value axis below from 0 with its ticks
(`backend.analytics.axes`: whole numbers for counts, a scale fitted to the data for rates). The
caller gives the words (already in the page's language) and the functions that write a tick and a
value; the SVG carries its title and summary (`<title>`, `<desc>`), and the page shows the same
figures as a table beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup

from backend.analytics.axes import Axis

# The portal's palette (Tabler's blue, orange, green): distinguishable in grey too, and each series
# is named in the legend and in the table.
COLOURS = ("#206bc4", "#f76707", "#2fb344")
WIDTH = 560
LABEL_WIDTH = 150
RIGHT = 48
TOP = 8
BAR = 16
GAP = 10
AXIS_HEIGHT = 28
LEGEND_HEIGHT = 22
FONT = 15
# A category label longer than this is cut (its whole text stays in the table and in its <title>).
LABEL_CHARS = 18


@dataclass(frozen=True)
class Series:
    """One series: its name and a value per category (None: no value, drawn as nothing)."""

    name: str
    values: Sequence[float | None]


def _cut(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _n(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def bar_chart(
    chart_id: str,
    title: str,
    summary: str,
    categories: Sequence[str],
    series: Sequence[Series],
    axis: Axis,
    tick: Callable[[float], str],
    value: Callable[[float], str],
) -> Markup:
    """The chart as an `<svg>` element (role img, named by its title, described by its summary).
    `tick` writes an axis tick, `value` a bar's value (written at the bar's end)."""
    row = len(series) * BAR + GAP
    plot_top = TOP
    plot_height = max(len(categories), 1) * row
    plot_left, plot_width = LABEL_WIDTH, WIDTH - LABEL_WIDTH - RIGHT
    axis_y = plot_top + plot_height
    legend_y = axis_y + AXIS_HEIGHT
    height = legend_y + (LEGEND_HEIGHT if len(series) > 1 else 0) + 4

    def x(v: float) -> float:
        return plot_left + (v / axis.top) * plot_width if axis.top else plot_left

    parts: list[Markup] = [
        Markup('<title id="{0}-title">{1}</title><desc id="{0}-desc">{2}</desc>').format(chart_id, title, summary)
    ]
    for t in axis.ticks:
        parts.append(
            Markup(
                '<line x1="{x}" y1="{top}" x2="{x}" y2="{bottom}" stroke="#dadfe5" stroke-width="1"/>'
                '<text class="tick" x="{x}" y="{label_y}" text-anchor="middle" font-size="{font}" fill="#49566c">'
                "{label}</text>"
            ).format(
                x=_n(x(t)),
                top=plot_top,
                bottom=axis_y,
                label_y=axis_y + 18,
                font=FONT - 1,
                label=tick(t),
            )
        )
    for i, category in enumerate(categories):
        y0 = plot_top + i * row + GAP / 2
        parts.append(
            Markup(
                '<text class="category" x="{x}" y="{y}" text-anchor="end" font-size="{font}" fill="#1d273b">'
                "<title>{full}</title>{label}</text>"
            ).format(
                x=plot_left - 8,
                y=_n(y0 + len(series) * BAR / 2 + FONT / 2 - 2),
                font=FONT,
                full=category,
                label=_cut(category),
            )
        )
        for j, one in enumerate(series):
            figure = one.values[i]
            if figure is None:
                continue
            y = y0 + j * BAR
            parts.append(
                Markup(
                    '<rect class="bar" x="{x}" y="{y}" width="{w}" height="{h}" fill="{fill}"/>'
                    '<text class="value" x="{tx}" y="{ty}" font-size="{font}" fill="#1d273b">{label}</text>'
                ).format(
                    x=plot_left,
                    y=_n(y + 1),
                    w=_n(max(x(figure) - plot_left, 0)),
                    h=BAR - 2,
                    fill=COLOURS[j % len(COLOURS)],
                    tx=_n(x(figure) + 4),
                    ty=_n(y + BAR - 3),
                    font=FONT - 2,
                    label=value(figure),
                )
            )
    parts.append(
        Markup('<line x1="{x}" y1="{top}" x2="{x}" y2="{bottom}" stroke="#616876" stroke-width="1"/>').format(
            x=plot_left, top=plot_top, bottom=axis_y
        )
    )
    if len(series) > 1:
        left = 8
        for j, one in enumerate(series):
            parts.append(
                Markup(
                    '<rect x="{x}" y="{y}" width="12" height="12" fill="{fill}"/>'
                    '<text class="legend" x="{tx}" y="{ty}" font-size="{font}" fill="#1d273b">{name}</text>'
                ).format(
                    x=left,
                    y=legend_y + 2,
                    fill=COLOURS[j % len(COLOURS)],
                    tx=left + 16,
                    ty=legend_y + 12,
                    font=FONT - 1,
                    name=one.name,
                )
            )
            left += 16 + 8 * len(one.name) + 24
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" id="{id}" viewBox="0 0 {w} {h}" role="img" '
        'aria-labelledby="{id}-title" aria-describedby="{id}-desc" font-family="inherit">{body}</svg>'
    ).format(id=chart_id, w=WIDTH, h=_n(height), body=Markup("").join(parts))
