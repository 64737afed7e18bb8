"""Skill ratings belong to their source: nobody records, supersedes or ends a rating of a source they
may not write, on any path (PUT, DELETE, course completions); ending one records who ended it; a
rating on one's own profile defaults to `self`, and `course` and `assessment` need evidence or the
partner app that owns them. On one's own profile an HR admin is the person rated, not HR."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from backend.auth.principal import UserRole
from tenants.sessions import TenantRef
from tests.api.world import World, build_world
from tests.conftest import TenantFactory, TokenFactory
from tests.helpers import problem
from tests.partners.conftest import Register, bearer

Client = AsyncTestClient[Litestar]
API = "/api/v1"


@dataclass
class Profile:
    world: World
    hr: dict[str, str]
    me: dict[str, str]
    boss: dict[str, str]
    lms: dict[str, str]
    me_subject: str
    boss_subject: str
    url: str
    tenant: TenantRef

    @property
    def employee_id(self) -> str:
        return str(self.world.employee["id"])


async def _profile(client: Client, make_tenant: TenantFactory, auth: TokenFactory, register: Register) -> Profile:
    tenant = make_tenant()
    hr = auth(tenant)
    world = await build_world(client, hr, "r")  # the employee's skill: level 3, source manager (by HR)
    me_id, boss_id = uuid.UUID(world.employee["id"]), uuid.UUID(world.manager["id"])
    lms = await bearer(client, await register(tenant, "skills:write", "skills:read", "training:write"))
    return Profile(
        world=world,
        hr=hr,
        me=auth(tenant, UserRole.EMPLOYEE, employee_id=me_id),
        boss=auth(tenant, UserRole.MANAGER, employee_id=boss_id),
        lms=lms,
        me_subject=f"employee:{me_id}",
        boss_subject=f"employee:{boss_id}",
        url=f"{API}/employees/{me_id}/skills/{world.skill['id']}",
        tenant=tenant,
    )


async def _current(client: Client, p: Profile) -> set[tuple[int, str]]:
    """The employee's current ratings of the world's skill, (level, source)."""
    response = await client.get(f"{API}/employees/{p.employee_id}/skills", headers=p.hr)
    assert response.status_code == 200, response.text
    return {(s["level"], s["source"]) for s in response.json()["items"] if s["skill_id"] == p.world.skill["id"]}


async def _history(client: Client, p: Profile) -> list[dict[str, Any]]:
    response = await client.get(f"{API}/employees/{p.employee_id}/skills/history", headers=p.hr)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


async def test_nobody_ends_a_rating_of_a_source_they_may_not_write(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory, register: Register
) -> None:
    p = await _profile(client, make_tenant, auth, register)
    await _ok(await client.put(p.url, json={"level": 4, "source": "self"}, headers=p.me))
    await _ok(await client.put(p.url, json={"level": 2, "source": "course"}, headers=p.lms))
    ratings = {(3, "manager"), (4, "self"), (2, "course")}
    assert await _current(client, p) == ratings

    # The employee may not end her manager's rating, the manager not hers, the LMS neither of theirs:
    # not by naming the source, nor by ending the skill as a whole.
    for headers, source in (
        (p.me, "manager"),
        (p.boss, "self"),
        (p.boss, "course"),
        (p.lms, "self"),
        (p.lms, "manager"),
    ):
        problem(await client.delete(p.url, params={"source": source}, headers=headers), 403)
    for headers in (p.me, p.boss, p.lms):
        problem(await client.delete(p.url, headers=headers), 403)
    assert await _current(client, p) == ratings
    assert all(h["valid_to"] is None for h in await _history(client, p))

    # Each ends its own, and the history says who ended it.
    await _ok(await client.delete(p.url, params={"source": "self"}, headers=p.me), 204)
    await _ok(await client.delete(p.url, params={"source": "manager"}, headers=p.boss), 204)
    assert await _current(client, p) == {(2, "course")}
    problem(await client.delete(p.url, params={"source": "self"}, headers=p.me), 404)
    ended = {h["source"]: h["ended_by"] for h in await _history(client, p) if h["valid_to"] is not None}
    assert ended == {"self": p.me_subject, "manager": p.boss_subject}


async def test_a_rating_supersedes_only_its_own_source(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory, register: Register
) -> None:
    p = await _profile(client, make_tenant, auth, register)
    # The employee's own rating, and an LMS's, stand beside the manager's: neither closes it.
    await _ok(await client.put(p.url, json={"level": 5, "source": "self"}, headers=p.me))
    await _ok(await client.put(p.url, json={"level": 2, "source": "course"}, headers=p.lms))
    assert await _current(client, p) == {(3, "manager"), (5, "self"), (2, "course")}

    # The manager changes theirs: only the manager rating gets a new version, the old one records who
    # closed it.
    await _ok(await client.put(p.url, json={"level": 4}, headers=p.boss))
    assert await _current(client, p) == {(4, "manager"), (5, "self"), (2, "course")}
    closed = [h for h in await _history(client, p) if h["valid_to"] is not None]
    assert [(h["level"], h["source"], h["ended_by"]) for h in closed] == [(3, "manager", p.boss_subject)]

    # Sources one may not write are refused, and change nothing.
    refused = problem(await client.put(p.url, json={"level": 1, "source": "self"}, headers=p.lms), 422)
    assert refused["errors"][0]["field"] == "source"
    problem(await client.put(p.url, json={"level": 1, "source": "manager"}, headers=p.me), 422)
    problem(await client.put(p.url, json={"level": 1, "source": "self"}, headers=p.boss), 422)
    assert await _current(client, p) == {(4, "manager"), (5, "self"), (2, "course")}


async def test_a_course_completion_adds_a_course_rating_and_keeps_the_others(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory, register: Register
) -> None:
    p = await _profile(client, make_tenant, auth, register)
    await _ok(await client.put(p.url, json={"level": 2, "source": "self"}, headers=p.me))
    course = await _ok(
        await client.post(
            f"{API}/courses",
            json={
                "provider": "Acme",
                "external_id": "dash-101",
                "title": "Dashboards in depth",
                "format": "online",
                "duration_hours": 6,
                "cost": 100,
                "currency": "EUR",
                "skills": [{"skill_id": p.world.skill["id"], "level_reached": 5}],
            },
            headers=p.hr,
        ),
        201,
    )
    completion = {"course_id": course["id"], "completed_on": dt.date.today().isoformat()}
    recorded = await _ok(
        await client.post(f"{API}/employees/{p.employee_id}/course-completions", json=completion, headers=p.lms), 201
    )
    assert [(r["from_level"], r["to_level"]) for r in recorded["skills_raised"]] == [(3, 5)]
    # The manager's and the employee's ratings stand; the course's is added beside them.
    assert await _current(client, p) == {(3, "manager"), (2, "self"), (5, "course")}
    assert all(h["ended_by"] is None for h in await _history(client, p))


async def test_ones_own_rating_defaults_to_self_and_evidence_is_needed_for_course_and_assessment(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory, register: Register
) -> None:
    p = await _profile(client, make_tenant, auth, register)
    mine = await _ok(await client.put(p.url, json={"level": 4}, headers=p.me))
    assert (mine["source"], mine["recorded_by"]) == ("self", p.me_subject)
    # A manager's rating of a report defaults to `manager`; HR names the source.
    assert (await _ok(await client.put(p.url, json={"level": 2}, headers=p.boss)))["source"] == "manager"
    assert problem(await client.put(p.url, json={"level": 2}, headers=p.hr), 422)["errors"][0]["field"] == "source"

    # A course or an assessment needs its evidence, unless the partner app that owns the source writes it.
    for headers, source in ((p.me, "course"), (p.hr, "course"), (p.hr, "assessment")):
        refused = problem(await client.put(p.url, json={"level": 5, "source": source}, headers=headers), 422)
        assert refused["errors"][0]["field"] == "evidence_url"
    assert await _current(client, p) == {(2, "manager"), (4, "self")}
    evidence = {"evidence_url": "https://lms.example/certificates/1"}
    assert (await _ok(await client.put(p.url, json={"level": 5, "source": "course", **evidence}, headers=p.me)))[
        "evidence_url"
    ] == evidence["evidence_url"]
    await _ok(await client.put(p.url, json={"level": 3, "source": "assessment", **evidence}, headers=p.hr))
    await _ok(await client.put(p.url, json={"level": 4, "source": "assessment"}, headers=p.lms))
    # An employee does not assess themselves, even with a link.
    problem(await client.put(p.url, json={"level": 5, "source": "assessment", **evidence}, headers=p.me), 422)
    assert await _current(client, p) == {(2, "manager"), (4, "self"), (5, "course"), (4, "assessment")}


async def test_an_hr_admin_writes_only_their_own_claims_on_their_own_profile(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory, register: Register
) -> None:
    p = await _profile(client, make_tenant, auth, register)
    me_id = uuid.UUID(p.employee_id)
    hr_self = auth(p.tenant, UserRole.HR_ADMIN, employee_id=me_id)
    # Her manager's rating of her (level 3) stays her manager's: she may not re-rate, re-date or end it.
    # (a source one may not write is a field's refusal on PUT, as for any employee; ending it, 403)
    problem(await client.put(p.url, json={"level": 5, "source": "manager"}, headers=hr_self), 422)
    problem(await client.put(p.url, json={"level": 5, "source": "peer"}, headers=hr_self), 422)
    problem(await client.delete(p.url, params={"source": "manager"}, headers=hr_self), 403)
    assert await _current(client, p) == {(3, "manager")}
    # Her own claim she writes, as any employee does; on someone else's profile she is HR again.
    await _ok(await client.put(p.url, json={"level": 4}, headers=hr_self))
    assert await _current(client, p) == {(3, "manager"), (4, "self")}
    other = f"{API}/employees/{p.world.manager['id']}/skills/{p.world.skill['id']}"
    await _ok(await client.put(other, json={"level": 2, "source": "manager"}, headers=hr_self))
