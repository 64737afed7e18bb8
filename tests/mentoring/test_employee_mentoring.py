"""One person's mentoring for HR's People page: their requests (`MenteeRequestService.of_employee`),
their offers (`MentorProfileService.of_employee`) in every programme, and their pairings
(`PairingService.list(employee_id=...)`), each as the programme-wide lists show them to the caller:
HR everything, drafts included; anyone else no draft, no one else's request, no paused offer of
someone else, no one else's pairing."""

from __future__ import annotations

import secrets
import uuid

from sqlalchemy import update

from backend.auth.principal import Principal
from backend.mentoring.models import MentorProfile, PairingState, ProgrammeStatus
from backend.mentoring.pairings import PairingService
from backend.mentoring.profiles import MentorProfileService
from backend.mentoring.requests import MenteeRequestService
from tenants.sessions import Database
from tests.conftest import TenantFactory
from tests.mentoring.seed import add_mentee, add_mentor, add_pairing, add_programme, employee, hr, seed_org


async def test_a_persons_requests_offers_and_pairings_as_each_caller_may_see_them(
    make_tenant: TenantFactory, database: Database
) -> None:
    tenant = make_tenant(f"mine_{secrets.token_hex(3)}")
    org = await seed_org(database, tenant, managers=[None, None, None], departments=[0, 0, 0], levels={}, skills=1)
    mentee, mentor, other = org.people
    open_one = await add_programme(database, tenant, "Open", ProgrammeStatus.OPEN)
    draft = await add_programme(database, tenant, "Draft", ProgrammeStatus.DRAFT)
    in_open = await add_mentee(database, tenant, open_one, mentee, languages=["en"])
    in_draft = await add_mentee(database, tenant, draft, mentee, languages=["en"])
    offer = await add_mentor(database, tenant, open_one, mentor, capacity=2, languages=["en"])
    paused = await add_mentor(database, tenant, draft, mentor, capacity=1, languages=["en"])
    async with database.tenant_session(tenant) as session, session.begin():
        await session.execute(update(MentorProfile).where(MentorProfile.id == paused).values(active=False))
    pairing = await add_pairing(
        database, tenant, open_one, profile_id=offer, request_id=in_open, state=PairingState.PUBLISHED
    )

    async with database.tenant_session(tenant) as session, session.begin():
        requests, profiles, pairings = (
            MenteeRequestService(session),
            MentorProfileService(session),
            PairingService(session),
        )

        async def paired(principal: Principal, person: uuid.UUID) -> list[uuid.UUID]:
            found, _ = await pairings.list(
                principal, programme_id=None, state=None, cursor=None, limit=10, employee_id=person
            )
            return [p.id for p in found]

        assert [r.id for r in await requests.of_employee(hr(tenant), mentee)] == [in_open, in_draft]
        assert [r.id for r in await requests.of_employee(employee(tenant, mentee), mentee)] == [in_open]
        assert await requests.of_employee(employee(tenant, other), mentee) == []
        assert [p.id for p in await profiles.of_employee(hr(tenant), mentor)] == [offer, paused]
        assert [p.id for p in await profiles.of_employee(employee(tenant, other), mentor)] == [offer]
        assert await paired(hr(tenant), mentee) == [pairing]
        assert await paired(hr(tenant), mentor) == [pairing]
        assert await paired(hr(tenant), other) == []
        assert await paired(employee(tenant, mentee), mentee) == [pairing]
        # Another person asking after someone's pairings still reads only their own.
        assert await paired(employee(tenant, other), mentee) == []
