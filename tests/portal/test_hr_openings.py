"""The HR workspace's openings, in Chromium through the company's real OpenID provider, as Hilde (HR):
every opening of the company filtered by status; a gig posted with a skill found by typing for a hiring
manager chosen by name (saved without one first: refused beside the field, everything typed kept), then
opened, and read back through the API; the pipeline board of an opening where Dan's and Cara's
applications (made through the service the API's apply route calls) wait, Dan's moved across two
columns by keyboard alone, Cara's rejection refused without its reason and then made with it; the board
at 820 px scrolls within itself; the candidates exactly as the API lists them for HR; the board in
Dutch. Over HTTP: Ana (an employee) and Hm (a manager) are refused every page and write (403), another
site's form is refused, and a form with a field it does not have is a 400 that changes nothing.

Everything made here (the openings, their applications and what those sent) is deleted afterwards: the
other tests read the same company."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from playwright.async_api import Page, expect
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principal import Principal, UserRole, scopes_for
from backend.marketplace.applications import ApplicationService
from backend.marketplace.models import (
    Application,
    ApplicationStage,
    ManagerRelease,
    ManagerReleaseEvent,
    Move,
    Opportunity,
    OpportunityKind,
)
from backend.marketplace.opportunities import OpportunityService
from backend.marketplace.schemas import ApplicationCreate, OpportunityCreate, OpportunitySkillSet, StageChange
from backend.notifications.models import Notification
from backend.org.models import Employee
from backend.portal.i18n import LANGUAGE_COOKIE
from tenants.base import new_id
from tenants.sessions import Database, TenantRef
from tests.conftest import TokenFactory
from tests.portal.conftest import Portal, Shots, assert_accessible, sign_in

HTML = {"Accept": "text/html,application/xhtml+xml"}
API = "/api/v1"
# The prefix of every opening these tests make (and delete afterwards).
MADE = "HR openings test "


def person(tenant: TenantRef, employee_id: uuid.UUID) -> Principal:
    roles = frozenset({UserRole.EMPLOYEE})
    return Principal(tenant, f"employee:{employee_id}", employee_id, roles, scopes_for(roles))


def hr(tenant: TenantRef) -> Principal:
    roles = frozenset({UserRole.HR_ADMIN})
    return Principal(tenant, "test:hr", None, roles, scopes_for(roles))


async def signed_in(page: Page, portal: Portal, login: str, language: str = "en") -> None:
    await page.context.add_cookies([{"name": LANGUAGE_COOKIE, "value": language, "url": portal.base_url}])
    await page.goto(f"{portal.base_url}/auth/{portal.tenant.slug}/login")
    await sign_in(page, portal, login)


async def session_of(page: Page, portal: Portal, login: str) -> httpx.AsyncClient:
    """An HTTP client with the portal session `login` got by signing in in the browser."""
    await signed_in(page, portal, login)
    cookies = {c["name"]: c["value"] for c in await page.context.cookies(portal.base_url)}
    return httpx.AsyncClient(base_url=portal.base_url, headers=HTML, cookies=cookies)


@pytest.fixture
async def made(portal: Portal, database: Database) -> AsyncIterator[list[uuid.UUID]]:
    """Whatever these tests make goes again afterwards: the openings, their applications, releases,
    moves and the notifications those sent, and the people a test adds (it appends their ids)."""
    people: list[uuid.UUID] = []
    yield people
    async with database.tenant_session(portal.tenant) as session, session.begin():
        openings = select(Opportunity.id).where(Opportunity.title.startswith(MADE))
        applications = select(Application.id).where(Application.opportunity_id.in_(openings))
        releases = select(ManagerRelease.id).where(ManagerRelease.application_id.in_(applications))
        told = [str(i) for i in await session.scalars(applications)]
        await session.execute(delete(Notification).where(Notification.data["application_id"].astext.in_(told)))
        await session.execute(delete(ManagerReleaseEvent).where(ManagerReleaseEvent.release_id.in_(releases)))
        await session.execute(delete(ManagerRelease).where(ManagerRelease.application_id.in_(applications)))
        await session.execute(delete(Move).where(Move.opportunity_id.in_(openings)))
        await session.execute(delete(Application).where(Application.opportunity_id.in_(openings)))
        await session.execute(delete(Opportunity).where(Opportunity.title.startswith(MADE)))
        await session.execute(delete(Notification).where(Notification.employee_id.in_(people)))
        for employee_id in reversed(people):
            await session.execute(delete(Employee).where(Employee.id == employee_id))


async def open_gig(session: AsyncSession, portal: Portal, title: str) -> uuid.UUID:
    """An open gig of HR's, Hm its hiring manager, asking SQL at level 3."""
    service = OpportunityService(session)
    opening = await service.create(
        hr(portal.tenant),
        OpportunityCreate(
            title=title,
            kind=OpportunityKind.GIG,
            description="Two hours a week on the pricing data.",
            hiring_manager_id=portal.world.people["hm"],
            hours_per_week=2,
            duration_weeks=8,
            skills=[OpportunitySkillSet(skill_id=portal.world.skills["SQL"], level=3)],
        ),
    )
    await service.open(hr(portal.tenant), opening.id)
    return opening.id


@dataclass(frozen=True)
class Pipeline:
    opening: uuid.UUID
    title: str
    dan: uuid.UUID
    cara: uuid.UUID


@pytest.fixture
async def pipeline(portal: Portal, database: Database, made: list[uuid.UUID]) -> Pipeline:
    """An open gig of HR's to which Dan and Cara applied (each through the service the API's apply
    route calls, as themselves)."""
    world = portal.world
    title = f"{MADE}{secrets.token_hex(3)} pipeline gig"
    async with database.tenant_session(portal.tenant) as session, session.begin():
        opening = await open_gig(session, portal, title)
        applications = ApplicationService(session)
        dan = await applications.apply(
            person(portal.tenant, world.people["dan"]), opening, ApplicationCreate(note="Pricing is my thing.")
        )
        cara = await applications.apply(person(portal.tenant, world.people["cara"]), opening, ApplicationCreate())
    return Pipeline(opening, title, dan.id, cara.id)


@dataclass(frozen=True)
class Offered:
    opening: uuid.UUID
    application: uuid.UUID
    name: str


@pytest.fixture
async def offered(portal: Portal, database: Database, made: list[uuid.UUID]) -> Offered:
    """Piet (added for this test, as is Olga, his manager) applied to an open gig of HR's and HR moved
    him to Offer: the mobility policy (at offer) asks Olga to release him."""
    tag = secrets.token_hex(3)
    olga = Employee(id=new_id(), email=f"olga.{tag}@example.com", full_name=f"Olga {tag}", level=5)
    piet = Employee(id=new_id(), email=f"piet.{tag}@example.com", full_name=f"Piet {tag}", manager_id=olga.id, level=3)
    made.extend([olga.id, piet.id])
    async with database.tenant_session(portal.tenant) as session, session.begin():
        session.add(olga)
        await session.flush()
        session.add(piet)
        await session.flush()
        opening = await open_gig(session, portal, f"{MADE}{tag} release gig")
        applications = ApplicationService(session)
        applied = await applications.apply(person(portal.tenant, piet.id), opening, ApplicationCreate())
        at_offer = await applications.move(hr(portal.tenant), applied.id, StageChange(to=ApplicationStage.OFFER))
        assert at_offer.release is not None
    return Offered(opening, applied.id, piet.full_name)


async def test_hr_posts_a_gig_for_a_hiring_manager_chosen_by_name_and_opens_it(
    page: Page,
    portal: Portal,
    shots: Shots,
    made: list[uuid.UUID],
    client: AsyncTestClient[Litestar],
    auth: TokenFactory,
) -> None:
    world = portal.world
    title = f"{MADE}{secrets.token_hex(3)} pricing gig"
    await signed_in(page, portal, "hilde")
    await page.goto(f"{portal.base_url}/hr")
    await page.get_by_role("navigation", name="HR workspace").get_by_role("link", name="Openings").click()
    await page.wait_for_url(f"{portal.base_url}/hr/openings")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Openings")
    # Every opening of the company, with its hiring manager by name.
    analyst = page.locator(f"#opening-{world.analyst}")
    await expect(analyst).to_contain_text("Data analysis gig")
    await expect(analyst).to_contain_text("Open")
    await expect(analyst).to_contain_text("Hm")
    await assert_accessible(page)
    await shots(page, "hr-openings")
    # Only the drafts.
    await page.get_by_label("Status").select_option(label="Draft")
    await page.get_by_role("button", name="Show").click()
    await page.wait_for_url(f"{portal.base_url}/hr/openings?status=draft*")
    await expect(page.locator(f"#opening-{world.draft}")).to_contain_text("Draft gig")
    await expect(page.locator(f"#opening-{world.analyst}")).to_have_count(0)
    await expect(page.get_by_label("Status")).to_have_value("draft")

    await page.get_by_role("link", name="Post an opening").click()
    await page.wait_for_url(f"{portal.base_url}/hr/openings/new")
    await page.get_by_label("Title").fill(title)
    await page.get_by_label("Kind").select_option(label="Gig")
    await page.get_by_label("Department").select_option(label="Data")
    await page.get_by_label("Hours a week").fill("3")
    await page.get_by_label("Weeks", exact=True).fill("6")
    await page.get_by_label("Description").fill("Three hours a week on the pricing model.")
    skills = page.get_by_label("Search your company's skill library")
    await skills.fill("sq")
    await page.locator("#found-skills").get_by_label("Ask for SQL").check()
    await page.get_by_label("Level of SQL").select_option("3")
    # Saved without a hiring manager: HR herself manages nobody, refused beside the field, all kept.
    async with page.expect_response(f"{portal.base_url}/hr/openings/new") as answered:
        await page.get_by_role("button", name="Save draft").click()
    assert (await answered.value).status == 422
    await expect(page.locator("#hiring_manager_id-error")).to_have_text(
        "Choose the hiring manager by name: someone who manages at least one person and has not applied to it."
    )
    await expect(page.locator("#manager-fieldset")).to_have_attribute("aria-describedby", "hiring_manager_id-error")
    await expect(page.get_by_label("Title")).to_have_value(title)
    await expect(page.get_by_label("Hours a week")).to_have_value("3")
    await expect(page.locator("#chosen-skills").get_by_label("Ask for SQL")).to_be_checked()
    await assert_accessible(page)
    await shots(page, "hr-openings-refused")

    # The hiring manager found by typing a name: only people who manage someone are offered.
    search = page.get_by_label("Search people who manage a team, by name")
    await search.focus()
    await page.keyboard.type("h")
    found = page.locator("#found-managers")
    await expect(found.get_by_label("Hm", exact=False).first).to_be_visible()
    await expect(found.get_by_text("Ana", exact=True)).to_have_count(0)
    assert page.url == f"{portal.base_url}/hr/openings/new"
    await found.locator(f"#manager-{world.people['hm']} input").check()
    await assert_accessible(page)
    await shots(page, "hr-openings-manager-search")
    await page.get_by_role("button", name="Save draft").click()
    await page.wait_for_url(f"{portal.base_url}/hr/openings/*")
    opening_id = page.url.rsplit("/", 1)[1]
    await expect(page.get_by_role("heading", level=1)).to_have_text(title)
    await expect(page.locator("#hiring-manager")).to_have_text("Hiring manager: Hm")
    await expect(page.locator("#status-title")).to_have_text("Status: Draft")
    await page.get_by_role("button", name="Open it").click()
    await page.wait_for_url(f"{portal.base_url}/hr/openings/{opening_id}")
    await expect(page.locator("#status-title")).to_have_text("Status: Open")

    # The API reads what HR saved.
    got = (await client.get(f"{API}/opportunities/{opening_id}", headers=auth(portal.tenant, UserRole.HR_ADMIN))).json()
    assert got["status"] == "open"
    assert got["hiring_manager_id"] == str(world.people["hm"])
    assert got["org_unit_id"] is not None
    assert [(s["label"], s["level"]) for s in got["skills"]] == [("SQL", 3)]
    assert (got["hours_per_week"], got["duration_weeks"]) == (3, 6)

    # Its edit form shows the hiring manager chosen.
    await page.get_by_role("link", name="Edit").click()
    await page.wait_for_url(f"{portal.base_url}/hr/openings/{opening_id}/edit")
    await expect(page.locator("#chosen-manager").get_by_role("radio")).to_be_checked()
    await expect(page.locator("#chosen-manager")).to_contain_text("Hm")
    await assert_accessible(page)


async def focus_by_tab(page: Page, name: str) -> None:
    """Tab (and nothing else) until the button `name` has the focus."""
    button = page.get_by_role("button", name=name, exact=True)
    for _ in range(80):
        await page.keyboard.press("Tab")
        if await button.evaluate("b => b === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {name!r}")


async def test_hr_moves_an_application_across_the_board_by_keyboard_and_a_rejection_needs_its_reason(
    page: Page,
    portal: Portal,
    shots: Shots,
    pipeline: Pipeline,
    client: AsyncTestClient[Litestar],
    auth: TokenFactory,
) -> None:
    board_url = f"{portal.base_url}/hr/openings/{pipeline.opening}"
    await signed_in(page, portal, "hilde")
    await page.goto(f"{portal.base_url}/hr/openings")
    await page.get_by_role("link", name=pipeline.title).click()
    await page.wait_for_url(board_url)
    columns = page.locator(".hr-board-column h3")
    await expect(columns).to_have_text(
        [
            "Interested (0)",
            "Applied (2)",
            "Screening (0)",
            "Interview (0)",
            "Offer (0)",
            "Hired (0)",
            "Not selected (0)",
            "Withdrawn (0)",
        ]
    )
    dan = page.locator(f"#application-{pipeline.dan}")
    await expect(page.locator("#column-applied")).to_contain_text("Dan")
    await expect(dan.locator(".hr-card-since")).to_contain_text("In this stage since")
    # The moves the rules allow from Applied, and a rejection.
    await expect(dan.get_by_role("button")).to_have_text(["To Screening", "To Interview", "To Offer"])
    await expect(dan.locator("summary")).to_have_text("Reject Dan")
    await assert_accessible(page)
    await shots(page, "hr-board")

    # By keyboard alone: Dan to Screening, then on from his card to Interview.
    await page.locator("h1").focus()
    await focus_by_tab(page, "Move Dan to Screening")
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{board_url}#application-{pipeline.dan}")
    await expect(page.locator("#column-screening")).to_contain_text("Dan")
    await expect(page.locator("#column-applied")).not_to_contain_text("Dan")
    await focus_by_tab(page, "Move Dan to Interview")
    await page.keyboard.press("Enter")
    await expect(page.locator("#column-interview")).to_contain_text("Dan")
    await expect(page.locator("#column-interview h3")).to_have_text("Interview (1)")
    await expect(dan.get_by_role("button")).to_have_text(["To Offer"])

    # A rejection without its reason is refused beside the reason, what was typed kept.
    cara = page.locator(f"#application-{pipeline.cara}")
    await cara.locator("summary").click()
    told = "We chose someone with more pricing work behind them."
    await cara.get_by_label("The reason told to Cara (optional)").fill(told)
    async with page.expect_response(lambda r: r.url.endswith("/stage")) as answered:
        await cara.get_by_role("button", name="Reject").click()
    assert (await answered.value).status == 422
    reason = cara.get_by_label("Why not Cara (for the hiring side)")
    await expect(page.locator(f"#reject-note-error-{pipeline.cara}")).to_have_text(
        "Give the reason for the rejection. Only the hiring side reads it."
    )
    await expect(reason).to_have_attribute("aria-invalid", "true")
    await expect(reason).to_have_attribute("aria-describedby", f"reject-note-error-{pipeline.cara}")
    await expect(cara.get_by_label("The reason told to Cara (optional)")).to_have_value(told)
    await expect(page.locator("#column-applied")).to_contain_text("Cara")
    await assert_accessible(page)
    await shots(page, "hr-board-rejection-refused")
    await reason.fill("Less pricing depth than the work needs.")
    await cara.get_by_role("button", name="Reject").click()
    await page.wait_for_url(f"{board_url}#application-{pipeline.cara}")
    await expect(page.locator("#column-rejected")).to_contain_text("Cara")

    # On a tablet the columns scroll within the board, not the page.
    await page.set_viewport_size({"width": 820, "height": 900})
    board = page.locator("#board")
    assert await board.evaluate("b => b.scrollWidth > b.clientWidth")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 820
    await shots(page, "hr-board-moved")

    # The API reads the same.
    headers = auth(portal.tenant, UserRole.HR_ADMIN)
    assert (await client.get(f"{API}/applications/{pipeline.dan}", headers=headers)).json()["stage"] == "interview"
    cara_read = (await client.get(f"{API}/applications/{pipeline.cara}", headers=headers)).json()
    assert (cara_read["stage"], cara_read["reason_shared"]) == ("rejected", told)


async def test_hr_overrides_a_release_the_manager_has_not_given_and_the_hire_goes_ahead(
    page: Page, portal: Portal, shots: Shots, offered: Offered, client: AsyncTestClient[Litestar], auth: TokenFactory
) -> None:
    board_url = f"{portal.base_url}/hr/openings/{offered.opening}"
    await signed_in(page, portal, "hilde")
    await page.goto(board_url)
    card = page.locator(f"#application-{offered.application}")
    await expect(page.locator("#column-offer")).to_contain_text(offered.name)
    await expect(card.locator(".release-status")).to_contain_text("Release by their manager: waiting for an answer")
    await expect(card.locator(".release-status")).to_contain_text("answer due by")
    # Without a reason, the override is refused beside its field.
    await card.locator("summary", has_text="Override the release").click()
    async with page.expect_response(lambda r: r.url.endswith("/override")) as answered:
        await card.get_by_role("button", name="Override").click()
    assert (await answered.value).status == 422
    reason = card.get_by_label("Why the move goes ahead without their manager's release")
    await expect(page.locator(f"#override-error-{offered.application}")).to_have_text(
        "An override needs a reason: say why the move goes ahead."
    )
    await expect(reason).to_have_attribute("aria-describedby", f"override-error-{offered.application}")
    await assert_accessible(page)
    await shots(page, "hr-board-override-refused")
    await reason.fill("The project starts on Monday; agreed with the department head.")
    await card.get_by_role("button", name="Override").click()
    await page.wait_for_url(f"{board_url}#application-{offered.application}")
    await expect(card.locator(".release-status")).to_contain_text("overridden by HR")
    await expect(card.locator("summary", has_text="Override the release")).to_have_count(0)
    # The hire waits no more.
    await card.get_by_role("button", name=f"Move {offered.name} to Hired").click()
    await page.wait_for_url(f"{board_url}#application-{offered.application}")
    await expect(page.locator("#column-hired")).to_contain_text(offered.name)
    await expect(page.locator("#status-title")).to_have_text("Status: Filled")
    got = (
        await client.get(f"{API}/applications/{offered.application}", headers=auth(portal.tenant, UserRole.HR_ADMIN))
    ).json()
    assert (got["stage"], got["release"]["status"]) == ("hired", "overridden")


async def test_the_candidates_are_the_apis_for_hr_and_the_board_speaks_dutch(
    page: Page, portal: Portal, shots: Shots, client: AsyncTestClient[Litestar], auth: TokenFactory
) -> None:
    world = portal.world
    await signed_in(page, portal, "hilde")
    listed = (
        await client.get(
            f"{API}/opportunities/{world.analyst}/candidates", headers=auth(portal.tenant, UserRole.HR_ADMIN)
        )
    ).json()["items"]
    await page.goto(f"{portal.base_url}/hr/openings/{world.analyst}")
    names = [c["employee"]["full_name"] for c in listed]
    assert names, "the world has candidates for the analyst opening"
    await expect(page.locator("#candidates > li h3")).to_have_text(names)
    # HR sees those open to HR only (Ben), never the hidden (Cara).
    assert "Ben" in names
    await expect(page.locator("#candidates").get_by_role("heading", name="Cara", exact=True)).to_have_count(0)
    await expect(page.locator("#candidates-audience")).to_contain_text("Hidden people never appear.")
    await assert_accessible(page)

    await page.context.add_cookies([{"name": LANGUAGE_COOKIE, "value": "nl", "url": portal.base_url}])
    await page.reload()
    await expect(page.locator("#board-title")).to_have_text("Pijplijn")
    await expect(page.locator("#column-title-rejected")).to_contain_text("Niet gekozen")
    await expect(page.locator("#status-title")).to_have_text("Status: Open")
    await assert_accessible(page)
    await shots(page, "hr-board-dutch")


async def test_only_hr_reaches_the_openings_and_writes_come_from_our_pages_only(
    page: Page, portal: Portal, pipeline: Pipeline, database: Database
) -> None:
    opening, dan = pipeline.opening, pipeline.dan
    gets = (
        "/hr/openings",
        "/hr/openings/new",
        "/hr/openings/managers?manager_q=h",
        f"/hr/openings/{opening}",
        f"/hr/openings/{opening}/edit",
    )
    posts = (
        ("/hr/openings/new", {"title": f"{MADE}not HR's", "kind": "gig"}),
        (f"/hr/openings/{opening}/edit", {"title": f"{MADE}renamed"}),
        (f"/hr/openings/{opening}/close", {}),
        (f"/hr/openings/{opening}/applications/{dan}/stage", {"to": "screening"}),
        (f"/hr/openings/{opening}/applications/{dan}/override", {"reason": "Urgent."}),
    )
    for login in ("ana", "hm"):
        await page.context.clear_cookies()
        async with await session_of(page, portal, login) as them:
            for path in gets:
                refused = await them.get(path)
                assert refused.status_code == 403, (login, path)
                assert "Only your company&#39;s HR admins may use the HR workspace." in refused.text
            for path, form in posts:
                refused = await them.post(path, data=form, headers={"Origin": portal.base_url})
                assert refused.status_code == 403, (login, path)
    await page.context.clear_cookies()
    async with await session_of(page, portal, "hilde") as hilde:
        # From another site: nothing is written.
        forged = await hilde.post(f"/hr/openings/{opening}/close", headers={"Origin": "https://evil.example"})
        assert forged.status_code == 403
        forged = await hilde.post(
            f"/hr/openings/{opening}/applications/{dan}/stage",
            data={"to": "screening"},
            headers={"Origin": "https://evil.example"},
        )
        assert forged.status_code == 403
        # A field the form does not have: 400, and nothing changes.
        own = {"Origin": portal.base_url}
        odd = await hilde.post(
            f"/hr/openings/{opening}/applications/{dan}/stage", data={"to": "screening", "urgent": "yes"}, headers=own
        )
        assert odd.status_code == 400
        odd = await hilde.post(f"/hr/openings/{opening}/close", data={"reason": "filled"}, headers=own)
        assert odd.status_code == 400
        odd = await hilde.post(
            f"/hr/openings/{opening}/edit", data={"title": f"{MADE}renamed", "salary": "90000"}, headers=own
        )
        assert odd.status_code == 400
        board = await hilde.get(f"/hr/openings/{opening}")
        assert "Status: Open" in board.text
        # An opening that does not exist: the refusal page, back to the openings.
        for path in (f"/hr/openings/{uuid.uuid4()}", f"/hr/openings/{uuid.uuid4()}/edit"):
            missing = await hilde.get(path)
            assert missing.status_code == 404, path
            assert 'href="/hr/openings"' in missing.text
    async with database.tenant_session(portal.tenant) as session:
        stage = await session.scalar(select(Application.stage).where(Application.id == dan))
        title = await session.scalar(select(Opportunity.title).where(Opportunity.id == opening))
    assert stage == "applied"
    assert title == pipeline.title
