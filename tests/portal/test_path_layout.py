"""The career-path graph's layout (`backend/portal/path_layout.py`), a pure function: the roles in
columns by level, none overlapping another, all inside the drawing, and every step drawn as one arrow
from its role's border to the next role's border."""

from __future__ import annotations

import itertools
import random

import pytest

from backend.portal.path_layout import NODE_HEIGHT, Box, Layout, Node, layout


def on_border(point: tuple[int, int], box: Box[str]) -> bool:
    x, y = point
    return x in (box.x, box.right) and box.y <= y <= box.bottom


def check(drawn: Layout[str], nodes: list[Node[str]], edges: list[tuple[str, str]]) -> None:
    boxes = {box.key: box for box in drawn.boxes}
    assert set(boxes) == {node.key for node in nodes}
    for a, b in itertools.combinations(drawn.boxes, 2):
        assert not a.overlaps(b), (a, b)
    for box in drawn.boxes:
        assert box.x >= 0
        assert box.y >= 0
        assert box.right <= drawn.width
        assert box.bottom <= drawn.height
    assert [(arrow.source, arrow.target) for arrow in drawn.arrows] == edges
    for arrow in drawn.arrows:
        assert on_border(arrow.start, boxes[arrow.source]), arrow
        assert on_border(arrow.end, boxes[arrow.target]), arrow
        assert arrow.d.startswith(f"M {arrow.start[0]} {arrow.start[1]} C ")
        assert arrow.d.endswith(f"{arrow.end[0]} {arrow.end[1]}")
        assert all(
            0 <= int(n) <= max(drawn.width, drawn.height) for n in arrow.d.replace(",", " ").split()[1:] if n != "C"
        )


def test_roles_stand_in_columns_by_level_and_every_step_is_an_arrow() -> None:
    nodes = [
        Node("senior", 5, "Analytics Senior Analyst"),
        Node("junior", 3, "Analytics Junior Analyst"),
        Node("analyst", 4, "Analytics Analyst"),
        Node("sales", 4, "Sales Account Manager"),
        Node("lead", 6, "Analytics Lead"),
    ]
    edges = [
        ("junior", "analyst"),
        ("analyst", "senior"),
        ("analyst", "sales"),
        ("senior", "analyst"),
        ("junior", "lead"),
    ]
    drawn = layout(nodes, edges)
    check(drawn, nodes, edges)
    boxes = {box.key: box for box in drawn.boxes}
    # Columns left to right by level; one column per level present, each with its heading.
    assert [c.level for c in drawn.columns] == [3, 4, 5, 6]
    assert boxes["junior"].x < boxes["analyst"].x == boxes["sales"].x < boxes["senior"].x < boxes["lead"].x
    assert [c.x for c in drawn.columns] == [boxes[k].x for k in ("junior", "analyst", "senior", "lead")]
    arrows = {(a.source, a.target): a for a in drawn.arrows}
    # Up a level: right border to left border; down a level: left border to right border.
    assert arrows["junior", "analyst"].start[0] == boxes["junior"].right
    assert arrows["junior", "analyst"].end[0] == boxes["analyst"].x
    assert arrows["senior", "analyst"].start[0] == boxes["senior"].x
    assert arrows["senior", "analyst"].end[0] == boxes["analyst"].right
    # The two opposite steps between Analyst and Senior Analyst do not lie on each other.
    assert arrows["analyst", "senior"].d != arrows["senior", "analyst"].d
    # Within a level, a loop to the right of the column.
    assert arrows["analyst", "sales"].start[0] == arrows["analyst", "sales"].end[0] == boxes["analyst"].right


def test_a_role_follows_the_roles_that_lead_to_it() -> None:
    nodes = [Node("a", 1, "a"), Node("b", 1, "b"), Node("x", 2, "x"), Node("y", 2, "y")]
    # y is reached from a (row 0), x from b (row 1): y goes first in its column.
    drawn = layout(nodes, [("a", "y"), ("b", "x")])
    boxes = {box.key: box for box in drawn.boxes}
    assert boxes["y"].y < boxes["x"].y
    assert boxes["a"].y == boxes["y"].y


def test_many_roles_never_overlap_and_every_step_is_drawn() -> None:
    chance = random.Random(18)
    nodes = [Node(f"role{i}", chance.randint(1, 10), f"{chance.random():.6f}") for i in range(60)]
    keys = [n.key for n in nodes]
    edges = list(dict.fromkeys((a, b) for a, b in (chance.sample(keys, 2) for _ in range(90))))
    drawn = layout(nodes, edges)
    check(drawn, nodes, edges)
    tallest = max(sum(1 for n in nodes if n.level == level) for level in range(1, 11))
    assert drawn.height >= tallest * NODE_HEIGHT


def test_nothing_to_draw_and_roles_without_steps() -> None:
    empty: Layout[str] = layout([], [])
    assert (empty.boxes, empty.arrows, empty.columns) == ([], [], [])
    lone = layout([Node("solo", 2, "solo")], [])
    check(lone, [Node("solo", 2, "solo")], [])


def test_a_step_to_a_role_not_drawn_is_refused() -> None:
    with pytest.raises(ValueError, match="not drawn"):
        layout([Node("a", 1, "a")], [("a", "ghost")])
    with pytest.raises(ValueError, match="twice"):
        layout([Node("a", 1, "a"), Node("a", 2, "b")], [])
