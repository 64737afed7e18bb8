"""The HR workspace's People area: find a person, and read what the rules let HR read of them, through
the same services, with the same principal, as the API.

- `/hr/people`: the company's employees searched by name or email and filtered by org unit (with the
  units below it), role, manager, location and whether they are active, 20 a page with the API's cursor
  (`OrgService.list_employees`, as `GET /api/v1/employees`); each row links to the person.
- `/hr/people/{employee_id}`: the person's facts by name (role, org unit, manager, location, level);
  their skills with level, source, evidence and last confirmation (`SkillProfileService.profile`, as
  `GET /api/v1/employees/{id}/skills`); their aspirations as `may_see` lets HR see them, the view
  written to the audit log by the service as the API's route does (`AspirationService.get`; a `hidden`
  choice is a sentence, never the aspirations); their applications as HR sees them, each view audited
  (`ApplicationService.of_employee`); their mentoring (requests, offers, pairings) and their training
  plans (`TrainingPlanService.plans`: only those the rules let HR see).

Every page starts with the workspace's door (`visit.refuse_unless_hr()`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from backend.api.pagination import MAX_LIMIT
from backend.aspirations.schemas import AspirationRead
from backend.aspirations.service import AspirationService
from backend.auth.principal import Scope
from backend.errors import NotFoundError
from backend.framework.service import FrameworkService
from backend.marketplace.applications import ApplicationService
from backend.mentoring.pairings import PairingService
from backend.mentoring.profiles import MentorProfileService
from backend.mentoring.programmes import ProgrammeService
from backend.mentoring.requests import MenteeRequestService
from backend.org.models import Employee
from backend.org.service import OrgService
from backend.org.skill_profiles import SkillProfileService
from backend.portal.hr import AREAS
from backend.portal.lists import every, from_cursor, paging
from backend.portal.routes import Visit
from backend.skills.service import SkillService
from backend.training.plans import TrainingPlanService

PEOPLE = "/hr/people"
# People per page of the list.
PEOPLE_PAGE = 20
# The API's limit on a search (`backend.api.params.Search`).
SEARCH_MAX = 200
# Whom the list shows: the active people (the default), those who left, or everyone.
STATUSES = {"active": True, "inactive": False, "any": None}


@dataclass(frozen=True)
class PeopleFilters:
    """What the list's form asked for, as typed (shown back in the form)."""

    q: str = ""
    unit: str = ""
    role: str = ""
    manager: str = ""
    location: str = ""
    status: str = "active"

    def query(self) -> dict[str, str]:
        """The list's query for these filters (`paging` leaves empty ones out)."""
        return {
            "q": self.q,
            "unit": self.unit,
            "role": self.role,
            "manager": self.manager,
            "location": self.location,
            "status": "" if self.status == "active" else self.status,
        }


def _chosen(typed: str, choices: set[str]) -> uuid.UUID | None:
    """A choice of a list (its id as the form sends it); ValueError for one the list does not have."""
    if not typed:
        return None
    if typed not in choices:
        raise ValueError(typed)
    return uuid.UUID(typed)


def _names(items: Sequence[Any], attribute: str) -> dict[uuid.UUID, str]:
    return {item.id: getattr(item, attribute) for item in items}


def _choices(items: Sequence[Any], attribute: str) -> list[tuple[str, str]]:
    """A filter's options: each item's id as the form sends it, and its name."""
    return [(str(item.id), getattr(item, attribute)) for item in items]


class PeopleController(Controller):
    path = PEOPLE
    include_in_schema = False

    @get("/", opt={"scope": Scope.EMPLOYEES_READ}, name="portal:hr-people")
    async def people(
        self,
        visit: NamedDependency[Visit],
        q: FromQuery[str] = "",
        unit: FromQuery[str] = "",
        role: FromQuery[str] = "",
        manager: FromQuery[str] = "",
        location: FromQuery[str] = "",
        status: FromQuery[str] = "active",
        cursor: FromQuery[str | None] = None,
    ) -> Template:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        language = visit.language
        org = OrgService(visit.db)
        filters = PeopleFilters(q.strip(), unit, role, manager, location.strip(), status)
        units = sorted(
            await every(lambda c: org.list_units(parent_id=None, kind=None, q=None, cursor=c, limit=MAX_LIMIT)),
            key=lambda u: u.name.casefold(),
        )
        framework = FrameworkService(visit.db)
        roles = sorted(
            await every(
                lambda c: framework.list_roles(job_family_id=None, level=None, q=None, cursor=c, limit=MAX_LIMIT)
            ),
            key=lambda r: (r.title.casefold(), r.level or 0),
        )
        managers = await org.managers()
        errors: dict[str, str] = {}
        chosen: dict[str, uuid.UUID | None] = {}
        for field, typed, items in (
            ("unit", filters.unit, units),
            ("role", filters.role, roles),
            ("manager", filters.manager, managers),
        ):
            try:
                chosen[field] = _chosen(typed, {str(item.id) for item in items})
            except ValueError:
                errors[field] = language.gettext("Choose one from the list.")
        if filters.status not in STATUSES:
            errors["status"] = language.gettext("Choose one from the list.")
        for field, typed in (("q", filters.q), ("location", filters.location)):
            if len(typed) > SEARCH_MAX:
                errors[field] = language.ngettext(
                    "Search with at most %(num)s character.", "Search with at most %(num)s characters.", SEARCH_MAX
                ) % {"num": language.number(SEARCH_MAX)}
        found: Sequence[Employee] = []
        next_cursor: str | None = None
        if not errors:
            found, next_cursor, cursor = await from_cursor(
                lambda c: org.list_employees(
                    within_unit=chosen["unit"],
                    manager_id=chosen["manager"],
                    role_id=chosen["role"],
                    location=filters.location or None,
                    active=STATUSES[filters.status],
                    q=filters.q or None,
                    cursor=c,
                    limit=PEOPLE_PAGE,
                ),
                cursor,
            )
        return await visit.page(
            "hr_people.html",
            status=422 if errors else 200,
            areas=AREAS,
            filters=filters,
            errors=errors,
            people=found,
            unit_choices=_choices(units, "name"),
            role_choices=_choices(roles, "title"),
            manager_choices=_choices(managers, "full_name"),
            unit_names=_names(units, "name"),
            role_titles=_names(roles, "title"),
            manager_names=_names(managers, "full_name"),
            **paging(PEOPLE, cursor, next_cursor, **filters.query()),
        )

    @get("/{employee_id:uuid}", opt={"scope": Scope.EMPLOYEES_READ}, name="portal:hr-person")
    async def person(self, visit: NamedDependency[Visit], employee_id: FromPath[uuid.UUID]) -> Template:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        org = OrgService(visit.db)
        try:
            person = await org.get_employee(employee_id)
        except NotFoundError:
            return await visit.refused(404, PEOPLE, visit.language.gettext("Back to people"))
        principal = visit.principal
        unit = await org.get_unit(person.org_unit_id) if person.org_unit_id else None
        role = await FrameworkService(visit.db).get_role(person.role_id) if person.role_id else None
        manager = await org.get_employee(person.manager_id) if person.manager_id else None
        profiles = SkillProfileService(visit.db)
        skills = await every(lambda c: profiles.profile(person.id, None, c, MAX_LIMIT))
        # The service decides, and records the view in the audit log as the API's route does; a choice
        # it keeps from HR (hidden) is not found, as in the API.
        aspirations: AspirationRead | None
        try:
            aspirations = await AspirationService(visit.db).get(principal, person.id)
        except NotFoundError:
            aspirations = None
        applications_service = ApplicationService(visit.db)
        applications = await every(
            lambda c: applications_service.of_employee(principal, person.id, cursor=c, limit=MAX_LIMIT)
        )
        requests = await MenteeRequestService(visit.db).of_employee(principal, person.id)
        offers = await MentorProfileService(visit.db).of_employee(principal, person.id)
        pairing_service = PairingService(visit.db)
        pairings = await every(
            lambda c: pairing_service.list(
                principal, programme_id=None, state=None, cursor=c, limit=MAX_LIMIT, employee_id=person.id
            )
        )
        programme_service = ProgrammeService(visit.db)
        programmes = _names(
            await every(lambda c: programme_service.list(principal, status=None, cursor=c, limit=MAX_LIMIT)), "name"
        )
        plans_service = TrainingPlanService(visit.db)
        try:
            plans = await every(lambda c: plans_service.plans(principal, person.id, c, MAX_LIMIT))
        except NotFoundError:
            # Target roles are aspirations: none that the rules let HR see.
            plans = []
        # The names the page shows for the ids the services answer.
        people = {p.mentor_employee_id for p in pairings} | {p.mentee_employee_id for p in pairings}
        names = {p: (await org.get_employee(p)).full_name for p in people - {person.id}}
        skill_ids = set(aspirations.skill_ids if aspirations else [])
        skill_service = SkillService(visit.db)
        skill_labels = {s: (await skill_service.get_skill(s)).label for s in skill_ids}
        role_ids = set(aspirations.target_role_ids if aspirations else []) | {
            r.target_role_id for r in requests if r.target_role_id
        }
        framework = FrameworkService(visit.db)
        role_titles = {r: (await framework.get_role(r)).title for r in role_ids}
        return await visit.page(
            "hr_person.html",
            areas=AREAS,
            person=person,
            unit=unit,
            role=role,
            manager=manager,
            skills=sorted(skills, key=lambda s: (s.skill_label.casefold(), s.source)),
            aspirations=aspirations,
            applications=applications,
            requests=requests,
            offers=offers,
            pairings=pairings,
            programmes=programmes,
            plans=plans,
            names=names,
            skill_labels=skill_labels,
            role_titles=role_titles,
        )
