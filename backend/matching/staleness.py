"""Which facts of the change log (`backend.core.changes`) make a tenant's precomputed matches stale:
matching's rule, kept here, not in the domains that record the facts.

A fact named here shows as `pending_changes` and makes the scheduler ask for a recompute (debounced, see
`backend.matching.service.enqueue_if_due`); any other fact waits, unread, until the next recompute
clears the log up to where it read. A domain's new fact that changes what the recompute reads
(`backend.matching.arrays`) must be named here.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement

from backend.core.changes import Change

STALE_AFTER = frozenset(
    {
        # The people: where they sit (unit, role, level, location, manager, active), their skills and
        # what they want next.
        "employee.created",
        "employee.changed",
        "skills.changed",
        "aspirations.changed",
        # The openings.
        "opportunity.created",
        "opportunity.edited",
        "opportunity.opened",
        "opportunity.closed",
        "opportunity.filled",
        # The framework: a role's level and the skills roles ask for (skill adjacency, role openings).
        # A new role is asked for by nobody yet, and career paths are read live (next roles), so
        # "role.created" and "career_paths.changed" change no stored match.
        "role.changed",
        "role_skills.changed",
        # How matches are scored.
        "weights.changed",
    }
)


def stale() -> ColumnElement[bool]:
    """The facts of the change log that make the stored matches stale."""
    return Change.fact.in_(STALE_AFTER)
