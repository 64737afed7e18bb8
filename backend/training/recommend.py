"""Training recommendations as pure functions over arrays: the cheapest set of courses that closes an
employee's gap to a target role, solved exactly, with the reason for every course.

A gap is the set of the role's required skills in which the employee is below the target level. A
course closes a gap skill when it teaches that skill up to at least the target level. Choosing the
cheapest courses that together close every closable gap skill is a weighted set cover; a role needs
few skills (at most `MAX_GAP_SKILLS`), so it is solved exactly by dynamic programming over the
subsets of the gap. Employees of the same role with the same gap share one solution, which is what
makes 100,000 employees cheap: there are far fewer distinct (role, gap) pairs than people.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

MAX_GAP_SKILLS = 16


@dataclass(frozen=True)
class Catalog:
    """Courses: course c teaches skills `skill[start[c]:start[c + 1]]` up to `level[...]`."""

    cost: FloatArray
    start: IntArray
    skill: IntArray
    level: IntArray

    @property
    def courses(self) -> int:
        return len(self.cost)


@dataclass(frozen=True)
class Role:
    """The skills a role requires and the level it requires in each."""

    skill: IntArray
    level: IntArray


@dataclass(frozen=True)
class Plan:
    """The chosen courses, what each closes, and the gap skills no course closes."""

    courses: tuple[int, ...]
    closes: dict[int, tuple[int, ...]]  # course -> the gap skills it closes (first chosen course wins)
    unclosable: tuple[int, ...]
    cost: float


def gap_mask(role: Role, employee_levels: IntArray) -> int:
    """Bit i set: the employee is below the role's level in its i-th required skill."""
    below = employee_levels < role.level
    return int(np.sum(1 << np.flatnonzero(below)))


def course_masks(role: Role, catalog: Catalog) -> IntArray:
    """For each course, the bits of the role's skills it teaches up to the required level."""
    masks = np.zeros(catalog.courses, np.int64)
    for bit, (skill, level) in enumerate(zip(role.skill, role.level, strict=True)):
        taught = (catalog.skill == skill) & (catalog.level >= level)
        owners = np.searchsorted(catalog.start, np.flatnonzero(taught), side="right") - 1
        masks[owners] |= 1 << bit
    return masks


def cheapest_cover(gap: int, masks: IntArray, cost: FloatArray) -> tuple[int, tuple[int, ...], float]:
    """(the closable part of the gap, the courses of the cheapest cover of it, their cost): exact
    dynamic programming over the subsets of the gap, with only the courses that touch it."""
    useful = np.flatnonzero(masks & gap)
    closable = int(np.bitwise_or.reduce(masks[useful] & gap)) if len(useful) else 0
    if closable == 0:
        return 0, (), 0.0
    bits = [b for b in range(closable.bit_length()) if closable >> b & 1]
    # Relabel the closable bits as 0..k-1, so the table has 2^k entries.
    local = np.zeros(len(useful), np.int64)
    for position, bit in enumerate(bits):
        local |= ((masks[useful] >> bit) & 1) << position
    full = (1 << len(bits)) - 1
    best = np.full(full + 1, np.inf)
    best[0] = 0.0
    choice = np.full(full + 1, -1, np.int64)
    previous = np.full(full + 1, -1, np.int64)
    for state in range(full + 1):
        if not np.isfinite(best[state]):
            continue
        targets = state | local
        totals = best[state] + cost[useful]
        better = totals < best[targets]
        # Several courses may reach the same state: keep the cheapest of them.
        for target, total, course in zip(targets[better], totals[better], useful[better], strict=True):
            if total < best[target]:
                best[target], choice[target], previous[target] = total, course, state
    chosen: list[int] = []
    state = full
    while state:
        chosen.append(int(choice[state]))
        state = int(previous[state])
    return closable, tuple(sorted(chosen)), float(best[full])


def explain(gap: int, closable: int, chosen: tuple[int, ...], masks: IntArray, role: Role, cost: float) -> Plan:
    closes: dict[int, tuple[int, ...]] = {}
    left = closable
    for course in sorted(chosen, key=lambda c: -bin(int(masks[c]) & left).count("1")):
        bits = int(masks[course]) & left
        closes[course] = tuple(int(role.skill[b]) for b in range(bits.bit_length()) if bits >> b & 1)
        left &= ~bits
    unclosable = gap & ~closable
    return Plan(
        courses=chosen,
        closes=closes,
        unclosable=tuple(int(role.skill[b]) for b in range(unclosable.bit_length()) if unclosable >> b & 1),
        cost=cost,
    )


def recommend(
    catalog: Catalog, roles: list[Role], employee_role: IntArray, employee_levels: list[IntArray]
) -> list[Plan]:
    """A plan per employee: `employee_levels[e]` are employee e's levels in its target role's skills
    (in the role's order). Solutions are shared by employees with the same role and the same gap."""
    masks_by_role: dict[int, IntArray] = {}
    solved: dict[tuple[int, int], Plan] = {}
    plans: list[Plan] = []
    for role_index, levels in zip(employee_role, employee_levels, strict=True):
        role = roles[int(role_index)]
        if len(role.skill) > MAX_GAP_SKILLS:
            raise ValueError(f"a role may require at most {MAX_GAP_SKILLS} skills for an exact plan")
        gap = gap_mask(role, levels)
        key = (int(role_index), gap)
        plan = solved.get(key)
        if plan is None:
            masks = masks_by_role.get(int(role_index))
            if masks is None:
                masks = masks_by_role[int(role_index)] = course_masks(role, catalog)
            closable, chosen, cost = cheapest_cover(gap, masks, catalog.cost)
            plan = solved[key] = explain(gap, closable, chosen, masks, role, cost)
        plans.append(plan)
    return plans
