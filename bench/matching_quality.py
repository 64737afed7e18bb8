"""Matching quality: `.venv/bin/python bench/matching_quality.py` (no database: the engine alone).

A generated company with a role framework and known career moves: 12 job families of 3 tracks and 5
levels (180 roles of 8 to 13 skills with target levels; a track's roles share most skills, higher
levels ask for more of them and at higher levels); 5,000 people, each with a history of 3 to 6 roles.
Moves go mostly up the track (55 %), to another track of the family (25 %), to a neighbouring family
(15 %) or anywhere within a level (5 %); before a move a person learns most of the target role's
skills (each missing skill with probability 0.75, at or a little under its target level), which is
the "people who moved into a role had most of its skills" of the issue, with noise.

The last move of every person is held out: each person, as they were just before it (skills, level,
current role), is scored against every role but their current one, and the rank of the role they
really moved into is recorded. Precision@10 here is the share of people whose true move is among
their top 10 (one true move per person: precision@10 in the usual sense is this share / 10).

What each factor can see, honestly:
- required and nice-to-have skills: the person's skills and levels against each role's (this is
  where the learnt-before-the-move signal is; the baseline sees the same skills, without levels);
- adjacent skills: learnt from these same pre-move profiles and the role framework (no post-move
  data);
- aspirations: 30 % of people state some; half of those name the true next role as a target (people
  do tell where they want to go), the other half a random role of their level; skills to grow are
  two skills of the true next role they lack for half of those, random skills for the rest. The
  runs without aspirations show what the skills alone achieve;
- level fit: a role's level against the person's (moves are mostly one level up or lateral);
- location: roles have none (neutral for all).
The baseline is the Jaccard similarity of skill sets (levels ignored), the usual skill-overlap score.
Both exclude the person's current role; ties go to the lower role index (roles are shuffled).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import sparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.matching.adjacency import NEIGHBOURS
from backend.matching.engine import Openings, People, Weights, adjacency, rank

FAMILIES = 12
TRACKS = 3
LEVELS = 5
CORE_SKILLS = 60  # per family
TRACK_SKILLS = 24  # of the family's core, per track
GENERAL_SKILLS = 300


@dataclass(frozen=True)
class Company:
    people: People
    roles: Openings
    role_skills: sparse.csr_array
    current: npt.NDArray[np.int64]  # each person's role just before the held-out move
    truth: npt.NDArray[np.int64]  # the role they moved into


def _role_table(rng: np.random.Generator) -> tuple[list[dict[int, int]], list[tuple[int, int, int]]]:
    """Skills {skill: target level} of every role, and its (family, track, level)."""
    skills: list[dict[int, int]] = []
    keys: list[tuple[int, int, int]] = []
    for family in range(FAMILIES):
        core = family * CORE_SKILLS + np.arange(CORE_SKILLS)
        for track in range(TRACKS):
            # A track's skills in the order its roles take them up; shared general skills too.
            ordered = rng.permutation(rng.choice(core, TRACK_SKILLS, replace=False))
            general = FAMILIES * CORE_SKILLS + rng.choice(GENERAL_SKILLS, 2, replace=False)
            offsets = rng.choice([-1, 0], TRACK_SKILLS, p=[0.4, 0.6])
            for level in range(1, LEVELS + 1):
                count = 6 + level
                role = {int(s): int(np.clip(level + offsets[k], 1, 5)) for k, s in enumerate(ordered[:count])}
                role.update({int(s): int(np.clip(level - 1, 1, 5)) for s in general})
                skills.append(role)
                keys.append((family, track, level))
    return skills, keys


def generate(people_count: int, seed: int) -> Company:
    rng = np.random.default_rng(seed)
    role_skills, keys = _role_table(rng)
    # Shuffle the roles so that ties broken by index favour nobody.
    shuffle = rng.permutation(len(keys))
    role_skills = [role_skills[i] for i in shuffle]
    keys = [keys[i] for i in shuffle]
    index_of = {key: i for i, key in enumerate(keys)}
    by_level: dict[int, list[int]] = {}
    for i, (_, _, level) in enumerate(keys):
        by_level.setdefault(level, []).append(i)
    skill_count = FAMILIES * CORE_SKILLS + GENERAL_SKILLS
    family_popularity = 1.0 / np.arange(1, FAMILIES + 1)
    family_popularity /= family_popularity.sum()

    def next_role(current: int) -> int:
        family, track, level = keys[current]
        options: list[tuple[int, float]] = []
        if level < LEVELS:
            options.append((index_of[(family, track, level + 1)], 0.55))
        others = [t for t in range(TRACKS) if t != track]
        options += [(index_of[(family, t, level)], 0.25 / len(others)) for t in others]
        for near in ((family + 1) % FAMILIES, (family - 1) % FAMILIES):
            options += [(index_of[(near, t, level)], 0.15 / (2 * TRACKS)) for t in range(TRACKS)]
        anywhere = by_level[level] + by_level.get(level + 1, [])
        options += [(r, 0.05 / len(anywhere)) for r in anywhere if r != current]
        weights = np.array([w for _, w in options])
        return options[int(rng.choice(len(options), p=weights / weights.sum()))][0]

    profiles: list[dict[int, int]] = []
    current = np.empty(people_count, np.int64)
    truth = np.empty(people_count, np.int64)
    for person in range(people_count):
        family = int(rng.choice(FAMILIES, p=family_popularity))
        role = index_of[(family, int(rng.integers(TRACKS)), int(rng.integers(1, 3)))]
        held = {s: max(1, need - int(rng.choice([0, 1], p=[0.6, 0.4]))) for s, need in role_skills[role].items()}
        for s in FAMILIES * CORE_SKILLS + rng.choice(GENERAL_SKILLS, 3, replace=False):
            held.setdefault(int(s), int(rng.integers(1, 4)))
        moves = int(rng.integers(2, 6))
        for move in range(moves):
            target = next_role(role)
            # Before moving, learn most of what the target role asks for.
            for s, need in role_skills[target].items():
                if s not in held:
                    if rng.random() < 0.75:
                        held[s] = max(1, need - int(rng.choice([0, 1, 2], p=[0.4, 0.4, 0.2])))
                elif held[s] < need and rng.random() < 0.5:
                    held[s] += 1
            if rng.random() < 0.5:
                held.setdefault(int(FAMILIES * CORE_SKILLS + rng.integers(GENERAL_SKILLS)), int(rng.integers(1, 4)))
            if move == moves - 1:
                current[person], truth[person] = role, target
                break
            role = target
            for s, need in role_skills[role].items():
                if rng.random() < 0.8:
                    held[s] = max(held.get(s, 0), need)
        profiles.append(held)

    n, r = people_count, len(keys)
    rows = [i for i, held in enumerate(profiles) for _ in held]
    cols = [s for held in profiles for s in held]
    values = [v for held in profiles for v in held.values()]
    skills = sparse.csr_array((np.array(values, float), (rows, cols)), shape=(n, skill_count))
    # Aspirations: 30 % of people; half of them name the true next role, half a random role.
    aspiring = np.flatnonzero(rng.random(n) < 0.3)
    honest = aspiring[rng.random(len(aspiring)) < 0.5]
    other = np.setdiff1d(aspiring, honest)
    targets = np.concatenate([truth[honest], rng.integers(0, r, len(other))])
    aspiration_roles = sparse.csr_array(
        (np.ones(len(aspiring)), (np.concatenate([honest, other]), targets)), shape=(n, r)
    )
    grow_rows: list[int] = []
    grow_cols: list[int] = []
    told = set(honest.tolist())
    for someone in aspiring.tolist():
        lacking = [s for s in role_skills[truth[someone]] if s not in profiles[someone]]
        wanted = lacking[:2] if someone in told and lacking else rng.choice(skill_count, 2).tolist()
        grow_rows += [someone] * len(wanted)
        grow_cols += [int(s) for s in wanted]
    aspiration_skills = sparse.csr_array((np.ones(len(grow_rows)), (grow_rows, grow_cols)), shape=(n, skill_count))
    aspiration_skills.data[:] = 1.0
    people = People(
        skills=skills,
        level=np.array([keys[role][2] for role in current], np.int64),
        location=np.full(n, -1, np.int64),
        units=sparse.csr_array((n, 1)),
        aspiration_roles=aspiration_roles,
        aspiration_skills=aspiration_skills,
    )
    role_rows = [j for j, role in enumerate(role_skills) for _ in role]
    role_cols = [s for role in role_skills for s in role]
    role_levels = [v for role in role_skills for v in role.values()]
    required = sparse.csr_array((np.array(role_levels, float), (role_rows, role_cols)), shape=(r, skill_count))
    roles = Openings(
        required=required,
        importance=sparse.csr_array((np.ones(len(role_rows)), (role_rows, role_cols)), shape=(r, skill_count)),
        nice=sparse.csr_array((r, skill_count)),
        role=np.arange(r, dtype=np.int64),
        level=np.array([key[2] for key in keys], np.int64),
        location=np.full(r, -1, np.int64),
        remote=np.zeros(r, bool),
        visible_units=sparse.csr_array((r, 1)),
        min_level=np.zeros(r, np.int64),
        max_level=np.zeros(r, np.int64),
    )
    binary_roles = sparse.csr_array((np.ones(len(role_rows)), (role_rows, role_cols)), shape=(r, skill_count))
    return Company(people, roles, binary_roles, current, truth)


@dataclass(frozen=True)
class Quality:
    precision_at_10: float
    mean_rank: float
    median_rank: float


def quality_of(order: npt.NDArray[np.int64], truth: npt.NDArray[np.int64]) -> Quality:
    """Rank (1 = first) of each person's true move in their ranked list of roles."""
    ranks = np.argmax(order == truth[:, None], axis=1) + 1
    found = (order == truth[:, None]).any(axis=1)
    ranks = np.where(found, ranks, order.shape[1] + 1)
    return Quality(float(np.mean(ranks <= 10)), float(np.mean(ranks)), float(np.median(ranks)))


def ours(company: Company, weights: Weights, neighbours: int) -> Quality:
    people, roles = company.people, company.roles
    n, r = people.size, roles.size
    adjacent = adjacency(people.skills, company.role_skills, neighbours=neighbours)
    current = sparse.csr_array((np.ones(n), (np.arange(n), company.current)), shape=(n, r))
    ranking = rank(people, roles, adjacent, weights, k_opportunities=r, k_candidates=0, exclude=current)
    return quality_of(ranking.opportunities[0], company.truth)


def jaccard(company: Company) -> Quality:
    held = sparse.csr_array(company.people.skills, copy=True)
    held.data[:] = 1.0
    needed = sparse.csr_array(company.roles.required, copy=True)
    needed.data[:] = 1.0
    both = sparse.csr_array(held @ needed.T).toarray()
    either = np.diff(held.indptr)[:, None] + np.diff(needed.indptr)[None, :] - both
    score = np.where(either > 0, both / np.maximum(either, 1), 0.0)
    score[np.arange(len(score)), company.current] = -np.inf
    order = np.argsort(-score, axis=1, kind="stable")
    return quality_of(order, company.truth)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3, help="companies generated (seeds), medians reported")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--neighbours", type=int, default=NEIGHBOURS)
    parser.add_argument("--quick", action="store_true", help="1,000 people, one company")
    args = parser.parse_args()
    if args.quick:
        args.people, args.repeat = 1_000, 1
    variants = {
        "ours, all factors": Weights(),
        "ours, without aspirations": Weights(aspirations=0.0),
        "ours, without adjacency": Weights(adjacent_skills=0.0),
        "ours, skills only": Weights(aspirations=0.0, level_fit=0.0, location_fit=0.0),
    }
    results: dict[str, list[Quality]] = {name: [] for name in [*variants, "jaccard baseline"]}
    started = time.perf_counter()
    for run in range(args.repeat):
        company = generate(args.people, args.seed + run)
        for name, weights in variants.items():
            results[name].append(ours(company, weights, args.neighbours))
        results["jaccard baseline"].append(jaccard(company))
    print(
        f"{args.repeat} generated compan{'y' if args.repeat == 1 else 'ies'} of {args.people:,} people and "
        f"{FAMILIES * TRACKS * LEVELS} roles; the last move of every person held out "
        f"({time.perf_counter() - started:.1f} s)"
    )
    print(f"{'':28}{'precision@10':>14}{'mean rank':>11}{'median rank':>13}   (medians over companies)")
    summary: dict[str, Quality] = {}
    for name, runs in results.items():
        summary[name] = Quality(*(statistics.median(getattr(q, f) for q in runs) for f in Quality.__dataclass_fields__))
        q = summary[name]
        print(f"{name:28}{q.precision_at_10:>14.3f}{q.mean_rank:>11.2f}{q.median_rank:>13.1f}")
    best, base = summary["ours, all factors"], summary["jaccard baseline"]
    skills_only = summary["ours, skills only"]
    print(
        f"ratio ours / jaccard: precision@10 {best.precision_at_10 / base.precision_at_10:.2f}x, "
        f"mean rank {base.mean_rank / best.mean_rank:.2f}x better; skills only: precision@10 "
        f"{skills_only.precision_at_10 / base.precision_at_10:.2f}x"
    )
    beats = best.precision_at_10 > base.precision_at_10 and best.mean_rank < base.mean_rank
    print(f"ours beats the baseline: {'yes' if beats else 'NO'}")


if __name__ == "__main__":
    main()
