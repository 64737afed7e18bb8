"""The charts' pure parts alone: the value axes (`backend.analytics.axes`, which the console's charts use
too) and the SVG the HR workspace draws (`backend.portal.charts`)."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest

from backend.analytics.axes import count_axis, rate_axis
from backend.portal.charts import Series, bar_chart

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(
    ("largest", "ticks"),
    [
        (0, (0, 1)),
        (1, (0, 1)),
        (3, (0, 1, 2, 3)),
        (5, (0, 1, 2, 3, 4, 5)),
        (6, (0, 2, 4, 6)),
        (7, (0, 2, 4, 6, 8)),
        (11, (0, 5, 10, 15)),
        (23, (0, 5, 10, 15, 20, 25)),
        (99, (0, 20, 40, 60, 80, 100)),
        (1234, (0, 500, 1000, 1500)),
    ],
)
def test_a_count_axis_has_whole_ticks_from_zero(largest: int, ticks: tuple[int, ...]) -> None:
    axis = count_axis(largest)
    assert axis.ticks == ticks
    assert all(float(t).is_integer() for t in axis.ticks)
    assert axis.top >= largest


@pytest.mark.parametrize(
    ("largest", "top"),
    [(0.0, 0.001), (0.0034, 0.004), (0.02, 0.02), (1 / 6, 0.2), (0.5, 0.5), (0.9, 1.0), (1.0, 1.0)],
)
def test_a_rate_axis_fits_the_data(largest: float, top: float) -> None:
    axis = rate_axis(largest)
    assert axis.top == pytest.approx(top)
    assert axis.ticks[0] == 0
    assert 2 <= len(axis.ticks) <= 6
    steps = {round(b - a, 12) for a, b in zip(axis.ticks, axis.ticks[1:], strict=False)}
    assert len(steps) == 1


def test_a_tiny_rate_is_not_drawn_against_a_hundred_percent() -> None:
    assert rate_axis(0.0034).top < 0.05


def _chart(values: list[float | None], largest: float, names: tuple[str, ...] = ("Moves",)) -> ElementTree.Element:
    svg = bar_chart(
        "chart-x",
        "Moves <by> month",
        "Three months & a summary.",
        ["Oct 2026", "Nov 2026", "A department with a very long name indeed"],
        [Series(name, values) for name in names],
        count_axis(largest),
        lambda v: f"{v:.0f}",
        lambda v: f"{v:.0f}",
    )
    return ElementTree.fromstring(str(svg))  # noqa: S314 - our own SVG, made just above


def test_the_svg_is_named_described_and_labelled() -> None:
    root = _chart([2, None, 5], 5)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "chart-x-title"
    assert root.get("aria-describedby") == "chart-x-desc"
    assert root.findtext(f"{SVG}title") == "Moves <by> month"
    assert root.findtext(f"{SVG}desc") == "Three months & a summary."
    assert [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "tick"] == ["0", "1", "2", "3", "4", "5"]
    # One bar per value (None: no bar), each labelled with its value.
    assert len([r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]) == 2
    assert [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "value"] == ["2", "5"]
    categories = [t for t in root.iter(f"{SVG}text") if t.get("class") == "category"]
    # A long label is cut on the chart; its whole text stays in its <title>.
    assert categories[2].findtext(f"{SVG}title") == "A department with a very long name indeed"
    assert "".join(categories[2].itertext()).endswith("…")


def test_a_bar_reaches_its_share_of_the_axis() -> None:
    root = _chart([3, 6, 0], 6)
    widths = [float(r.get("width") or 0) for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]
    assert widths[1] == pytest.approx(2 * widths[0], abs=0.2)
    assert widths[2] == 0


def test_several_series_get_a_legend_and_no_style_attribute() -> None:
    root = _chart([1, 2, 3], 3, names=("Mentors", "Mentees"))
    assert [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "legend"] == ["Mentors", "Mentees"]
    assert not [e for e in root.iter() if e.get("style") is not None]
    assert not re.search(r"<script|style=", str(ElementTree.tostring(root)))
