"""The directory's list of employees as HR's People page filters it (`OrgService.list_employees`):
`within_unit` finds the people of a unit and of every unit below it (a department with its teams),
while `org_unit_id` keeps to the unit itself; `managers` are the people someone reports to, by name."""

from __future__ import annotations

import secrets
import uuid

from sqlalchemy import select

from backend.org.models import Employee, OrgUnit
from backend.org.service import OrgService
from tenants.sessions import Database
from tests.conftest import TenantFactory
from tests.matching.world import build_world


async def test_a_department_holds_its_teams_people_and_managers_are_those_with_reports(
    make_tenant: TenantFactory, database: Database
) -> None:
    tenant = make_tenant(f"people_{secrets.token_hex(3)}")
    world = await build_world(database, tenant)
    people = world.people
    async with database.tenant_session(tenant) as session, session.begin():
        units = {u.name: u.id for u in (await session.scalars(select(OrgUnit))).all()}
        org = OrgService(session)

        async def found(**filters: uuid.UUID | None) -> set[uuid.UUID]:
            items, _ = await org.list_employees(limit=100, **filters)
            return {e.id for e in items}

        # Hm sits in Data itself, Ana in its Analytics team.
        assert await found(within_unit=units["Data"]) == {people["hm"], people["ana"]}
        assert await found(org_unit_id=units["Data"]) == {people["hm"]}
        assert await found(within_unit=units["Analytics"]) == {people["ana"]}
        assert await found(within_unit=units["Sales"]) == {people["ben"], people["cara"], people["dan"]}
        # Both at once: the unit itself within the department.
        assert await found(org_unit_id=units["Data"], within_unit=units["Data"]) == {people["hm"]}

        assert [m.id for m in await org.managers()] == [people["hm"]]
        # Dan reports to Cara too, and someone who left still counts their reports: by name.
        dan = await session.get(Employee, people["dan"])
        assert dan is not None
        dan.manager_id = people["cara"]
        dan.active = False
        await session.flush()
        assert [m.full_name for m in await org.managers()] == ["Cara", "Hm"]
