"""Pairing runs through the service and the database: hard constraints on a generated pool, both
objectives on a pool with a known optimum, and idempotency of the run and of its actor."""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select, text

from backend.core.jobs.models import Job, JobStatus
from backend.core.unit_of_work import UnitOfWork
from backend.mentoring.models import (
    MenteeRequest,
    MentorProfile,
    Pairing,
    PairingObjective,
    PairingRun,
    PairingState,
    Programme,
    ProgrammeKind,
    ProgrammeStatus,
    RequestStatus,
    RunStatus,
    WaitlistEntry,
)
from backend.mentoring.programmes import ProgrammeService
from backend.mentoring.reasons import ReasonCode, sentence
from backend.mentoring.runs import PAIRING_RUN_JOB, PairingRunService
from backend.mentoring.schemas import ProgrammeCreate, RunCreate, Weights
from backend.settings import Settings
from tenants.sessions import Database, TenantRef
from tests.conftest import TenantFactory
from tests.mentoring.seed import Org, add_mentee, add_mentor, compute, hr, seed_org
from worker.actors.mentoring import run_pairing
from worker.runner import Delivery, JobContext, execute


async def new_programme(database: Database, tenant: TenantRef, **values: Any) -> uuid.UUID:
    data = ProgrammeCreate(
        **{"name": "Grow", "kind": ProgrammeKind.EVERGREEN, "status": ProgrammeStatus.OPEN, **values}
    )
    async with database.tenant_session(tenant) as session, session.begin():
        return (await ProgrammeService(session).create(hr(tenant), data)).id


async def start(
    database: Database, tenant: TenantRef, programme_id: uuid.UUID, objective: PairingObjective | None = None
) -> PairingRun:
    async with database.tenant_session(tenant) as session, session.begin():
        return await PairingRunService(session).start(hr(tenant), programme_id, RunCreate(objective=objective))


async def publish(database: Database, tenant: TenantRef, run_id: uuid.UUID) -> None:
    async with database.tenant_session(tenant) as session, session.begin():
        await PairingRunService(session).publish(hr(tenant), run_id)


async def pairs_of(database: Database, tenant: TenantRef, run_id: uuid.UUID) -> list[Pairing]:
    async with database.tenant_session(tenant) as session:
        query = select(Pairing).where(Pairing.run_id == run_id).order_by(Pairing.mentee_request_id)
        rows = await session.scalars(query)
        return list(rows.all())


async def waitlist_of(database: Database, tenant: TenantRef, run_id: uuid.UUID) -> list[WaitlistEntry]:
    async with database.tenant_session(tenant) as session:
        rows = await session.scalars(
            select(WaitlistEntry).where(WaitlistEntry.run_id == run_id).order_by(WaitlistEntry.position)
        )
        return list(rows.all())


@dataclass
class Generated:
    org: Org
    programme_id: uuid.UUID
    mentor_languages: dict[uuid.UUID, set[str]]
    capacity: dict[uuid.UUID, int]
    profile_employee: dict[uuid.UUID, uuid.UUID]
    mentee_languages: dict[uuid.UUID, set[str]]
    excluded: dict[uuid.UUID, set[uuid.UUID]]
    request_employee: dict[uuid.UUID, uuid.UUID]


LANGUAGES = ["en", "pt", "de", "ja"]


def languages(rng: random.Random) -> list[str]:
    chosen = {code for code in LANGUAGES[1:] if rng.random() < 0.25}
    if rng.random() < 0.75:
        chosen.add("en")
    return sorted(chosen or {rng.choice(LANGUAGES[1:])})


async def generated_pool(
    database: Database, tenant: TenantRef, *, different_department: bool, seed: int, mentees: int = 50
) -> Generated:
    rng = random.Random(seed)
    people = 90
    # A tree: person i reports to someone between i/4 and i; the top (0) sits in no org unit.
    managers: list[int | None] = [None] + [rng.randrange(i // 4, i) for i in range(1, people)]
    departments: list[int | None] = [None] + [rng.randrange(3) for _ in range(1, people)]
    levels = {(p, s): rng.randint(1, 5) for p in range(people) for s in range(6) if rng.random() < 0.4}
    roles = [rng.randrange(3) if rng.random() < 0.7 else None for _ in range(people)]
    org = await seed_org(
        database, tenant, managers=managers, departments=departments, levels=levels, skills=6, roles=roles, tag="g"
    )
    programme_id = await new_programme(database, tenant, require_different_department=different_department)
    mentor_people = rng.sample(range(people), 30)
    # Some mentors are mentees too (never of themselves); managers and their reports are both in.
    others = [p for p in range(people) if p not in mentor_people]
    mentee_people = rng.sample(mentor_people, 8) + rng.sample(others, mentees - 8)
    g = Generated(org, programme_id, {}, {}, {}, {}, {}, {})
    for p in mentor_people:
        person = org.people[p]
        langs = languages(rng)
        profile = await add_mentor(
            database,
            tenant,
            programme_id,
            person,
            capacity=rng.randint(1, 3),
            languages=langs,
            teaches=rng.sample(org.skills, rng.randint(0, 3)),
            utc_offset_minutes=rng.choice([-300, 0, 60, 330]),
        )
        g.mentor_languages[person] = set(langs)
        g.profile_employee[profile] = person
    async with database.tenant_session(tenant) as session:
        for profile_id, capacity in await session.execute(
            select(MentorProfile.id, MentorProfile.capacity).where(MentorProfile.programme_id == programme_id)
        ):
            g.capacity[profile_id] = capacity
    for p in mentee_people:
        await add_generated_mentee(database, tenant, g, rng, p)
    return g


async def add_generated_mentee(database: Database, tenant: TenantRef, g: Generated, rng: random.Random, p: int) -> None:
    person = g.org.people[p]
    langs = languages(rng)
    mentor_ids = list(g.mentor_languages)
    excluded = set(rng.sample(mentor_ids, rng.randint(0, 2)))
    request = await add_mentee(
        database,
        tenant,
        g.programme_id,
        person,
        languages=langs,
        wants=rng.sample(g.org.skills, rng.randint(1, 3)),
        target_role_id=rng.choice([None, *g.org.roles]),
        excluded=sorted(excluded),
        utc_offset_minutes=rng.choice([-300, 0, 60, 330]),
    )
    g.mentee_languages[person] = set(langs)
    g.excluded[person] = excluded
    g.request_employee[request] = person


def assert_no_hard_constraint_broken(g: Generated, pairs: list[Pairing], live: list[Pairing], different: bool) -> None:
    load: dict[uuid.UUID, int] = {}
    for pair in [*live, *pairs]:
        load[pair.mentor_profile_id] = load.get(pair.mentor_profile_id, 0) + 1
    for profile, used in load.items():
        assert used <= g.capacity[profile], "a mentor got more mentees than their capacity"
    live_requests = {p.mentee_request_id for p in live}
    for pair in pairs:
        mentor, mentee = pair.mentor_employee_id, pair.mentee_employee_id
        assert g.profile_employee[pair.mentor_profile_id] == mentor
        assert g.request_employee[pair.mentee_request_id] == mentee
        assert pair.mentee_request_id not in live_requests, "a mentee already paired came back into the pool"
        assert mentor != mentee
        assert mentor not in g.org.line(mentee), "a manager mentors their report"
        assert mentee not in g.org.line(mentor), "a report mentors their manager"
        assert g.mentor_languages[mentor] & g.mentee_languages[mentee], "no shared language"
        assert mentor not in g.excluded[mentee], "an excluded mentor was paired"
        if different:
            dept_a, dept_b = g.org.department[mentor], g.org.department[mentee]
            assert dept_a is None or dept_b is None or dept_a != dept_b, "same department"


@pytest.mark.parametrize("different_department", [False, True])
async def test_no_pair_breaks_a_hard_constraint(
    database: Database, make_tenant: TenantFactory, different_department: bool
) -> None:
    tenant = make_tenant()
    g = await generated_pool(database, tenant, different_department=different_department, seed=3)
    # The constraints bite in this pool: some mentor is in the reporting line of some mentee.
    assert any(m in g.org.line(e) for e in g.mentee_languages for m in g.mentor_languages)
    assert set(g.mentor_languages) & set(g.mentee_languages)

    first = await start(database, tenant, g.programme_id)
    summary = await compute(database, tenant, first.id)
    pairs = await pairs_of(database, tenant, first.id)
    waitlist = await waitlist_of(database, tenant, first.id)
    assert summary["matched"] == len(pairs) > 10
    assert summary["unmatched"] == len(waitlist)
    assert len(pairs) + len(waitlist) == 50
    assert [w.position for w in waitlist] == list(range(1, len(waitlist) + 1))
    assert_no_hard_constraint_broken(g, pairs, [], different_department)
    await publish(database, tenant, first.id)

    # More mentees join; the published pairs keep their mentors' places and their mentees stay out.
    rng = random.Random(99)
    in_pool = {g.org.people.index(e) for e in g.mentee_languages}
    for p in rng.sample([p for p in range(90) if p not in in_pool], 20):
        await add_generated_mentee(database, tenant, g, rng, p)
    second = await start(database, tenant, g.programme_id, PairingObjective.MOST_MATCHED)
    await compute(database, tenant, second.id)
    live = await pairs_of(database, tenant, first.id)
    assert {p.state for p in live} == {PairingState.PUBLISHED}
    again = await pairs_of(database, tenant, second.id)
    assert again
    assert_no_hard_constraint_broken(g, again, live, different_department)
    assert len(again) + len(await waitlist_of(database, tenant, second.id)) == 70 - len(live)


async def test_both_objectives_reach_the_known_optimum(database: Database, make_tenant: TenantFactory) -> None:
    """Mentor A (level 5, capacity 1) suits both mentees; mentor B (level 2) only mentee 0, who alone
    shares a language with B. Skill lead alone counts: scores 0->A 1.0, 0->B 0.4, 1->A 0.2."""
    tenant = make_tenant()
    org = await seed_org(
        database,
        tenant,
        managers=[None, None, None, None],
        departments=[0, 0, 1, 1],
        levels={(0, 0): 5, (1, 0): 2, (3, 0): 4},
        skills=1,
        tag="k",
    )
    a, b, mentee0, mentee1 = org.people
    only_lead = Weights(skill_lead=1, wants_to_teach=0, made_the_move=0, time_zone_overlap=0)
    programme_id = await new_programme(database, tenant, weights=only_lead)
    mentor_a = await add_mentor(database, tenant, programme_id, a, capacity=1, languages=["de", "en"])
    mentor_b = await add_mentor(database, tenant, programme_id, b, capacity=1, languages=["en"])
    request0 = await add_mentee(database, tenant, programme_id, mentee0, languages=["en"], wants=org.skills)
    request1 = await add_mentee(database, tenant, programme_id, mentee1, languages=["de"], wants=org.skills)

    best = await start(database, tenant, programme_id, PairingObjective.TOTAL_SCORE)
    summary = await compute(database, tenant, best.id)
    assert summary["matched"] == 1
    assert summary["total_score"] == pytest.approx(1.0)
    [pair] = await pairs_of(database, tenant, best.id)
    assert (pair.mentee_request_id, pair.mentor_profile_id) == (request0, mentor_a)
    assert pair.reasons["factors"]["skill_lead"] == {"value": 1.0, "weight": 1.0, "points": 1.0}
    assert "Mentor is level 5 in Skill 0 k, you are not yet rated" in pair.reasons["sentences"]
    assert "You both speak en" in pair.reasons["sentences"]
    [waiting] = await waitlist_of(database, tenant, best.id)
    assert (waiting.mentee_request_id, waiting.position, waiting.reason_code) == (request1, 1, "at_capacity")

    most = await start(database, tenant, programme_id, PairingObjective.MOST_MATCHED)
    summary = await compute(database, tenant, most.id)
    assert summary["matched"] == 2
    assert summary["total_score"] == pytest.approx(0.6)
    chosen = {(p.mentee_request_id, p.mentor_profile_id) for p in await pairs_of(database, tenant, most.id)}
    assert chosen == {(request0, mentor_b), (request1, mentor_a)}
    assert await waitlist_of(database, tenant, most.id) == []
    # Starting the second run discarded the first, which nobody published.
    async with database.tenant_session(tenant) as session:
        assert (await session.get_one(PairingRun, best.id)).status == RunStatus.DISCARDED


async def test_a_run_is_optimal_over_every_allowed_pair_when_demand_is_skewed(
    database: Database, make_tenant: TenantFactory
) -> None:
    """Every mentee's favourite is mentor A (level 5, one place); mentor B (level 3, two places) suits
    them less. The programme keeps one candidate per mentee (per_mentee 1), which is A for all three:
    the run must still look past it. Skill lead alone counts: each mentee -> A 1.0, -> B 0.6."""
    tenant = make_tenant()
    org = await seed_org(
        database,
        tenant,
        managers=[None, None, None, None, None],
        departments=[0, 0, 1, 1, 1],
        levels={(0, 0): 5, (1, 0): 3},
        skills=1,
        tag="s",
    )
    a, b, *mentees = org.people
    only_lead = Weights(skill_lead=1, wants_to_teach=0, made_the_move=0, time_zone_overlap=0)
    programme_id = await new_programme(database, tenant, weights=only_lead, per_mentee=1)
    mentor_a = await add_mentor(database, tenant, programme_id, a, capacity=1, languages=["en"])
    mentor_b = await add_mentor(database, tenant, programme_id, b, capacity=2, languages=["en"])
    for person in mentees:
        await add_mentee(database, tenant, programme_id, person, languages=["en"], wants=org.skills)
    for objective in PairingObjective:
        run = await start(database, tenant, programme_id, objective)
        summary = await compute(database, tenant, run.id)
        assert (summary["matched"], summary["unmatched"]) == (3, 0)
        assert summary["total_score"] == pytest.approx(2.2)
        pairs = await pairs_of(database, tenant, run.id)
        assert sorted(p.mentor_profile_id == mentor_a for p in pairs) == [False, False, True]
        assert {p.mentor_profile_id for p in pairs} == {mentor_a, mentor_b}
        assert sorted(p.score for p in pairs) == pytest.approx([0.6, 0.6, 1.0])
        assert await waitlist_of(database, tenant, run.id) == []


async def small_pool(database: Database, tenant: TenantRef) -> tuple[uuid.UUID, Org]:
    org = await seed_org(
        database,
        tenant,
        managers=[None, 0, None, None, None],
        departments=[0, 0, 1, 1, 1],
        levels={(0, 0): 5, (2, 0): 4, (1, 0): 1},
        skills=1,
        tag="i",
    )
    programme_id = await new_programme(database, tenant)
    for person in org.people[:3]:
        await add_mentor(database, tenant, programme_id, person, capacity=1, languages=["en"])
    for person in org.people[1:]:
        await add_mentee(database, tenant, programme_id, person, languages=["en"], wants=org.skills)
    return programme_id, org


def pair_set(pairs: list[Pairing]) -> list[tuple[uuid.UUID, uuid.UUID, float]]:
    return sorted((p.mentee_request_id, p.mentor_profile_id, p.score) for p in pairs)


async def test_running_a_run_again_leaves_one_set_of_pairs(database: Database, make_tenant: TenantFactory) -> None:
    tenant = make_tenant()
    programme_id, _ = await small_pool(database, tenant)
    run = await start(database, tenant, programme_id)
    first = await compute(database, tenant, run.id)
    pairs, waitlist = await pairs_of(database, tenant, run.id), await waitlist_of(database, tenant, run.id)
    assert pairs
    assert waitlist
    # A retry (e.g. after a crash after the commit, before the acknowledgement): the same result, once.
    assert await compute(database, tenant, run.id) == first
    again = await pairs_of(database, tenant, run.id)
    assert pair_set(again) == pair_set(pairs)
    assert len(again) == first["matched"]
    assert [(w.mentee_request_id, w.position, w.reason) for w in await waitlist_of(database, tenant, run.id)] == [
        (w.mentee_request_id, w.position, w.reason) for w in waitlist
    ]
    # Once published, a late duplicate of the job changes nothing.
    await publish(database, tenant, run.id)
    assert (await compute(database, tenant, run.id))["status"] == "published"
    published = await pairs_of(database, tenant, run.id)
    assert pair_set(published) == pair_set(pairs)
    assert {p.state for p in published} == {PairingState.PUBLISHED}
    async with database.tenant_session(tenant) as session:
        statuses = {r: status for r, status in await session.execute(select(MenteeRequest.id, MenteeRequest.status))}
    matched = {p.mentee_request_id for p in pairs}
    for request_id, status in statuses.items():
        assert status == (RequestStatus.MATCHED if request_id in matched else RequestStatus.WAITLISTED)


async def test_a_run_computed_again_while_hr_publishes_it_does_not_deadlock(
    database: Database, make_tenant: TenantFactory
) -> None:
    """A retried job computes a run at the moment HR publishes it. Publishing locks the programme,
    then the run; the job must take them in the same order, or it holds the run while its new pairs
    wait on the programme (their foreign key) and Postgres kills one of the two as a deadlock."""
    tenant = make_tenant()
    programme_id, _ = await small_pool(database, tenant)
    run = await start(database, tenant, programme_id)
    await compute(database, tenant, run.id)
    async with database.tenant_session(tenant) as session, session.begin():
        # Publishing's first step: the programme's lock.
        await session.get(Programme, programme_id, with_for_update=True)
        job = asyncio.create_task(compute(database, tenant, run.id))
        # Wait until the job waits on a lock (the programme's, or, out of order, the foreign key's).
        for _ in range(200):
            waiting = await session.scalar(
                text(
                    "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                    " WHERE NOT l.granted AND a.datname = current_database()"
                )
            )
            if waiting:
                break
            await asyncio.sleep(0.05)
        assert waiting, "the job never waited for the publication"
        published = await PairingRunService(session).publish(hr(tenant), run.id)
        assert published.status == RunStatus.PUBLISHED
    # The job then finds the run published and leaves it as it is.
    assert (await job)["status"] == "published"
    assert {p.state for p in await pairs_of(database, tenant, run.id)} == {PairingState.PUBLISHED}


class _Sender:
    def __init__(self) -> None:
        self.sent: list[Any] = []

    def send(self, messages: Any) -> None:
        self.sent.extend(messages)


async def test_the_actor_is_idempotent(database: Database, make_tenant: TenantFactory, settings: Settings) -> None:
    tenant = make_tenant()
    programme_id, _ = await small_pool(database, tenant)
    run = await start(database, tenant, programme_id)
    assert run.job_id is not None
    async with database.tenant_session(tenant) as session:
        job = await session.get_one(Job, run.job_id)
        assert (job.kind, job.arguments) == (PAIRING_RUN_JOB, {"run_id": str(run.id)})

    # The body run twice, as by a retry whose first attempt's transaction committed.
    for attempt in (1, 2):
        async with database.tenant_session(tenant) as session, session.begin():
            context = JobContext(
                tenant=tenant, job_id=run.job_id, attempt=attempt, session=session, database=database, settings=settings
            )
            result = await run_pairing(context, str(run.id))
        assert result["matched"] == len(await pairs_of(database, tenant, run.id))
    async with database.tenant_session(tenant) as session:
        count = await session.scalar(select(func.count()).select_from(Pairing).where(Pairing.run_id == run.id))
    assert count == result["matched"]

    # Through the runner: the job succeeds once, and a second delivery of its message does nothing.
    sender = _Sender()
    resources = SimpleNamespace(
        database=database,
        sender=sender,
        unit_of_work=UnitOfWork(database, sender),  # type: ignore[arg-type]
        settings=settings,
    )
    delivery = Delivery(tenant, run.job_id, resources)  # type: ignore[arg-type]
    for _ in range(2):
        await execute(delivery, PAIRING_RUN_JOB, run_pairing, {"run_id": str(run.id)})
    async with database.tenant_session(tenant) as session:
        job = await session.get_one(Job, run.job_id)
        assert job.status == JobStatus.SUCCEEDED
        assert job.attempts == 1
        assert job.result is not None
        assert job.result["matched"] == result["matched"]
        count = await session.scalar(select(func.count()).select_from(Pairing).where(Pairing.run_id == run.id))
        assert count == result["matched"]


async def test_a_cohort_needs_its_dates(database: Database, make_tenant: TenantFactory) -> None:
    from backend.errors import InvalidInputError

    tenant = make_tenant()
    with pytest.raises(InvalidInputError):
        await new_programme(database, tenant, kind=ProgrammeKind.COHORT)
    with pytest.raises(InvalidInputError):
        await new_programme(
            database, tenant, kind=ProgrammeKind.COHORT, starts_on=date(2027, 3, 1), ends_on=date(2027, 1, 1)
        )
    assert await new_programme(
        database, tenant, kind=ProgrammeKind.COHORT, starts_on=date(2027, 1, 1), ends_on=date(2027, 6, 30)
    )


async def test_each_reason_is_a_statement_and_its_sentence(database: Database, make_tenant: TenantFactory) -> None:
    """Three pairs that together say every kind of reason: each pair's sentences are its statements
    in English, one for one, and each statement carries the values its sentence names. The programme
    pairs across departments, and languages leave each mentee one mentor."""
    tenant = make_tenant()
    org = await seed_org(
        database,
        tenant,
        managers=[None] * 6,
        departments=[0, 1, 1, 0, 0, 1],
        levels={(0, 0): 4, (0, 1): 3, (1, 0): 2, (2, 0): 5, (4, 1): 2},
        skills=2,
        roles=[0, None, None, None, None, None],
        tag="r",
    )
    skill0, skill1 = org.skills
    mentor1, mentee1, mentor2, mentee2, mentor3, mentee3 = org.people
    programme_id = await new_programme(database, tenant, require_different_department=True)
    first = await add_mentor(
        database,
        tenant,
        programme_id,
        mentor1,
        capacity=1,
        languages=["en", "nl"],
        teaches=org.skills,
        utc_offset_minutes=60,
    )
    second = await add_mentor(
        database, tenant, programme_id, mentor2, capacity=1, languages=["en"], utc_offset_minutes=90
    )
    third = await add_mentor(database, tenant, programme_id, mentor3, capacity=1, languages=["ja"])
    one = await add_mentee(
        database,
        tenant,
        programme_id,
        mentee1,
        languages=["nl", "en", "de"],
        wants=org.skills,
        target_role_id=org.roles[0],
    )
    two = await add_mentee(database, tenant, programme_id, mentee2, languages=["en"], wants=[skill0])
    three = await add_mentee(database, tenant, programme_id, mentee3, languages=["ja"], wants=[skill1])

    run = await start(database, tenant, programme_id)
    assert (await compute(database, tenant, run.id))["matched"] == 3
    pairs = {p.mentee_request_id: p for p in await pairs_of(database, tenant, run.id)}
    assert {request: p.mentor_profile_id for request, p in pairs.items()} == {one: first, two: second, three: third}
    departments = {"code": "different_departments"}
    assert pairs[one].reasons["statements"] == [
        {"code": "mentor_level", "skill": "Skill 0 r", "theirs": 4, "mine": 2},
        {"code": "mentor_level", "skill": "Skill 1 r", "theirs": 3, "mine": 0},
        {"code": "teaches", "skills": ["Skill 0 r", "Skill 1 r"]},
        {"code": "holds_target_role", "role": "Role 0 r"},
        {"code": "time_zones_apart", "hours": 1},
        {"code": "shared_languages", "languages": ["en", "nl"]},
        departments,
    ]
    assert pairs[one].reasons["sentences"] == [
        "Mentor is level 4 in Skill 0 r, you are level 2",
        "Mentor is level 3 in Skill 1 r, you are not yet rated",
        "Mentor wants to teach Skill 0 r, Skill 1 r",
        "Mentor is a Role 0 r, the role you aim for",
        "Your time zones are 1 hour apart",
        "You both speak en, nl",
        "You work in different departments",
    ]
    assert pairs[two].reasons["statements"] == [
        {"code": "mentor_level", "skill": "Skill 0 r", "theirs": 5, "mine": 0},
        {"code": "time_zones_apart", "hours": 1.5},
        {"code": "shared_languages", "languages": ["en"]},
        departments,
    ]
    assert pairs[two].reasons["sentences"] == [
        "Mentor is level 5 in Skill 0 r, you are not yet rated",
        "Your time zones are 1.5 hours apart",
        "You both speak en",
        "You work in different departments",
    ]
    assert pairs[three].reasons["statements"] == [
        {"code": "mentor_level", "skill": "Skill 1 r", "theirs": 2, "mine": 0},
        {"code": "same_time_zone"},
        {"code": "shared_languages", "languages": ["ja"]},
        departments,
    ]
    assert pairs[three].reasons["sentences"] == [
        "Mentor is level 2 in Skill 1 r, you are not yet rated",
        "You share a time zone",
        "You both speak ja",
        "You work in different departments",
    ]
    # Every code the run knows was said by one of the pairs, and each sentence is its statement's.
    said = [s for p in pairs.values() for s in p.reasons["statements"]]
    assert {s["code"] for s in said} == {code.value for code in ReasonCode}
    for pair in pairs.values():
        assert pair.reasons["sentences"] == [sentence(s) for s in pair.reasons["statements"]]
