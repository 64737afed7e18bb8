"""Review of the HR workspace (branch i18): each test shows one fault found in review, and fails until it
is fixed. Over HTTP as Hilde (HR), through the company's real OpenID provider, as the workspace's own
tests do (tests/portal/test_hr_people.py)."""

from __future__ import annotations

import uuid

import httpx
from playwright.async_api import Page

from tests.portal.conftest import Portal
from tests.portal.test_hr_people import HTML, signed_in


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
    page: Page, portal: Portal
) -> None:
    """Class 4. hr_settings.py `rotate_partner`: `float("nan")` and `float("inf")` are read as numbers, and
    `round(hours * 3600)` then raises ValueError / OverflowError inside the write, which `attempt` does
    not turn into a refusal: the page answers 500 instead of "Give a number of hours from 0 to ..."
    beside the field (422). (Nothing is rotated: the error comes before the service is called, so any
    partner id shows it.)"""
    async with await hildes_client(page, portal) as hers:
        for typed in ("nan", "inf"):
            answer = await hers.post(
                f"/hr/settings/partners/{uuid.uuid4()}/rotate",
                data={"grace_hours": typed},
                headers={"Origin": portal.base_url},
            )
            assert answer.status_code == 422, (typed, answer.status_code)
            assert 'id="grace_hours' in answer.text or "grace_hours" in answer.text
