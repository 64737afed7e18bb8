"""Where the career-path graph (`/hr/framework/paths`) draws its roles and arrows: a pure function of
the roles (each with its level) and the steps between them, no database, no template.

The roles stand in columns, one per level present, lowest level on the left; within a column they are
ordered by their neighbours in the columns before them (the mean row of the roles that lead to them,
so arrows cross less), then by their own order key (family and title). Every step is one arrow from
the border of its role to the border of the next: rightwards to a higher level, leftwards to a lower
one, and a loop bulging to the right between two roles of the same level. All sizes are SVG user
units, the same numbers the template writes as presentation attributes.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)

NODE_WIDTH = 200
NODE_HEIGHT = 56
COLUMN_GAP = 96
ROW_GAP = 24
MARGIN = 16
# Room above the first row for the columns' headings ("Level 3").
HEADING = 32
# How far a step between two roles of one level bulges to the right of their column.
LOOP = COLUMN_GAP // 2 - 8
# Two opposite steps between the same roles are drawn this far above and below the middle of a node.
OFFSET = 8


@dataclass(frozen=True)
class Node(Generic[K]):
    """A role to draw: its key, its level (its column) and what orders it within its column."""

    key: K
    level: int
    order: str


@dataclass(frozen=True)
class Box(Generic[K]):
    """A role placed: its top left corner and size."""

    key: K
    level: int
    x: int
    y: int
    width: int = NODE_WIDTH
    height: int = NODE_HEIGHT

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height

    @property
    def middle(self) -> int:
        return self.y + self.height // 2

    def overlaps(self, other: Box[K]) -> bool:
        return self.x < other.right and other.x < self.right and self.y < other.bottom and other.y < self.bottom


@dataclass(frozen=True)
class Arrow(Generic[K]):
    """A step drawn: from its start on the source's border to its end on the target's border, along
    the cubic curve `d` (an SVG path)."""

    source: K
    target: K
    start: tuple[int, int]
    end: tuple[int, int]
    d: str


@dataclass(frozen=True)
class Column:
    """A level's column: where its heading goes."""

    level: int
    x: int


@dataclass(frozen=True)
class Layout(Generic[K]):
    boxes: list[Box[K]]
    arrows: list[Arrow[K]]
    columns: list[Column]
    width: int
    height: int


def layout(nodes: Sequence[Node[K]], edges: Sequence[tuple[K, K]]) -> Layout[K]:
    """The roles placed in columns by level and every step as an arrow between them. A step naming a
    role that is not among `nodes` is a ValueError (every step must be drawn)."""
    keys = {node.key for node in nodes}
    if len(keys) != len(nodes):
        raise ValueError("a role is given twice")
    for source, target in edges:
        if source not in keys or target not in keys:
            raise ValueError(f"a step names a role that is not drawn: {source!r} -> {target!r}")
    levels = sorted({node.level for node in nodes})
    column_of = {level: index for index, level in enumerate(levels)}
    rows = _rows(nodes, edges, column_of)
    boxes: dict[K, Box[K]] = {}
    for column in rows:
        for row, node in enumerate(column):
            boxes[node.key] = Box(
                node.key,
                node.level,
                MARGIN + column_of[node.level] * (NODE_WIDTH + COLUMN_GAP),
                MARGIN + HEADING + row * (NODE_HEIGHT + ROW_GAP),
            )
    tallest = max((len(column) for column in rows), default=0)
    width = MARGIN * 2 + len(levels) * NODE_WIDTH + max(len(levels) - 1, 0) * COLUMN_GAP + LOOP
    height = MARGIN * 2 + HEADING + tallest * NODE_HEIGHT + max(tallest - 1, 0) * ROW_GAP
    columns = [Column(level, MARGIN + index * (NODE_WIDTH + COLUMN_GAP)) for index, level in enumerate(levels)]
    arrows = [_arrow(boxes[source], boxes[target], column_of) for source, target in edges]
    return Layout(list(boxes.values()), arrows, columns, width, height)


def _rows(nodes: Sequence[Node[K]], edges: Sequence[tuple[K, K]], column_of: dict[int, int]) -> list[list[Node[K]]]:
    """Each column's roles in order: by the mean row of the roles in earlier columns that lead to or
    from them (those without such a neighbour last), then by their order key."""
    columns: list[list[Node[K]]] = [[] for _ in column_of]
    for node in sorted(nodes, key=lambda n: n.order):
        columns[column_of[node.level]].append(node)
    level_of = {node.key: node.level for node in nodes}
    neighbours: dict[K, list[K]] = {node.key: [] for node in nodes}
    for source, target in edges:
        neighbours[source].append(target)
        neighbours[target].append(source)
    row_of: dict[K, int] = {}
    for index, column in enumerate(columns):

        def weight(node: Node[K], index: int = index) -> tuple[float, str]:
            before = [row_of[n] for n in neighbours[node.key] if column_of[level_of[n]] < index]
            return (sum(before) / len(before) if before else float("inf"), node.order)

        column.sort(key=weight)
        row_of.update({node.key: row for row, node in enumerate(column)})
    return columns


def _arrow(source: Box[K], target: Box[K], column_of: dict[int, int]) -> Arrow[K]:
    here, there = column_of[source.level], column_of[target.level]
    if there > here:
        # Up a level: from the right of the source to the left of the target, a little above the middle.
        start, end, bend = (source.right, source.middle - OFFSET), (target.x, target.middle - OFFSET), COLUMN_GAP // 2
        first, second = start[0] + bend, end[0] - bend
    elif there < here:
        # Down a level: from the left of the source to the right of the target, a little below.
        start, end, bend = (source.x, source.middle + OFFSET), (target.right, target.middle + OFFSET), COLUMN_GAP // 2
        first, second = start[0] - bend, end[0] + bend
    else:
        # The same level: a loop to the right of the column, leaving above the middle, arriving below.
        start, end = (source.right, source.middle - OFFSET), (target.right, target.middle + OFFSET)
        first = second = source.right + LOOP
    d = f"M {start[0]} {start[1]} C {first} {start[1]}, {second} {end[1]}, {end[0]} {end[1]}"
    return Arrow(source.key, target.key, start, end, d)
