"""A random but plausible course catalogue, roles and workforce, for the benchmark and the tests."""

from __future__ import annotations

import numpy as np

from backend.training.recommend import Catalog, Role


def random_catalog(courses: int, *, skills: int = 300, seed: int = 7) -> Catalog:
    rng = np.random.default_rng(seed)
    taught = rng.integers(1, 4, courses)
    start = np.concatenate([[0], np.cumsum(taught)]).astype(np.int64)
    return Catalog(
        cost=np.round(rng.uniform(50, 2000, courses), 2),
        start=start,
        skill=rng.integers(0, skills, int(start[-1])).astype(np.int64),
        level=rng.integers(2, 6, int(start[-1])).astype(np.int64),
    )


def random_roles(roles: int, *, skills: int = 300, seed: int = 7) -> list[Role]:
    rng = np.random.default_rng(seed + 1)
    made = []
    for _ in range(roles):
        required = int(rng.integers(5, 9))
        made.append(
            Role(
                skill=rng.choice(skills, size=required, replace=False).astype(np.int64),
                level=rng.integers(2, 5, required).astype(np.int64),
            )
        )
    return made


def random_workforce(employees: int, roles: list[Role], *, seed: int = 7) -> tuple[np.ndarray, list[np.ndarray]]:
    """Each employee's target role, and their levels (0 to 5) in that role's skills."""
    rng = np.random.default_rng(seed + 2)
    role_of = rng.integers(0, len(roles), employees).astype(np.int64)
    levels = [rng.integers(0, 6, len(roles[r].skill)).astype(np.int64) for r in role_of]
    return role_of, levels
