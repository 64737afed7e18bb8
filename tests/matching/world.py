"""A small company to match: two departments, a hiring manager and four people with different
open-to-move choices, three roles on a career path, and three openings."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from backend.aspirations.models import Aspiration, AspirationRole, OpenToMove
from backend.framework.models import CareerPath, Importance, JobFamily, Role, RoleSkill, TransitionKind
from backend.marketplace.models import (
    Opportunity,
    OpportunityKind,
    OpportunitySkill,
    OpportunityStatus,
    OpportunityVisibilityUnit,
)
from backend.matching.service import MatchingService
from backend.org.models import Employee, OrgUnit, OrgUnitKind
from backend.skills.models import EmployeeSkill, Skill, SkillSource
from tenants.base import new_id
from tenants.sessions import Database, TenantRef


@dataclass
class World:
    tenant: TenantRef
    people: dict[str, uuid.UUID]
    skills: dict[str, uuid.UUID]
    roles: dict[str, uuid.UUID]
    analyst: uuid.UUID  # open to everyone, hiring manager: hm
    sales_project: uuid.UUID  # open, visible to Sales only
    draft: uuid.UUID


async def build_world(database: Database, tenant: TenantRef) -> World:
    """Data (with an Analytics team) and Sales; a hiring manager in Data over Ana; Ben, Cara and Dan in
    Sales, each with a different open-to-move choice."""
    people: dict[str, uuid.UUID] = {}
    skills: dict[str, uuid.UUID] = {}
    roles: dict[str, uuid.UUID] = {}
    async with database.tenant_session(tenant) as session, session.begin():
        data = OrgUnit(id=new_id(), name="Data", kind=OrgUnitKind.DEPARTMENT)
        analytics = OrgUnit(id=new_id(), name="Analytics", kind=OrgUnitKind.TEAM, parent_id=data.id)
        sales = OrgUnit(id=new_id(), name="Sales", kind=OrgUnitKind.DEPARTMENT)
        session.add_all([data, sales])
        await session.flush()
        session.add(analytics)
        for label in ("SQL", "Python", "Tableau", "Negotiation", "Statistics"):
            skills[label] = new_id()
            session.add(Skill(id=skills[label], label=label))
        family = JobFamily(id=new_id(), name="Analytics")
        session.add(family)
        await session.flush()
        for title, level in (("Junior Analyst", 3), ("Analyst", 4), ("Senior Analyst", 5)):
            roles[title] = new_id()
            session.add(Role(id=roles[title], job_family_id=family.id, title=title, level=level))
        await session.flush()
        for role, needs in (
            ("Analyst", {"SQL": 3, "Tableau": 3}),
            ("Senior Analyst", {"SQL": 4, "Python": 4, "Statistics": 3}),
        ):
            for label, level in needs.items():
                session.add(
                    RoleSkill(
                        role_id=roles[role], skill_id=skills[label], target_level=level, importance=Importance.ESSENTIAL
                    )
                )
        session.add_all(
            [
                CareerPath(
                    from_role_id=roles["Junior Analyst"],
                    to_role_id=roles["Analyst"],
                    kind=TransitionKind.PROMOTION,
                    typical_months=18,
                ),
                CareerPath(
                    from_role_id=roles["Analyst"],
                    to_role_id=roles["Senior Analyst"],
                    kind=TransitionKind.PROMOTION,
                    typical_months=24,
                ),
            ]
        )
        staff = {
            "hm": (None, data.id, 6, "Berlin", None),
            "ana": ("hm", analytics.id, 4, "Berlin", roles["Junior Analyst"]),
            "ben": (None, sales.id, 4, "berlin ", None),
            "cara": (None, sales.id, 4, "Berlin", None),
            "dan": (None, sales.id, 4, "Lisbon", None),
        }
        for name, (boss, unit, level, location, role_id) in staff.items():
            people[name] = new_id()
            session.add(
                Employee(
                    id=people[name],
                    email=f"{name}@example.com",
                    full_name=name.title(),
                    manager_id=people[boss] if boss else None,
                    org_unit_id=unit,
                    level=level,
                    location=location,
                    role_id=role_id,
                )
            )
            await session.flush()
        profile = {
            "ana": {"SQL": 4, "Python": 3, "Tableau": 2},
            "ben": {"SQL": 2, "Negotiation": 4},
            "cara": {"SQL": 5, "Python": 5, "Tableau": 4},
            "dan": {"SQL": 3, "Python": 4},
        }
        for name, levels in profile.items():
            for label, level in levels.items():
                session.add(
                    EmployeeSkill(
                        employee_id=people[name], skill_id=skills[label], level=level, source=SkillSource.SELF
                    )
                )
        for name, choice in (
            ("ana", OpenToMove.HIRING_MANAGERS),
            ("ben", OpenToMove.HR_ONLY),
            ("cara", OpenToMove.HIDDEN),
            ("dan", OpenToMove.HIRING_MANAGERS),
        ):
            session.add(Aspiration(employee_id=people[name], open_to_move=choice))
        await session.flush()
        session.add(AspirationRole(employee_id=people["ana"], role_id=roles["Senior Analyst"]))

        def opening(title: str, status: OpportunityStatus, **extra: Any) -> uuid.UUID:
            opportunity = Opportunity(
                id=new_id(),
                title=title,
                kind=OpportunityKind.GIG,
                hours_per_week=8,
                duration_weeks=12,
                hiring_manager_id=people["hm"],
                status=status,
                created_by="test:hr",
                **extra,
            )
            session.add(opportunity)
            return opportunity.id

        analyst = opening("Data analysis gig", OpportunityStatus.OPEN, location="Berlin", level=4)
        sales_project = opening("Sales dashboard project", OpportunityStatus.OPEN, remote=True)
        draft = opening("Draft gig", OpportunityStatus.DRAFT)
        await session.flush()
        for opportunity, label, level, importance in (
            (analyst, "SQL", 3, Importance.ESSENTIAL),
            (analyst, "Tableau", 3, Importance.IMPORTANT),
            (analyst, "Statistics", 2, Importance.NICE_TO_HAVE),
            (sales_project, "SQL", 2, Importance.ESSENTIAL),
            (draft, "SQL", 1, Importance.ESSENTIAL),
        ):
            session.add(
                OpportunitySkill(opportunity_id=opportunity, skill_id=skills[label], level=level, importance=importance)
            )
        session.add(OpportunityVisibilityUnit(opportunity_id=sales_project, org_unit_id=sales.id))
    return World(tenant, people, skills, roles, analyst, sales_project, draft)


async def recompute(database: Database, tenant: TenantRef) -> dict[str, Any]:
    async with database.tenant_session(tenant) as session, session.begin():
        return await MatchingService(session).recompute()
