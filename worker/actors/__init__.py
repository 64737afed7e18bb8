"""Every actor, imported once so the broker knows them all. Actors stay thin: they call services."""

from worker.actors import marketplace, matching, mentoring, skills, tenants, training

__all__ = ["marketplace", "matching", "mentoring", "skills", "tenants", "training"]
