"""Precomputed matching through the API: recommendations with their reasons, candidates by each
person's open-to-move choice (and the audit log of who saw them), next roles, weights, and the
debounced refresh."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from backend.aspirations.models import Aspiration, OpenToMove
from backend.audit.models import AuditEvent
from backend.auth.principal import UserRole
from backend.core.jobs.models import Job
from backend.matching.models import MatchingChange, OpportunityCandidate, OpportunityRecommendation
from backend.matching.service import RECOMPUTE, enqueue_if_due
from tenants.sessions import Database
from tests.conftest import TenantFactory, TokenFactory
from tests.helpers import problem
from tests.matching.world import World, recompute

Client = AsyncTestClient[Litestar]
API = "/api/v1"


async def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def test_my_recommendations_say_why_and_when(client: Client, auth: TokenFactory, world: World) -> None:
    ana = auth(world.tenant, UserRole.EMPLOYEE, employee_id=world.people["ana"])
    body = await ok(await client.get(f"{API}/me/recommendations", headers=ana))
    assert body["computed_at"] is not None
    assert body["pending_changes"] is False
    # The Sales project is visible to Sales only, the draft to nobody but its owners.
    assert [item["opportunity"]["id"] for item in body["items"]] == [str(world.analyst)]
    match = body["items"][0]["match"]
    assert match["score"] == pytest.approx(sum(match["factors"].values()), abs=1e-5)
    assert set(match["factors"]) == {
        "required_skills",
        "nice_to_have_skills",
        "adjacent_skills",
        "aspirations",
        "level_fit",
        "location_fit",
    }
    assert match["summary"] == "You have 1 of 2 required skills; missing: Tableau (level 2 of 3)."
    assert [(m["label"], m["have"], m["need"]) for m in match["missing"]] == [
        ("Tableau", 2, 3),
        ("Statistics", 0, 2),
    ]
    assert [(m["label"], m["have"], m["need"]) for m in match["matched"]] == [("SQL", 4, 3)]
    # Same location, same level: both fit fully.
    assert match["factors"]["location_fit"] > 0
    assert match["factors"]["level_fit"] > 0

    ben = auth(world.tenant, UserRole.EMPLOYEE, employee_id=world.people["ben"])
    ben_items = (await ok(await client.get(f"{API}/me/recommendations", headers=ben)))["items"]
    assert {item["opportunity"]["id"] for item in ben_items} == {str(world.analyst), str(world.sales_project)}
    # Ben has SQL 2 of 2 for the Sales project and SQL 2 of 3 for the analyst gig: the project ranks first.
    assert ben_items[0]["opportunity"]["id"] == str(world.sales_project)
    assert ben_items[0]["match"]["summary"] == "You have 1 of 1 required skills."


async def test_candidates_follow_each_persons_choice_and_are_audited(
    client: Client, auth: TokenFactory, world: World, database: Database
) -> None:
    people = {value: key for key, value in world.people.items()}
    url = f"{API}/opportunities/{world.analyst}/candidates"
    hm = auth(world.tenant, UserRole.MANAGER, employee_id=world.people["hm"])
    shown = await ok(await client.get(url, headers=hm))
    # Dan is open to hiring managers; Ana too, but the hiring manager is her own manager; Ben chose
    # HR only; Cara is hidden.
    assert [people[uuid.UUID(c["employee"]["id"])] for c in shown["items"]] == ["dan"]
    assert shown["audience"] == "hiring_managers"

    hr = auth(world.tenant, UserRole.HR_ADMIN, employee_id=None)
    by_hr = await ok(await client.get(url, headers=hr))
    names = [people[uuid.UUID(c["employee"]["id"])] for c in by_hr["items"]]
    assert sorted(names) == ["ana", "ben", "dan"]
    scores = [c["match"]["score"] for c in by_hr["items"]]
    assert scores == sorted(scores, reverse=True)

    async with database.tenant_session(world.tenant) as session:
        events = (
            await session.execute(
                select(AuditEvent.actor_employee_id, AuditEvent.subject_employee_id, AuditEvent.action).where(
                    AuditEvent.action == "candidates.viewed"
                )
            )
        ).all()
    assert sorted((actor, people[subject]) for actor, subject, _ in events if actor == world.people["hm"]) == [
        (world.people["hm"], "dan")
    ]
    assert sorted(people[subject] for actor, subject, _ in events if actor is None) == ["ana", "ben", "dan"]

    # Someone who changes their mind drops out at once, before any recompute.
    async with database.tenant_session(world.tenant) as session, session.begin():
        dan = await session.get_one(Aspiration, world.people["dan"])
        dan.open_to_move = OpenToMove.HIDDEN
    assert (await ok(await client.get(url, headers=hm)))["items"] == []


async def test_candidates_are_for_hr_and_the_hiring_manager_of_that_tenant_only(
    client: Client, auth: TokenFactory, world: World, make_tenant: TenantFactory
) -> None:
    url = f"{API}/opportunities/{world.analyst}/candidates"
    dan = auth(world.tenant, UserRole.EMPLOYEE, employee_id=world.people["dan"])
    problem(await client.get(url, headers=dan), 403)
    stranger = auth(make_tenant(), UserRole.HR_ADMIN)
    problem(await client.get(url, headers=stranger), 404)


async def test_recompute_is_idempotent_and_identical_inputs_give_identical_scores(
    world: World, database: Database
) -> None:
    async def stored() -> tuple[list[Any], list[Any]]:
        async with database.tenant_session(world.tenant) as session:
            recommendations = (
                await session.execute(
                    select(
                        OpportunityRecommendation.employee_id,
                        OpportunityRecommendation.rank,
                        OpportunityRecommendation.opportunity_id,
                        OpportunityRecommendation.score,
                        OpportunityRecommendation.contributions,
                    ).order_by(OpportunityRecommendation.employee_id, OpportunityRecommendation.rank)
                )
            ).all()
            candidates = (
                await session.execute(
                    select(
                        OpportunityCandidate.opportunity_id,
                        OpportunityCandidate.pool,
                        OpportunityCandidate.rank,
                        OpportunityCandidate.employee_id,
                        OpportunityCandidate.score,
                    ).order_by(
                        OpportunityCandidate.opportunity_id, OpportunityCandidate.pool, OpportunityCandidate.rank
                    )
                )
            ).all()
        return list(recommendations), list(candidates)

    first = await stored()
    assert first[0]
    assert first[1]
    await recompute(database, world.tenant)
    assert await stored() == first
    # Nobody is recommended their own opening (the hiring manager) or anything not open.
    recommended = {(row[0], row[2]) for row in first[0]}
    assert (world.people["hm"], world.analyst) not in recommended
    assert all(row[2] != world.draft for row in first[0])


async def test_changes_are_debounced_into_one_recompute(
    client: Client, auth: TokenFactory, world: World, database: Database
) -> None:
    ana = auth(world.tenant, UserRole.EMPLOYEE, employee_id=world.people["ana"])
    for level in (3, 4):
        await ok(
            await client.put(
                f"{API}/employees/{world.people['ana']}/skills/{world.skills['Tableau']}",
                json={"level": level, "source": "self"},
                headers=ana,
            )
        )
    body = await ok(await client.get(f"{API}/me/recommendations", headers=ana))
    assert body["pending_changes"] is True
    # Skill lists are live: Tableau now meets the target, before any recompute.
    assert body["items"][0]["match"]["summary"] == "You have 2 of 2 required skills."

    async with database.tenant_session(world.tenant) as session, session.begin():
        # Still within the quiet period: nothing yet.
        assert await enqueue_if_due(session, debounce=3600, max_wait=3600) is None
        first = await enqueue_if_due(session, debounce=0, max_wait=3600)
        again = await enqueue_if_due(session, debounce=0, max_wait=3600)
    assert first is not None
    assert again is not None
    assert first.id == again.id
    async with database.tenant_session(world.tenant) as session:
        jobs = await session.scalar(select(func.count()).select_from(Job).where(Job.kind == RECOMPUTE))
    assert jobs == 1

    await recompute(database, world.tenant)
    async with database.tenant_session(world.tenant) as session:
        assert await session.scalar(select(func.count()).select_from(MatchingChange)) == 0
    body = await ok(await client.get(f"{API}/me/recommendations", headers=ana))
    assert body["pending_changes"] is False
    assert body["items"][0]["match"]["factors"]["required_skills"] > 0


async def test_next_roles_follow_the_career_paths(client: Client, auth: TokenFactory, world: World) -> None:
    url = f"{API}/employees/{world.people['ana']}/next-roles"
    ana = auth(world.tenant, UserRole.EMPLOYEE, employee_id=world.people["ana"])
    mine = await ok(await client.get(url, headers=ana))
    assert mine["aspirations_included"] is True
    steps = {item["title"]: item for item in mine["items"]}
    assert set(steps) == {"Analyst", "Senior Analyst"}
    assert steps["Analyst"]["steps"] == 1
    assert steps["Senior Analyst"]["steps"] == 2
    assert steps["Senior Analyst"]["via_role_id"] == str(world.roles["Analyst"])
    assert steps["Senior Analyst"]["typical_months"] == 42
    assert steps["Senior Analyst"]["aspired"] is True
    assert steps["Senior Analyst"]["match"]["factors"]["aspirations"] > 0
    assert steps["Analyst"]["match"]["summary"] == "You have 1 of 2 required skills; missing: Tableau (level 2 of 3)."
    scores = [item["match"]["score"] for item in mine["items"]]
    assert scores == sorted(scores, reverse=True)

    # Her manager coaches her without learning what she aims at.
    hm = auth(world.tenant, UserRole.MANAGER, employee_id=world.people["hm"])
    theirs = await ok(await client.get(url, headers=hm))
    assert theirs["aspirations_included"] is False
    assert all(item["match"]["factors"]["aspirations"] == 0 for item in theirs["items"])
    assert all(item["aspired"] is False for item in theirs["items"])

    ben = auth(world.tenant, UserRole.EMPLOYEE, employee_id=world.people["ben"])
    problem(await client.get(url, headers=ben), 404)


async def test_weights_are_hrs_and_validated(
    client: Client, auth: TokenFactory, world: World, database: Database
) -> None:
    hr = auth(world.tenant, UserRole.HR_ADMIN)
    url = f"{API}/matching/weights"
    defaults = await ok(await client.get(url, headers=hr))
    assert sum(defaults.values()) == pytest.approx(1.0)
    chosen = {**defaults, "location_fit": 0.0, "aspirations": 0.3}
    assert await ok(await client.put(url, json=chosen, headers=hr)) == chosen
    assert await ok(await client.get(url, headers=hr)) == chosen

    bad = problem(await client.put(url, json={**chosen, "level_fit": -1}, headers=hr), 400)
    assert "level_fit" in bad["detail"] or "level_fit" in str(bad.get("errors", ""))
    employee = auth(world.tenant, UserRole.EMPLOYEE, employee_id=world.people["ana"])
    problem(await client.put(url, json=defaults, headers=employee), 403)
    assert await ok(await client.get(url, headers=hr)) == chosen

    await recompute(database, world.tenant)
    ana = auth(world.tenant, UserRole.EMPLOYEE, employee_id=world.people["ana"])
    body = await ok(await client.get(f"{API}/me/recommendations", headers=ana))
    assert body["items"][0]["match"]["factors"]["location_fit"] == 0


async def test_hr_starts_a_recompute_as_a_job(client: Client, auth: TokenFactory, world: World) -> None:
    hr = auth(world.tenant, UserRole.HR_ADMIN)
    job = await ok(await client.post(f"{API}/matching/recompute", headers=hr), 202)
    assert job["kind"] == RECOMPUTE
    assert job["status"] == "queued"
    employee = auth(world.tenant, UserRole.EMPLOYEE, employee_id=world.people["ana"])
    problem(await client.post(f"{API}/matching/recompute", headers=employee), 403)


async def test_the_hiring_manager_sees_applicants_ranked_with_their_match(
    client: Client, auth: TokenFactory, world: World
) -> None:
    url = f"{API}/opportunities/{world.analyst}/applications"
    for name in ("dan", "ben", "ana"):
        applicant = auth(world.tenant, UserRole.EMPLOYEE, employee_id=world.people[name])
        await ok(await client.post(url, json={"kind": "application"}, headers=applicant), 201)
    hm = auth(world.tenant, UserRole.MANAGER, employee_id=world.people["hm"])
    page = await ok(await client.get(url, params={"limit": 2}, headers=hm))
    rest = await ok(await client.get(url, params={"limit": 2, "cursor": page["cursor"]}, headers=hm))
    items = page["items"] + rest["items"]
    assert rest["cursor"] is None
    people = {str(value): key for key, value in world.people.items()}
    scores = [item["match"]["score"] for item in items]
    assert scores == sorted(scores, reverse=True)
    assert sorted(people[item["employee_id"]] for item in items) == ["ana", "ben", "dan"]
    by_name = {people[item["employee_id"]]: item["match"] for item in items}
    # Ana has SQL 4 of 3 and Tableau 2 of 3; Ben has SQL 2 of 3 and no Tableau.
    assert by_name["ana"]["summary"] == "Has 1 of 2 required skills; missing: Tableau (level 2 of 3)."
    assert by_name["ben"]["summary"] == "Has 0 of 2 required skills; missing: SQL (level 2 of 3), Tableau (level 3)."
    assert by_name["ana"]["score"] > by_name["ben"]["score"]
    for match in by_name.values():
        assert match["score"] == pytest.approx(sum(match["factors"].values()), abs=1e-5)
    # The applicant's own view carries no match: ranking is the hiring side's.
    ana = auth(world.tenant, UserRole.EMPLOYEE, employee_id=world.people["ana"])
    mine = await ok(await client.get(f"{API}/me/applications", headers=ana))
    assert [item["match"] for item in mine["items"]] == [None]
