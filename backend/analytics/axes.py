"""The value axis of a chart of the analytics, as pure arithmetic: the consultants' console (its pygal
charts, admin/charts.py) and the portal's HR workspace (its own SVG, backend/portal/charts.py) both
scale their axes here, so that a count is never drawn against 0.5 and a small rate is not flattened
against 0-100 %.

- `count_axis`: whole-number ticks from 0 (steps of 1, 2, 5, 10, 20, 50, ...).
- `rate_axis`: ticks from 0 for a share (0.0034 is 0.34 %), its top just above the largest value, at
  most 100 %.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

# An axis has at most this many steps above 0.
MOST_STEPS = 5
# The smallest rate axis: 0.1 %, so that an all-zero series still has an axis.
SMALLEST_RATE_TOP = Decimal("0.001")


@dataclass(frozen=True)
class Axis:
    """Ticks from 0 to `top` (the last), evenly spaced."""

    ticks: tuple[float, ...]

    @property
    def top(self) -> float:
        return self.ticks[-1]


def _nice_step(raw: Decimal, multiples: tuple[int, ...]) -> Decimal:
    """The smallest step at least `raw` of the form m x 10^k, m in `multiples` (per ten)."""
    exponent = math.floor(math.log10(raw))
    for power in (exponent, exponent + 1):
        for multiple in multiples:
            step = Decimal(multiple).scaleb(power - 1)
            if step >= raw:
                return step
    return Decimal(10).scaleb(exponent + 1)  # pragma: no cover - the loop always finds one


def _ticks(top: Decimal, step: Decimal) -> tuple[float, ...]:
    count = int((top / step).to_integral_value())
    return tuple(float(step * i) for i in range(count + 1))


def count_axis(largest: float) -> Axis:
    """Whole numbers from 0 up to at least `largest` (at least 1), in at most `MOST_STEPS` steps."""
    largest = max(math.ceil(largest), 1)
    if largest <= MOST_STEPS:
        return Axis(tuple(float(i) for i in range(largest + 1)))
    step = max(_nice_step(Decimal(largest) / MOST_STEPS, (10, 20, 50, 100)), Decimal(1))
    top = (Decimal(largest) / step).to_integral_value(rounding="ROUND_CEILING") * step
    return Axis(_ticks(top, step))


def rate_axis(largest: float) -> Axis:
    """Shares from 0 up to at least `largest` (0.1 % at the least, 100 % at the most), in at most
    `MOST_STEPS` steps of 1, 2, 2.5 or 5 times a power of ten."""
    wanted = min(max(Decimal(str(largest)), SMALLEST_RATE_TOP), Decimal(1))
    step = _nice_step(wanted / MOST_STEPS, (10, 20, 25, 50, 100))
    top = min((wanted / step).to_integral_value(rounding="ROUND_CEILING") * step, Decimal(1))
    if top < wanted:  # pragma: no cover - a step of 100 % / 5 always reaches 1
        top = Decimal(1)
    return Axis(_ticks(top, step))
