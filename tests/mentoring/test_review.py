"""HR's review of a proposed run by hand: swapping the mentors of two pairs (scored by the solve's own
scoring, reasons written again), removing a pair (its mentee joins the waitlist), both previewed
first, both refused once the run is published, and only HR's (through the API)."""

from __future__ import annotations

import uuid

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from backend.auth.principal import UserRole
from backend.errors import ConflictError, InvalidInputError
from backend.mentoring.models import MenteeRequest, RunStatus
from backend.mentoring.runs import REMOVED, PairingRunService, RunEdit
from tenants.sessions import Database, TenantRef
from tests.conftest import TenantFactory, TokenFactory
from tests.helpers import problem
from tests.mentoring.seed import Org, add_mentee, add_mentor, compute, hr, seed_org
from tests.mentoring.test_runs import new_programme, pairs_of, publish, start, waitlist_of

Client = AsyncTestClient[Litestar]
API = "/api/v1"


async def review_pool(database: Database, tenant: TenantRef) -> tuple[uuid.UUID, Org, dict[str, uuid.UUID]]:
    """Mentors A (level 5) and B (level 2) of one skill, one place each; mentees X (level 3) and Y (not
    rated), all in one time zone. Scores (skill lead 0.4 x levels ahead / 5, time zone 0.15): X-A 0.31,
    X-B 0.15, Y-A 0.55, Y-B 0.31. The solve pairs X-B and Y-A (0.70); swapped: X-A and Y-B (0.62)."""
    org = await seed_org(
        database,
        tenant,
        managers=[None] * 4,
        departments=[0, 0, 0, 0],
        levels={(0, 0): 5, (1, 0): 2, (2, 0): 3},
        skills=1,
        tag="v",
    )
    programme_id = await new_programme(database, tenant)
    a, b, x, y = org.people
    ids = {
        "A": await add_mentor(database, tenant, programme_id, a, capacity=1, languages=["en"]),
        "B": await add_mentor(database, tenant, programme_id, b, capacity=1, languages=["en"]),
        "X": await add_mentee(database, tenant, programme_id, x, languages=["en"], wants=org.skills),
        "Y": await add_mentee(database, tenant, programme_id, y, languages=["en"], wants=org.skills),
    }
    return programme_id, org, ids


async def computed(
    database: Database, tenant: TenantRef
) -> tuple[uuid.UUID, dict[str, uuid.UUID], dict[str, uuid.UUID]]:
    """A computed run of the review pool: (run id, the pool's ids, each mentee's pairing id)."""
    programme_id, _, ids = await review_pool(database, tenant)
    run = await start(database, tenant, programme_id)
    await compute(database, tenant, run.id)
    pairs = {p.mentee_request_id: p for p in await pairs_of(database, tenant, run.id)}
    assert {r: p.mentor_profile_id for r, p in pairs.items()} == {ids["X"]: ids["B"], ids["Y"]: ids["A"]}
    return run.id, ids, {"X": pairs[ids["X"]].id, "Y": pairs[ids["Y"]].id}


async def swap(
    database: Database, tenant: TenantRef, run_id: uuid.UUID, first: uuid.UUID, second: uuid.UUID, *, dry_run: bool
) -> RunEdit:
    async with database.tenant_session(tenant) as session, session.begin():
        return await PairingRunService(session).swap(hr(tenant), run_id, first, second, dry_run=dry_run)


async def remove(
    database: Database, tenant: TenantRef, run_id: uuid.UUID, pairing: uuid.UUID, *, dry_run: bool
) -> RunEdit:
    async with database.tenant_session(tenant) as session, session.begin():
        return await PairingRunService(session).remove(hr(tenant), run_id, pairing, dry_run=dry_run)


async def test_a_swap_exchanges_the_mentors_and_moves_the_total_as_the_scoring_says(
    database: Database, make_tenant: TenantFactory
) -> None:
    tenant = make_tenant()
    run_id, ids, pairing = await computed(database, tenant)

    preview = await swap(database, tenant, run_id, pairing["X"], pairing["Y"], dry_run=True)
    assert (preview.total_before, preview.total_after) == (pytest.approx(0.70), pytest.approx(0.62))
    assert {p.mentee_request_id: (p.mentor_profile_id, p.score) for p in preview.pairings} == {
        ids["X"]: (ids["A"], pytest.approx(0.31)),
        ids["Y"]: (ids["B"], pytest.approx(0.31)),
    }
    # A preview writes nothing.
    stored = {p.mentee_request_id: p for p in await pairs_of(database, tenant, run_id)}
    assert stored[ids["X"]].mentor_profile_id == ids["B"]

    done = await swap(database, tenant, run_id, pairing["X"], pairing["Y"], dry_run=False)
    assert done.total_after == pytest.approx(0.62)
    stored = {p.mentee_request_id: p for p in await pairs_of(database, tenant, run_id)}
    assert {r: (p.mentor_profile_id, p.score) for r, p in stored.items()} == {
        ids["X"]: (ids["A"], pytest.approx(0.31)),
        ids["Y"]: (ids["B"], pytest.approx(0.31)),
    }
    # The reasons are those of the new pairs, as the run writes them: statements and their sentences.
    x = stored[ids["X"]].reasons
    assert x["statements"][0] == {"code": "mentor_level", "skill": "Skill 0 v", "theirs": 5, "mine": 3}
    assert x["sentences"][0] == "Mentor is level 5 in Skill 0 v, you are level 3"
    assert x["factors"]["skill_lead"]["value"] == pytest.approx(0.4)
    y = stored[ids["Y"]].reasons
    assert y["sentences"][0] == "Mentor is level 2 in Skill 0 v, you are not yet rated"
    async with database.tenant_session(tenant) as session:
        run = await PairingRunService(session).get(hr(tenant), run_id)
        assert run.total_score == pytest.approx(0.62)
        assert (run.matched, run.unmatched) == (2, 0)

    # Swapping back restores the solve's pairs and its total.
    back = await swap(database, tenant, run_id, pairing["Y"], pairing["X"], dry_run=False)
    assert back.total_after == pytest.approx(0.70)

    with pytest.raises(InvalidInputError):
        await swap(database, tenant, run_id, pairing["X"], pairing["X"], dry_run=False)
    with pytest.raises(InvalidInputError):
        await swap(database, tenant, run_id, pairing["X"], uuid.uuid4(), dry_run=False)


async def test_a_swap_a_hard_constraint_forbids_is_refused(database: Database, make_tenant: TenantFactory) -> None:
    """Y speaks only Dutch, as does its mentor C; X and A speak English: a swap would leave each pair
    without a shared language."""
    tenant = make_tenant()
    org = await seed_org(
        database, tenant, managers=[None] * 4, departments=[0] * 4, levels={(0, 0): 5, (1, 0): 4}, skills=1, tag="w"
    )
    programme_id = await new_programme(database, tenant)
    a, c, x, y = org.people
    await add_mentor(database, tenant, programme_id, a, capacity=1, languages=["en"])
    await add_mentor(database, tenant, programme_id, c, capacity=1, languages=["nl"])
    await add_mentee(database, tenant, programme_id, x, languages=["en"], wants=org.skills)
    await add_mentee(database, tenant, programme_id, y, languages=["nl"], wants=org.skills)
    run = await start(database, tenant, programme_id)
    await compute(database, tenant, run.id)
    first, second = await pairs_of(database, tenant, run.id)
    with pytest.raises(InvalidInputError, match="hard constraint"):
        await swap(database, tenant, run.id, first.id, second.id, dry_run=True)


async def test_removing_a_pair_puts_its_mentee_at_the_end_of_the_waitlist(
    database: Database, make_tenant: TenantFactory
) -> None:
    tenant = make_tenant()
    run_id, ids, pairing = await computed(database, tenant)
    preview = await remove(database, tenant, run_id, pairing["Y"], dry_run=True)
    assert (preview.total_before, preview.total_after) == (pytest.approx(0.70), pytest.approx(0.15))
    assert len(await pairs_of(database, tenant, run_id)) == 2
    assert await waitlist_of(database, tenant, run_id) == []

    done = await remove(database, tenant, run_id, pairing["Y"], dry_run=False)
    assert done.total_after == pytest.approx(0.15)
    assert [p.mentee_request_id for p in await pairs_of(database, tenant, run_id)] == [ids["X"]]
    waiting = await waitlist_of(database, tenant, run_id)
    assert [(w.mentee_request_id, w.position, w.reason_code) for w in waiting] == [(ids["Y"], 1, REMOVED)]
    assert waiting[0].reason == "HR took your proposed pair out of the run while reviewing it"
    async with database.tenant_session(tenant) as session:
        run = await PairingRunService(session).get(hr(tenant), run_id)
        assert (run.matched, run.unmatched, run.total_score) == (1, 1, pytest.approx(0.15))
    # Removed once: not a pair of the run any more.
    with pytest.raises(InvalidInputError):
        await remove(database, tenant, run_id, pairing["Y"], dry_run=False)


async def test_swap_and_remove_are_refused_once_the_run_is_published(
    database: Database, make_tenant: TenantFactory
) -> None:
    tenant = make_tenant()
    run_id, _, pairing = await computed(database, tenant)
    await publish(database, tenant, run_id)
    with pytest.raises(ConflictError, match="only a proposed run"):
        await swap(database, tenant, run_id, pairing["X"], pairing["Y"], dry_run=True)
    with pytest.raises(ConflictError, match="only a proposed run"):
        await remove(database, tenant, run_id, pairing["X"], dry_run=False)
    async with database.tenant_session(tenant) as session:
        assert (await PairingRunService(session).get(hr(tenant), run_id)).status == RunStatus.PUBLISHED


async def test_only_hr_swaps_and_removes_through_the_api(
    client: Client, make_tenant: TenantFactory, auth: TokenFactory, database: Database
) -> None:
    tenant = make_tenant()
    run_id, ids, pairing = await computed(database, tenant)
    swap_body = {"first_pairing_id": str(pairing["X"]), "second_pairing_id": str(pairing["Y"])}
    remove_body = {"pairing_id": str(pairing["Y"])}
    async with database.tenant_session(tenant) as session:
        mentee = await session.scalar(select(MenteeRequest.employee_id).where(MenteeRequest.id == ids["X"]))
    employee = auth(tenant, UserRole.EMPLOYEE, employee_id=mentee)
    problem(await client.post(f"{API}/mentoring/runs/{run_id}/swap", json=swap_body, headers=employee), 403)
    problem(await client.post(f"{API}/mentoring/runs/{run_id}/remove", json=remove_body, headers=employee), 403)
    headers = auth(tenant)
    preview = await client.post(
        f"{API}/mentoring/runs/{run_id}/swap", json={**swap_body, "dry_run": True}, headers=headers
    )
    assert preview.status_code == 200, preview.text
    assert preview.json()["total_after"] == pytest.approx(0.62)
    assert preview.json()["dry_run"] is True
    done = await client.post(f"{API}/mentoring/runs/{run_id}/swap", json=swap_body, headers=headers)
    assert done.status_code == 200, done.text
    assert {p["mentee_request_id"]: p["mentor_profile_id"] for p in done.json()["pairings"]} == {
        str(ids["X"]): str(ids["A"]),
        str(ids["Y"]): str(ids["B"]),
    }
    removed = await client.post(f"{API}/mentoring/runs/{run_id}/remove", json=remove_body, headers=headers)
    assert removed.status_code == 200, removed.text
    assert removed.json()["waitlisted"]["reason_code"] == "removed"
    assert removed.json()["run"]["matched"] == 1
    await publish(database, tenant, run_id)
    problem(await client.post(f"{API}/mentoring/runs/{run_id}/swap", json=swap_body, headers=headers), 409)
