"""Review of the HR workspace (branch i18): each test shows one fault found in review, and fails until it
is fixed. Over HTTP as Hilde (HR), through the company's real OpenID provider, as the workspace's own
tests do (tests/portal/test_hr_people.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
from playwright.async_api import Page
from sqlalchemy import delete

from backend.marketplace.models import Opportunity, OpportunityKind
from backend.marketplace.opportunities import OpportunityService
from backend.marketplace.schemas import OpportunityCreate
from backend.partners.models import PartnerClient
from backend.partners.service import PartnerClientService
from backend.training.courses import CourseService
from backend.training.schemas import CourseRead
from tenants.sessions import Database
from tests.portal.conftest import Portal
from tests.portal.test_hr_learning import a_course, made  # noqa: F401 - a course, removed afterwards
from tests.portal.test_hr_openings import MADE, hr
from tests.portal.test_hr_openings import made as openings_made  # noqa: F401 - openings removed afterwards
from tests.portal.test_hr_people import HTML, signed_in
from tests.portal.test_hr_settings import policy_kept  # noqa: F401 - the mobility policy put back afterwards


async def hildes_client(page: Page, portal: Portal, language: str = "en") -> httpx.AsyncClient:
    await page.context.clear_cookies()
    await signed_in(page, portal, "hilde", language)
    cookies = {c["name"]: c["value"] for c in await page.context.cookies(portal.base_url)}
    return httpx.AsyncClient(base_url=portal.base_url, headers=HTML, cookies=cookies)


async def test_a_period_out_of_the_calendar_is_refused_beside_its_field_not_a_500(page: Page, portal: Portal) -> None:
    """Class 4. `_month` (hr_analytics.py) builds dt.date(year 0000) and the audit log's `until` adds a day
    to 9999-12-31: both raise outside the handler, so the page answers 500 instead of the refusal beside
    the field (422) that every other unreadable period gets."""
    wrong: list[tuple[str, dict[str, str], int]] = []
    async with await hildes_client(page, portal) as hers:
        for path, params in (
            ("/hr/analytics", {"start": "0000-01"}),
            ("/hr/analytics", {"end": "0000-06"}),
            ("/hr/analytics/mobility.csv", {"start": "0000-01"}),
            ("/hr/analytics/audit", {"until": "9999-12-31"}),
        ):
            answer = await hers.get(path, params=params)
            wrong.extend([(path, params, answer.status_code)] if answer.status_code not in (400, 422) else [])
    assert wrong == []


async def test_a_grace_that_is_not_a_finite_number_is_refused_beside_its_field_not_a_500(
    page: Page, portal: Portal, database: Database
) -> None:
    """Class 4. hr_settings.py `rotate_partner`: `float("nan")` and `float("inf")` are read as numbers, and
    `round(hours * 3600)` then raises ValueError / OverflowError inside the write, which `attempt` does
    not turn into a refusal: the page answered 500 instead of "Give a number of hours from 0 to ..."
    beside the field (422). Nothing is rotated. (An app that is not the company's is not found.)"""
    async with database.control_session() as session, session.begin():
        made = await PartnerClientService(session, portal.tenant.id).create(
            name=f"Grace test {uuid.uuid4().hex[:6]}", scopes=["org:read"], created_by="test:hr"
        )
    client = made.client
    try:
        async with await hildes_client(page, portal) as hers:
            for typed in ("nan", "inf"):
                answer = await hers.post(
                    f"/hr/settings/partners/{client.id}/rotate",
                    data={"grace_hours": typed},
                    headers={"Origin": portal.base_url},
                )
                assert answer.status_code == 422, (typed, answer.status_code)
                assert 'id="grace_hours-error"' in answer.text
            unknown = await hers.post(
                f"/hr/settings/partners/{uuid.uuid4()}/rotate",
                data={"grace_hours": "nan"},
                headers={"Origin": portal.base_url},
            )
            assert unknown.status_code == 404
        async with database.control_session() as session:
            kept = await session.get(PartnerClient, client.id)
            assert kept is not None
            assert kept.secret_hash == client.secret_hash
    finally:
        async with database.control_session() as session, session.begin():
            await session.execute(delete(PartnerClient).where(PartnerClient.id == client.id))


async def test_the_audit_log_in_dutch_names_the_policy_it_changed_in_dutch(
    policy_kept: dict[str, Any] | None,  # noqa: F811
    page: Page,
    portal: Portal,
) -> None:
    """Class 4 (strings not through gettext). hr_analytics.py `_readable`: a value of an entry's details
    that is not a stage or a release is shown as stored with its underscores made spaces, so a change
    of the mobility policy reads "at application → never before move" in English on the Dutch page,
    while the policy page itself names these choices in Dutch (hr_settings.py's NOTICES words)."""
    current = policy_kept["manager_notice"].value if policy_kept else None
    new = "never_before_move" if current != "never_before_move" else "at_application"
    async with await hildes_client(page, portal, "nl") as hers:
        saved = await hers.post(
            "/hr/settings/policy",
            data={"manager_notice": new, "release_days": str(policy_kept["release_days"] if policy_kept else 14)},
            headers={"Origin": portal.base_url},
        )
        assert saved.status_code == 303, saved.text
        today = dt.datetime.now(dt.UTC).date().isoformat()
        log = await hers.get("/hr/analytics/audit", params={"action": "mobility_policy.changed", "since": today})
        assert log.status_code == 200
        assert 'lang="nl"' in log.text
        english = [words for words in ("at application", "at offer", "never before move") if words in log.text]
        assert english == []


async def test_a_currency_typed_in_lower_case_is_refused_as_the_api_refuses_it(
    page: Page,
    portal: Portal,
    database: Database,
    a_course: CourseRead,  # noqa: F811
) -> None:
    """Class 3 (identifiers compared loosely). hr_learning.py `CourseForm.payload` sends
    `currency.strip().upper()`: the API's `Currency` is exactly `^[A-Z]{3}$` and refuses "eur" (422),
    the page turns it into EUR and saves, and upper() also makes lookalikes into codes (the dotless
    "\u0131" of "\u0131dr" becomes IDR). The form should be refused beside the currency, nothing saved."""
    form = {
        "title": "Renamed by a lower-case currency",
        "provider": a_course.provider,
        "format": "online",
        "duration_hours": "2",
        "cost": "10",
        "currency": "eur",
        "external_id": "",
        "url": "",
        "description": "",
        "q": "",
        "intent": "save",
    }
    async with await hildes_client(page, portal) as hers:
        answer = await hers.post(f"/hr/learning/{a_course.id}", data=form, headers={"Origin": portal.base_url})
        assert answer.status_code == 422, answer.status_code
        assert 'id="currency-error"' in answer.text
    async with database.tenant_session(portal.tenant) as session:
        assert (await CourseService(session).get(a_course.id)).title == a_course.title


async def test_an_edit_naming_a_hiring_manager_not_in_the_directory_is_refused_and_keeps_the_one_there(
    page: Page,
    portal: Portal,
    database: Database,
    openings_made: list[uuid.UUID],  # noqa: F811
) -> None:
    """Class 3 (an id not refused; a refusal that changes data). hiring.py `read_posting_form` /
    `_manager`: a `hiring_manager_id` that is nobody in the directory (made up, or another company's
    person) is "left out", and `PostingForm.payload` then sends `hiring_manager_id: null`, so the edit
    is saved (303) with the opening's hiring manager removed. The API refuses the same PATCH (422,
    "employee ... does not exist or has left"); the page should refuse it beside the hiring manager and
    keep Hm."""
    async with database.tenant_session(portal.tenant) as session, session.begin():
        opening = await OpportunityService(session).create(
            hr(portal.tenant),
            OpportunityCreate(
                title=f"{MADE}review draft",
                kind=OpportunityKind.GIG,
                description="A draft whose hiring manager is Hm.",
                hiring_manager_id=portal.world.people["hm"],
                hours_per_week=2,
                duration_weeks=8,
            ),
        )
    form = {
        "title": f"{MADE}review draft",
        "kind": "gig",
        "description": "A draft whose hiring manager is Hm.",
        "role_id": "",
        "org_unit_id": "",
        "location": "",
        "hours_per_week": "2",
        "duration_weeks": "8",
        "q": "",
        "intent": "save",
        "hiring_manager_id": str(uuid.uuid4()),
        "manager_q": "",
    }
    async with await hildes_client(page, portal) as hers:
        answer = await hers.post(f"/hr/openings/{opening.id}/edit", data=form, headers={"Origin": portal.base_url})
    async with database.tenant_session(portal.tenant) as session:
        kept = await session.get(Opportunity, opening.id)
        assert kept is not None
        manager = kept.hiring_manager_id
    assert (answer.status_code, manager) == (422, portal.world.people["hm"])
