"""My notifications, in Chromium through the company's real OpenID provider: the header's unread count
leads to them, unread ones are marked, one is marked read by keyboard, the list pages as the API's
cursor does, "Unread only" is the API's `unread=true`, and "Mark all as read" empties the count. Over
HTTP with the same session: another person's notification is not found, and a write from another site
is refused. In Dutch (Ben's provider says nl-NL), a notification of a known kind is written in Dutch
from its kind and data; an unknown kind, or one stored before its kind named its data, is shown as
stored, marked English. axe checks every page; screenshots at 390 and 1440 px.

The fixture gives Ana (and Ben) notifications of their own and puts everything back afterwards: the
other test files share the company."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from playwright.async_api import Page, expect
from sqlalchemy import delete, select, update

from backend.notifications.kinds import NoticeKind
from backend.notifications.models import Notification
from backend.notifications.service import NotificationService
from tenants.sessions import Database
from tests.portal.conftest import Portal, Shots, assert_accessible, sign_in

HTML = {"Accept": "text/html,application/xhtml+xml"}
# More than a page (20), so the list has a next page.
MINE = 22


@dataclass(frozen=True)
class Told:
    unread_before: int
    bens: uuid.UUID


@pytest.fixture
async def told(portal: Portal, database: Database) -> AsyncIterator[Told]:
    ana, ben = portal.world.people["ana"], portal.world.people["ben"]
    async with database.tenant_session(portal.tenant) as session, session.begin():
        already_unread = list(
            await session.scalars(
                select(Notification.id).where(Notification.employee_id == ana, Notification.read_at.is_(None))
            )
        )
        service = NotificationService(session)
        for n in range(1, MINE + 1):
            await service.send(
                ana, kind="test.note", title=f"Note {n:02d}", body=f"Something to know, number {n}.", data={}
            )
        await service.send(ben, kind="test.note", title="Ben's own note", body="For Ben only.", data={})
        bens = await session.scalar(select(Notification.id).where(Notification.title == "Ben's own note"))
        assert bens is not None
    try:
        yield Told(len(already_unread), bens)
    finally:
        async with database.tenant_session(portal.tenant) as session, session.begin():
            await session.execute(delete(Notification).where(Notification.kind == "test.note"))
            if already_unread:
                await session.execute(
                    update(Notification).where(Notification.id.in_(already_unread)).values(read_at=None)
                )


def count_text(n: int) -> re.Pattern[str]:
    return re.compile(rf"^\s*{n}\s+unread notifications?\s*$")


async def test_a_person_reads_their_notifications_marks_one_by_keyboard_and_then_all(
    page: Page, portal: Portal, shots: Shots, told: Told
) -> None:
    unread = told.unread_before + MINE
    await page.goto(f"{portal.base_url}/auth/{portal.tenant.slug}/login")
    await sign_in(page, portal, "ana")
    header = page.locator("#unread-notifications")
    await expect(header).to_have_text(count_text(unread))

    # The header's count is the way in.
    await header.get_by_role("link").click()
    await page.wait_for_url(f"{portal.base_url}/notifications")
    await expect(page.get_by_role("heading", level=1)).to_have_text("My notifications")
    await expect(header.get_by_role("link")).to_have_attribute("aria-current", "page")
    items = page.locator("#notifications > li")
    await expect(items).to_have_count(20)
    first = items.filter(has_text="Note 01")
    await expect(first).to_contain_text("Something to know, number 1.")
    await expect(first.locator(".notification-state")).to_have_text("Unread")
    await assert_accessible(page)
    await shots(page, "notifications")

    # By keyboard: Tab to Note 01's "Mark as read", Enter.
    button = first.get_by_role("button", name="Mark as read")
    for _ in range(60):
        if await button.evaluate("element => element === document.activeElement"):
            break
        await page.keyboard.press("Tab")
    await expect(button).to_be_focused()
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{portal.base_url}/notifications")
    await expect(header).to_have_text(count_text(unread - 1))
    await expect(first.locator(".notification-state")).to_have_text("Read")
    await expect(first.get_by_role("button", name="Mark as read")).to_have_count(0)

    # Only the unread ones: Note 01 is not among them; the rest is on the next page.
    await page.get_by_role("link", name="Unread only").click()
    await page.wait_for_url(f"{portal.base_url}/notifications?unread=yes")
    await expect(page.get_by_role("link", name="Unread only")).to_have_attribute("aria-current", "page")
    await expect(items.filter(has_text="Note 01")).to_have_count(0)
    await expect(items.filter(has_text="Note 02").locator(".notification-state")).to_have_text("Unread")
    await page.get_by_role("link", name="Next page").click()
    await expect(items.filter(has_text=f"Note {MINE}")).to_have_count(1)
    await expect(page.get_by_role("link", name="First page")).to_be_visible()
    # Never anyone else's.
    await expect(page.get_by_text("Ben's own note")).to_have_count(0)

    # Marking one read on the second page comes back to the second page.
    second_page = page.url
    await items.filter(has_text=f"Note {MINE}").get_by_role("button", name="Mark as read").click()
    await page.wait_for_url(second_page)
    await expect(items.filter(has_text=f"Note {MINE}")).to_have_count(0)
    await expect(header).to_have_text(count_text(unread - 2))

    await page.get_by_role("button", name="Mark all as read").click()
    await page.wait_for_url(f"{portal.base_url}/notifications?unread=yes**")
    await expect(header).to_have_text(count_text(0))
    await page.goto(f"{portal.base_url}/notifications?unread=yes")
    await expect(page.locator("#no-notifications")).to_have_text("You have no unread notifications.")
    await expect(page.get_by_role("button", name="Mark all as read")).to_have_count(0)
    await assert_accessible(page)
    await shots(page, "notifications-all-read")

    # In Dutch.
    await page.get_by_role("button", name="Nederlands").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Mijn meldingen")
    await expect(page.locator("#no-notifications")).to_have_text("U hebt geen ongelezen meldingen.")


async def test_another_persons_notification_is_not_found_and_another_site_writes_nothing(
    page: Page, portal: Portal, told: Told, database: Database
) -> None:
    await page.goto(f"{portal.base_url}/auth/{portal.tenant.slug}/login")
    await sign_in(page, portal, "ana")
    own = {**HTML, "Origin": portal.base_url}
    bens = await page.request.post(f"{portal.base_url}/notifications/{told.bens}/read", headers=own, form={})
    assert bens.status == 404
    assert "Not found" in await bens.text()
    forged = await page.request.post(
        f"{portal.base_url}/notifications/read", headers={**HTML, "Origin": "https://evil.example"}, form={}
    )
    assert forged.status == 403
    # Another site's form is refused before its fields are read: a field the form does not have
    # changes nothing; from our own pages it is refused as any unknown parameter is (400).
    odd = {"up_to": "", "mark": "everything"}
    forged = await page.request.post(
        f"{portal.base_url}/notifications/read", headers={**HTML, "Origin": "https://evil.example"}, form=odd
    )
    assert forged.status == 403
    unknown = await page.request.post(f"{portal.base_url}/notifications/read", headers=own, form=odd)
    assert unknown.status == 400
    listed = await page.request.get(f"{portal.base_url}/notifications?unread=yes", headers=HTML)
    assert listed.status == 200
    assert "Note 01" in await listed.text()
    # A form pointing elsewhere comes back to the notifications, never to another site.
    away = await page.request.post(
        f"{portal.base_url}/notifications/read",
        headers=own,
        form={"next": "https://evil.example/x", "up_to": ""},
        max_redirects=0,
    )
    assert away.status == 303
    assert away.headers["location"] == "/notifications"
    # Ben's is still unread: Ana's "all" is only hers.
    async with database.tenant_session(portal.tenant) as session:
        assert await session.scalar(select(Notification.read_at).where(Notification.id == told.bens)) is None


@pytest.fixture
async def bens_notices(portal: Portal, database: Database) -> AsyncIterator[list[uuid.UUID]]:
    """Ben is told as the marketplace tells an applicant (the data its producer stores), and has one
    of the same kind stored before that kind named its data, and a note of a kind no code knows."""
    ben = portal.world.people["ben"]
    stage = {"application_id": str(uuid.uuid4()), "opportunity_id": str(uuid.uuid4()), "employee_id": str(ben)}
    async with database.tenant_session(portal.tenant) as session, session.begin():
        before = set(await session.scalars(select(Notification.id).where(Notification.employee_id == ben)))
        service = NotificationService(session)
        await service.send(
            ben,
            kind=NoticeKind.APPLICATION_STAGE,
            title="Your application to Harbour Analytics Lead: interview",
            body="Your application to Harbour Analytics Lead moved to interview.",
            data={**stage, "stage": "interview", "opening_title": "Harbour Analytics Lead"},
        )
        await service.send(
            ben,
            kind=NoticeKind.MENTORING_PAIRING_ENDED,
            title="Your mentoring with Ana has ended",
            body="Your pairing with Ana in Rotterdam Mentoring has ended. Reason: Doel bereikt.",
            data={"other_name": "Ana", "programme_name": "Rotterdam Mentoring", "reason": "Doel bereikt"},
        )
        session.add(
            Notification(
                employee_id=ben,
                kind=NoticeKind.APPLICATION_STAGE.value,
                title="Your application to Old Opening: offer",
                body="Your application to Old Opening moved to offer.",
                data={**stage, "stage": "offer"},
            )
        )
        await service.send(ben, kind="test.dutch", title="A note of no known kind", body="Stored.", data={})
        await session.flush()
        added = set(await session.scalars(select(Notification.id).where(Notification.employee_id == ben))) - before
    try:
        yield list(added)
    finally:
        async with database.tenant_session(portal.tenant) as session, session.begin():
            await session.execute(delete(Notification).where(Notification.id.in_(added)))


async def test_a_dutch_page_writes_each_known_notification_in_dutch_and_marks_the_rest_english(
    page: Page, portal: Portal, shots: Shots, bens_notices: list[uuid.UUID]
) -> None:
    await page.goto(f"{portal.base_url}/auth/{portal.tenant.slug}/login")
    await sign_in(page, portal, "ben")
    await page.goto(f"{portal.base_url}/notifications?unread=yes")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Mijn meldingen")
    items = page.locator("#notifications > li")

    moved = items.filter(has=page.get_by_role("heading", name="Uw sollicitatie op Harbour Analytics Lead: Gesprek"))
    await expect(moved).to_have_count(1)
    await expect(moved.locator(".portal-notification-body")).to_have_text(
        "Uw sollicitatie op Harbour Analytics Lead is nu in de fase: Gesprek."
    )
    await expect(moved.locator("[lang]")).to_have_count(0)
    ended = items.filter(has=page.get_by_role("heading", name="Uw mentoraat met Ana is beëindigd"))
    await expect(ended.locator(".portal-notification-body")).to_have_text(
        "Uw koppeling met Ana in Rotterdam Mentoring is beëindigd. Reden: Doel bereikt."
    )
    await expect(ended.get_by_role("button", name="Als gelezen markeren")).to_have_count(1)
    # No English words of these two reach the page.
    await expect(page.get_by_text("moved to interview")).to_have_count(0)
    await expect(page.get_by_text("has ended", exact=False)).to_have_count(0)

    # Stored before its kind named its data, and a kind no code knows: as stored, marked English.
    old = items.filter(has_text="Your application to Old Opening: offer")
    await expect(old.locator("h2")).to_have_attribute("lang", "en")
    await expect(old.locator(".portal-notification-body")).to_have_attribute("lang", "en")
    await expect(old.locator(".portal-notification-body")).to_have_text(
        "Your application to Old Opening moved to offer."
    )
    unknown = items.filter(has_text="A note of no known kind")
    await expect(unknown.locator("h2")).to_have_attribute("lang", "en")
    await assert_accessible(page)
    await shots(page, "notifications-dutch")
