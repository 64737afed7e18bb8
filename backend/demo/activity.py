"""The demo company at work: what its people are doing today, written through the domain services.

`backend.demo.seed` writes the company as it stands (people, skills, roles, two years of past moves);
this module adds the live activity on top, the way the people themselves would have made it, by
calling the same services the API calls (so every check, change-log fact, notification and release
the services write is there too): open roles, gigs and projects in every department, a course
catalogue, a mentoring programme with a published pairing run, and applications at every live stage,
one of them waiting for a manager's release. A seeded `random.Random` makes it the same on every run.

The demo's featured people (the ones the README tells a newcomer to sign in as) are chosen by
`featured_people`, with the rule the demo identity provider uses to print its logins
(`backend.demo.idp.featured_logins`), so that the people the run prints are the ones with data.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.aspirations.models import AspirationRole
from backend.auth.principal import Principal, UserRole, scopes_for
from backend.demo.content import COURSE_PROVIDERS, DEPARTMENT_WORK, DEPARTMENTS, JOB_FAMILIES, MENTORING_PROGRAMME
from backend.demo.idp import FeaturedLogins, featured_logins, groups_of
from backend.framework.models import Importance, Role, RoleSkill
from backend.marketplace.applications import ApplicationService
from backend.marketplace.models import ApplicationKind, ApplicationStage, Opportunity, OpportunityKind
from backend.marketplace.opportunities import OpportunityService
from backend.marketplace.schemas import (
    ApplicationCreate,
    OpportunityCreate,
    OpportunitySkillSet,
    StageChange,
    Withdrawal,
)
from backend.matching.service import MatchingService
from backend.mentoring.models import ProgrammeKind, ProgrammeStatus
from backend.mentoring.profiles import MentorProfileService
from backend.mentoring.programmes import ProgrammeService
from backend.mentoring.requests import MenteeRequestService
from backend.mentoring.runs import PairingRunService
from backend.mentoring.schemas import MenteeRequestCreate, MentorProfileCreate, ProgrammeCreate, RunCreate
from backend.org.models import Employee, OrgUnit, OrgUnitKind
from backend.skills.models import EmployeeSkill, Skill
from backend.training.courses import CourseService
from backend.training.models import CourseFormat
from backend.training.plans import TrainingPlanService
from backend.training.schemas import CourseCreate, CourseSkillSet
from tenants.sessions import TenantRef

SEED_SUBJECT = "demo:seed"
MENTORS = 16
MENTEES = 28
# Applications beyond the featured people's, spread over the open roles, gigs and projects.
OTHER_APPLICATIONS = 48
# Where the other applications stand: every stage a hiring side works with, weighted as a pipeline.
_PIPELINE: tuple[tuple[ApplicationStage, int], ...] = (
    (ApplicationStage.INTERESTED, 8),
    (ApplicationStage.APPLIED, 14),
    (ApplicationStage.SCREENING, 9),
    (ApplicationStage.INTERVIEW, 7),
    (ApplicationStage.OFFER, 3),
    (ApplicationStage.REJECTED, 5),
    (ApplicationStage.WITHDRAWN, 2),
)
_ROUTE = (ApplicationStage.SCREENING, ApplicationStage.INTERVIEW, ApplicationStage.OFFER)
_FORMATS = (CourseFormat.ONLINE, CourseFormat.CLASSROOM, CourseFormat.BLENDED, CourseFormat.SELF_PACED)


@dataclass(frozen=True)
class ActivitySummary:
    openings: int
    courses: int
    mentors: int
    mentees: int
    pairings: int
    applications: int


@dataclass(frozen=True)
class _Team:
    id: uuid.UUID
    name: str
    department: str
    manager: Employee
    members: list[Employee]


async def featured_people(session: AsyncSession) -> FeaturedLogins:
    """The HR admin, manager and employee the run prints and the README names."""
    leads = set(
        await session.scalars(select(Employee.manager_id).where(Employee.active, Employee.manager_id.is_not(None)))
    )
    rows = await session.execute(
        select(Employee.email, Employee.id, OrgUnit.name)
        .outerjoin(OrgUnit, OrgUnit.id == Employee.org_unit_id)
        .where(Employee.active)
    )
    # Sorted here, as the identity provider sorts its accounts: the database's collation may differ.
    return featured_logins(sorted((email, groups_of(person in leads, unit or "")) for email, person, unit in rows))


async def seed_demo_activity(session: AsyncSession, tenant: TenantRef, *, seed: int = 42) -> ActivitySummary:
    """Add today's activity to a freshly seeded demo company, in the caller's transaction."""
    # Reproducible demo data, not secrets: a seeded PRNG is the point.
    rng = random.Random(seed)  # noqa: S311
    hr = Principal(
        tenant, SEED_SUBJECT, None, frozenset({UserRole.HR_ADMIN}), scopes_for(frozenset({UserRole.HR_ADMIN}))
    )
    activity = _Activity(session, tenant, rng, hr)
    await activity.load()
    openings = await activity.post_openings()
    courses = await activity.add_courses()
    mentors, mentees, pairings = await activity.run_mentoring()
    applications = await activity.add_applications(openings)
    return ActivitySummary(len(openings), courses, mentors, mentees, pairings, applications)


async def compute_recommendations(session: AsyncSession) -> None:
    """What the worker would compute after the seed (matches both ways, training plans), done now so
    that the first page anyone opens has them; the caller commits."""
    await MatchingService(session).recompute()
    await TrainingPlanService(session).recompute_all()


class _Activity:
    def __init__(self, session: AsyncSession, tenant: TenantRef, rng: random.Random, hr: Principal) -> None:
        self.session = session
        self.tenant = tenant
        self.rng = rng
        self.hr = hr
        self.teams: list[_Team] = []
        self.skill_ids: dict[str, uuid.UUID] = {}
        self.people: list[Employee] = []

    def _person(self, employee: Employee) -> Principal:
        roles = frozenset({UserRole.EMPLOYEE})
        return Principal(self.tenant, f"employee:{employee.id}", employee.id, roles, scopes_for(roles))

    async def load(self) -> None:
        self.skill_ids = {
            label: skill_id for label, skill_id in await self.session.execute(select(Skill.label, Skill.id))
        }
        self.people = list(
            await self.session.scalars(select(Employee).where(Employee.active).order_by(Employee.external_id))
        )
        units = {unit.id: unit for unit in await self.session.scalars(select(OrgUnit))}
        by_unit: dict[uuid.UUID, list[Employee]] = defaultdict(list)
        for person in self.people:
            if person.org_unit_id is not None:
                by_unit[person.org_unit_id].append(person)
        for unit in sorted(units.values(), key=lambda u: u.name):
            if unit.kind != OrgUnitKind.TEAM or unit.parent_id is None:
                continue
            members = by_unit[unit.id]
            in_team = {p.id for p in members}
            managers = [p for p in members if p.manager_id not in in_team]
            if not managers:
                continue
            reports = [p for p in members if p.manager_id == managers[0].id]
            self.teams.append(_Team(unit.id, unit.name, units[unit.parent_id].name, managers[0], reports))

    # --- openings ---

    async def post_openings(self) -> list[uuid.UUID]:
        """Per department: two roles of its teams, a gig and a project, posted by a team manager and opened."""
        service = OpportunityService(self.session)
        families = {family.name: family for family in JOB_FAMILIES}
        now = datetime.now(UTC)
        posted: list[uuid.UUID] = []
        for department in DEPARTMENTS:
            teams = [t for t in self.teams if t.department == department.name]
            work = DEPARTMENT_WORK[department.name]
            related = [label for label in families[department.family].related if label in self.skill_ids]
            for team in self.rng.sample(teams, min(2, len(teams))):
                role_ids = sorted({p.role_id for p in team.members if p.role_id is not None})
                role = await self.session.get_one(Role, self.rng.choice(role_ids))
                data = OpportunityCreate(
                    title=f"{role.title}, {team.name}",
                    kind=OpportunityKind.ROLE,
                    description=f"{team.name} ({department.name}) is hiring a {role.title}. {role.description}",
                    role_id=role.id,
                    org_unit_id=team.id,
                    hiring_manager_id=team.manager.id,
                    location=team.manager.location,
                    remote=self.rng.random() < 0.3,
                    closes_at=now + timedelta(days=self.rng.randint(21, 60)),
                )
                posted.append((await service.create(self.hr, data)).id)
            for kind, (title, description, hours, weeks) in (
                (OpportunityKind.GIG, work.gig),
                (OpportunityKind.PROJECT, work.project),
            ):
                team = self.rng.choice(teams)
                skills = [
                    OpportunitySkillSet(
                        skill_id=self.skill_ids[label],
                        level=self.rng.randint(2, 4),
                        importance=Importance.ESSENTIAL if index < 2 else Importance.NICE_TO_HAVE,
                    )
                    for index, label in enumerate(self.rng.sample(related, min(4, len(related))))
                ]
                data = OpportunityCreate(
                    title=title,
                    kind=kind,
                    description=description,
                    org_unit_id=team.id,
                    hiring_manager_id=team.manager.id,
                    location=team.manager.location,
                    remote=kind is OpportunityKind.GIG,
                    hours_per_week=hours,
                    duration_weeks=weeks,
                    closes_at=now + timedelta(days=self.rng.randint(14, 45)),
                    skills=skills,
                )
                posted.append((await service.create(self.hr, data)).id)
        for opportunity_id in posted:
            await service.open(self.hr, opportunity_id)
        return posted

    # --- courses ---

    async def add_courses(self) -> int:
        """A course for each skill the roles require, and an advanced one for the essential ones."""
        required = await self.session.execute(
            select(Skill.id, Skill.label, RoleSkill.importance)
            .join(RoleSkill, RoleSkill.skill_id == Skill.id)
            .distinct()
            .order_by(Skill.label)
        )
        essentials: dict[tuple[uuid.UUID, str], bool] = {}
        for skill_id, label, importance in required:
            essentials[(skill_id, label)] = (
                essentials.get((skill_id, label), False) or importance is Importance.ESSENTIAL
            )
        service = CourseService(self.session)
        count = 0
        for (skill_id, label), essential in essentials.items():
            levels = (3, 5) if essential else (3,)
            for level in levels:
                provider = self.rng.choice(COURSE_PROVIDERS)
                title = f"{label[:1].upper()}{label[1:]}: {'foundations' if level == 3 else 'advanced'}"
                data = CourseCreate(
                    title=title[:200],
                    provider=provider,
                    format=self.rng.choice(_FORMATS),
                    duration_hours=self.rng.choice((4, 8, 12, 16, 24, 40)) * (2 if level == 5 else 1),
                    cost=float(self.rng.randrange(0, 1500, 25))
                    if level == 3
                    else float(self.rng.randrange(400, 2500, 50)),
                    currency="EUR",
                    external_id=f"NW-C{count + 1:04d}",
                    description=f"Takes a learner to level {level} in {label}.",
                    skills=[CourseSkillSet(skill_id=skill_id, level_reached=level)],
                )
                await service.create(self.hr, data)
                count += 1
        return count

    # --- mentoring ---

    async def run_mentoring(self) -> tuple[int, int, int]:
        """An open programme with senior mentors and junior mentees, paired and published."""
        name, description, goals = MENTORING_PROGRAMME
        today = datetime.now(UTC).date()
        programme = await ProgrammeService(self.session).create(
            self.hr,
            ProgrammeCreate(
                name=name,
                kind=ProgrammeKind.COHORT,
                description=description,
                goals=goals,
                starts_on=today - timedelta(days=14),
                ends_on=today + timedelta(days=170),
                enrolment_opens=today - timedelta(days=45),
                enrolment_closes=today + timedelta(days=30),
                require_different_department=True,
                status=ProgrammeStatus.OPEN,
            ),
        )
        held = await self._skills_held()
        seniors = [p for p in self.people if p.level is not None and p.level >= 4 and held[p.id]]
        juniors = [p for p in self.people if p.level is not None and p.level <= 2 and p.role_id is not None]
        # The featured employee asks for a mentor (first, so the run pairs them while mentors have
        # room), so that signing in as them shows a pairing with its reasons and check-ins.
        featured = await featured_people(self.session)
        asking = [p for p in self.people if p.email == featured.employee and p.role_id is not None]
        mentors = self.rng.sample([p for p in seniors if p not in asking], min(MENTORS, len(seniors)))
        chosen = {p.id for p in mentors} | {p.id for p in asking}
        others = [p for p in juniors if p.id not in chosen]
        mentees = asking + self.rng.sample(others, min(MENTEES - len(asking), len(others)))
        profiles = MentorProfileService(self.session)
        for mentor in mentors:
            await profiles.create(
                self.hr,
                programme.id,
                MentorProfileCreate(
                    languages=self._languages(mentor),
                    employee_id=mentor.id,
                    capacity=self.rng.choice((1, 2, 2, 3)),
                    skill_ids=sorted(held[mentor.id], key=str)[:6],
                    topics=["career growth", "moving across teams"],
                ),
            )
        gaps = await self._next_role_gaps()
        requests = MenteeRequestService(self.session)
        for mentee in mentees:
            target, skills = gaps.get(mentee.id, (None, []))
            await requests.create(
                self.hr,
                programme.id,
                MenteeRequestCreate(
                    goals=f"Grow towards the next step as {mentee.title}.",
                    languages=self._languages(mentee),
                    employee_id=mentee.id,
                    skill_ids=skills[:4],
                    target_role_id=target,
                ),
            )
        runs = PairingRunService(self.session)
        run = await runs.start(self.hr, programme.id, RunCreate())
        # Computed here rather than by the worker, so that the run is ready to publish; the job the
        # start asked for finds it published and leaves it as it is.
        summary = await runs.run(run.id)
        await runs.publish(self.hr, run.id)
        return len(mentors), len(mentees), int(summary.get("matched") or 0)

    def _languages(self, person: Employee) -> list[str]:
        dutch = person.location == "Rotterdam" and self.rng.random() < 0.7
        return ["en", "nl"] if dutch else ["en"]

    async def _skills_held(self) -> dict[uuid.UUID, set[uuid.UUID]]:
        held: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
        rows = await self.session.execute(
            select(EmployeeSkill.employee_id, EmployeeSkill.skill_id).where(
                EmployeeSkill.valid_to.is_(None), EmployeeSkill.level >= 3
            )
        )
        for employee_id, skill_id in rows:
            held[employee_id].add(skill_id)
        return held

    async def _next_role_gaps(self) -> dict[uuid.UUID, tuple[uuid.UUID | None, list[uuid.UUID]]]:
        targets = dict((await self.session.execute(select(AspirationRole.employee_id, AspirationRole.role_id))).all())
        required: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        for role_id, skill_id in await self.session.execute(
            select(RoleSkill.role_id, RoleSkill.skill_id).order_by(RoleSkill.role_id, RoleSkill.skill_id)
        ):
            required[role_id].append(skill_id)
        return {person: (role, required[role]) for person, role in targets.items()}

    # --- applications ---

    async def add_applications(self, openings: list[uuid.UUID]) -> int:
        """The featured employee's applications (one in interview, one interest), a report of the
        featured manager at offer (so that manager has a release to decide), and a pipeline of others."""
        featured = await featured_people(self.session)
        by_email = {p.email: p for p in self.people}
        service = ApplicationService(self.session)
        hiring = await self._hiring_managers(openings)
        count = 0
        used: set[tuple[uuid.UUID, uuid.UUID]] = set()

        async def file_application(person: Employee, opening: uuid.UUID, stage: ApplicationStage) -> None:
            nonlocal count
            kind = ApplicationKind.INTEREST if stage is ApplicationStage.INTERESTED else ApplicationKind.APPLICATION
            note = (
                None if kind is ApplicationKind.INTEREST else f"I would like to bring my experience as {person.title}."
            )
            read = await service.apply(self._person(person), opening, ApplicationCreate(kind=kind, note=note))
            used.add((person.id, opening))
            count += 1
            if stage is ApplicationStage.WITHDRAWN:
                await service.withdraw(
                    self._person(person), read.id, Withdrawal(note="The timing is not right for me.")
                )
                return
            if stage is ApplicationStage.REJECTED:
                await service.move(
                    self.hr,
                    read.id,
                    StageChange(
                        to=ApplicationStage.REJECTED,
                        note="Another applicant fits the team's needs better.",
                        reason_shared="We chose an applicant with more experience in this area.",
                    ),
                )
                return
            for step in _ROUTE[: _ROUTE.index(stage) + 1] if stage in _ROUTE else ():
                await service.move(self.hr, read.id, StageChange(to=step))

        def eligible(person: Employee) -> list[uuid.UUID]:
            return [
                o for o in openings if hiring[o] not in (person.id, person.manager_id) and (person.id, o) not in used
            ]

        employee = by_email.get(featured.employee or "")
        if employee is not None:
            first, second = self.rng.sample(eligible(employee), 2)
            await file_application(employee, first, ApplicationStage.INTERVIEW)
            await file_application(employee, second, ApplicationStage.INTERESTED)
        manager = by_email.get(featured.manager or "")
        if manager is not None:
            reports = [p for p in self.people if p.manager_id == manager.id and p.email != featured.employee]
            if reports:
                report = self.rng.choice(reports)
                await file_application(report, self.rng.choice(eligible(report)), ApplicationStage.OFFER)
        featured_emails = {featured.employee, featured.manager, featured.hr}
        others = [p for p in self.people if p.email not in featured_emails and p.manager_id is not None]
        for person in self.rng.sample(others, min(OTHER_APPLICATIONS, len(others))):
            choices = eligible(person)
            if choices:
                stage = self.rng.choices([s for s, _ in _PIPELINE], [w for _, w in _PIPELINE])[0]
                await file_application(person, self.rng.choice(choices), stage)
        return count

    async def _hiring_managers(self, openings: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID | None]:
        rows = await self.session.execute(
            select(Opportunity.id, Opportunity.hiring_manager_id).where(Opportunity.id.in_(openings))
        )
        return dict(rows.all())
