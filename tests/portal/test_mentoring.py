"""Mentoring in the portal: in Chromium through the company's real OpenID provider, Ana asks for a
mentor in an open programme and Ben offers to mentor (a capacity the API refuses is shown beside its
field, what he typed kept); once HR has made and published a pairing run (through the services, as the
worker and HR do), each of them reads the pairing and why they were paired, Ana records a check-in
(a date in the future refused beside its field first) and Ben reads it; Hm, who is neither of them,
gets a not-found page for the pairing. axe-core on each page, screenshots at 390 and 1440 px."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect
from sqlalchemy import delete, select

from backend.mentoring.models import (
    CheckIn,
    MenteeRequest,
    MentorProfile,
    Pairing,
    PairingRun,
    ProgrammeKind,
    ProgrammeStatus,
    WaitlistEntry,
)
from backend.mentoring.models import Programme as ProgrammeRow
from backend.mentoring.profiles import MentorProfileService
from backend.mentoring.programmes import ProgrammeService
from backend.mentoring.reasons import ReasonCode, sentence
from backend.mentoring.requests import MenteeRequestService
from backend.mentoring.runs import PairingRunService
from backend.mentoring.schemas import MenteeRequestCreate, MentorProfileCreate, ProgrammeCreate, RunCreate
from backend.notifications.models import Notification
from backend.portal.i18n import LANGUAGE_COOKIE, Languages
from backend.portal.mentoring import reasons_in_words
from tenants.sessions import Database
from tests.mentoring.seed import employee, hr
from tests.portal.conftest import WIDTHS, Portal, Shots, assert_accessible, sign_in


@pytest.fixture
async def programme(portal: Portal, database: Database) -> AsyncIterator[uuid.UUID]:
    """An open programme, made by HR; afterwards everything of it is taken away again, with the
    notices its run sent (other test files read the same company and its people's unread counts)."""
    data = ProgrammeCreate(
        name=f"Data mentoring {secrets.token_hex(2)}",
        kind=ProgrammeKind.EVERGREEN,
        status=ProgrammeStatus.OPEN,
        description="Learn from a colleague in another team.",
    )
    async with database.tenant_session(portal.tenant) as session, session.begin():
        programme_id = (await ProgrammeService(session).create(hr(portal.tenant), data)).id
    yield programme_id
    async with database.tenant_session(portal.tenant) as session, session.begin():
        pairings = select(Pairing.id).where(Pairing.programme_id == programme_id)
        runs = select(PairingRun.id).where(PairingRun.programme_id == programme_id)
        await session.execute(delete(CheckIn).where(CheckIn.pairing_id.in_(pairings)))
        await session.execute(delete(Pairing).where(Pairing.programme_id == programme_id))
        await session.execute(delete(WaitlistEntry).where(WaitlistEntry.run_id.in_(runs)))
        await session.execute(delete(PairingRun).where(PairingRun.programme_id == programme_id))
        await session.execute(delete(MenteeRequest).where(MenteeRequest.programme_id == programme_id))
        await session.execute(delete(MentorProfile).where(MentorProfile.programme_id == programme_id))
        await session.execute(delete(ProgrammeRow).where(ProgrammeRow.id == programme_id))
        await session.execute(
            delete(Notification).where(
                Notification.kind.startswith("mentoring."),
                Notification.employee_id.in_(list(portal.world.people.values())),
            )
        )


@pytest.fixture
async def paired(portal: Portal, database: Database, programme: uuid.UUID) -> uuid.UUID:
    """Ana asks for a mentor to grow her negotiation, Ben offers to teach it (as their API calls do);
    HR starts a run, the worker computes it, HR publishes it: the pairing of Ben and Ana."""
    tenant, world = portal.tenant, portal.world
    negotiation = world.skills["Negotiation"]
    async with database.tenant_session(tenant) as session, session.begin():
        await MenteeRequestService(session).create(
            employee(tenant, world.people["ana"]),
            programme,
            MenteeRequestCreate(
                goals="Negotiate my first project budget",
                languages=["en"],
                skill_ids=[negotiation],
                utc_offset_minutes=60,
            ),
        )
        await MentorProfileService(session).create(
            employee(tenant, world.people["ben"]),
            programme,
            MentorProfileCreate(languages=["en", "nl"], capacity=1, skill_ids=[negotiation]),
        )
        run = await PairingRunService(session).start(hr(tenant), programme, RunCreate())
    async with database.tenant_session(tenant) as session, session.begin():
        summary = await PairingRunService(session).run(run.id)
        assert summary["matched"] == 1, summary
    async with database.tenant_session(tenant) as session, session.begin():
        await PairingRunService(session).publish(hr(tenant), run.id)
        pairing_id = await session.scalar(select(Pairing.id).where(Pairing.run_id == run.id))
    assert pairing_id is not None
    return pairing_id


@pytest.fixture
async def people(browser: Browser, portal: Portal) -> AsyncIterator[dict[str, Page]]:
    """Ana, Ben and Hm, each signed in in their own browser (own cookies), reading English."""
    contexts: list[BrowserContext] = []
    pages: dict[str, Page] = {}
    for login in ("ana", "ben", "hm"):
        context = await browser.new_context(viewport={"width": WIDTHS["desktop"], "height": 900}, locale="en-GB")
        context.set_default_timeout(15_000)
        contexts.append(context)
        await context.add_cookies([{"name": LANGUAGE_COOKIE, "value": "en", "url": portal.base_url}])
        page = await context.new_page()
        await page.goto(f"{portal.base_url}/auth/{portal.tenant.slug}/login")
        await sign_in(page, portal, login)
        pages[login] = page
    yield pages
    for context in contexts:
        await context.close()


async def test_an_employee_asks_for_a_mentor_and_another_offers_to_mentor(
    people: dict[str, Page], portal: Portal, programme: uuid.UUID, shots: Shots
) -> None:
    ana, ben = people["ana"], people["ben"]
    await ana.get_by_role("link", name="Mentoring").click()
    await ana.wait_for_url(f"{portal.base_url}/mentoring")
    await expect(ana.get_by_role("heading", level=1)).to_have_text("Mentoring")
    card = ana.locator("#programmes li").filter(has_text="Data mentoring")
    await expect(card).to_contain_text("You have not asked for a mentor here.")
    await expect(ana.locator("#no-pairings")).to_be_visible()
    await assert_accessible(ana)
    await shots(ana, "mentoring")

    await card.get_by_role("link", name="Ask for a mentor or offer to mentor").click()
    await ana.wait_for_url(f"{portal.base_url}/mentoring/programmes/{programme}")
    await assert_accessible(ana)
    await shots(ana, "mentoring-programme")
    await ana.get_by_label("What do you want to grow in?").fill("Negotiate my first project budget")
    await ana.get_by_label("Skills you want to grow (optional)").select_option(label="Negotiation")
    await ana.locator("#request-languages").fill("en, nl")
    await ana.locator("#request-utc_offset_minutes").select_option(label="UTC+01:00")
    await ana.get_by_role("button", name="Ask for a mentor").click()
    await expect(ana.locator("#my-request-status")).to_have_text("Your request: waiting for the next pairing run.")
    await expect(ana.get_by_label("What do you want to grow in?")).to_have_value("Negotiate my first project budget")
    await expect(ana.locator("#request-languages")).to_have_value("en, nl")
    await expect(ana.locator("#request-utc_offset_minutes")).to_have_value("60")
    await expect(ana.get_by_role("button", name="Withdraw my request")).to_be_visible()
    await assert_accessible(ana)
    await shots(ana, "mentoring-requested")

    # Ben offers to mentor: 11 mentees at once is more than the API takes; the refusal is beside the
    # field, what he typed is kept, and nothing is saved.
    await ben.goto(f"{portal.base_url}/mentoring/programmes/{programme}")
    await ben.get_by_label("How many mentees at once").fill("11")
    await ben.get_by_label("Topics (optional)").fill("negotiation, first budgets")
    await ben.locator("#offer-languages").fill("nl, en")
    await ben.get_by_label("Skills you want to teach (optional)").select_option(label="Negotiation")
    async with ben.expect_response(f"{portal.base_url}/mentoring/programmes/{programme}/offer") as answered:
        await ben.get_by_role("button", name="Offer to mentor").click()
    assert (await answered.value).status == 422
    capacity = ben.get_by_label("How many mentees at once")
    await expect(ben.locator("#offer-capacity-error")).to_have_text("Take between 1 and 10 mentees at once.")
    await expect(capacity).to_have_attribute("aria-invalid", "true")
    await expect(capacity).to_have_attribute("aria-describedby", "offer-capacity-hint offer-capacity-error")
    await expect(capacity).to_have_value("11")
    await expect(ben.get_by_label("Topics (optional)")).to_have_value("negotiation, first budgets")
    await expect(ben.locator("#offer-languages")).to_have_value("nl, en")
    await expect(ben.locator("#my-offer-status")).to_have_count(0)
    await assert_accessible(ben)
    await shots(ben, "mentoring-offer-refused")

    # A language that is not a code: the service's refusal, beside the languages.
    await capacity.fill("2")
    await ben.locator("#offer-languages").fill("Dutch")
    await ben.get_by_role("button", name="Offer to mentor").click()
    await expect(ben.locator("#offer-languages-error")).to_contain_text("language code such as en or nl")
    await expect(ben.locator("#offer-languages")).to_have_value("Dutch")

    await ben.locator("#offer-languages").fill("nl, en")
    await ben.get_by_role("button", name="Offer to mentor").click()
    await expect(ben.locator("#my-offer-status")).to_have_text("You offer to mentor up to 2 people at once.")
    await expect(ben.get_by_label("Topics (optional)")).to_have_value("negotiation, first budgets")
    await expect(ben.locator("#offer-languages")).to_have_value("en, nl")
    await expect(ben.get_by_role("button", name="Update my offer")).to_be_visible()

    # Pausing the offer is an update the API allows.
    await ben.get_by_label("Take new mentees").uncheck()
    await ben.get_by_role("button", name="Update my offer").click()
    await expect(ben.locator("#my-offer-status")).to_contain_text("Your offer to mentor is paused")
    await ben.goto(f"{portal.base_url}/mentoring")
    await expect(ben.locator("#programmes li").filter(has_text="Data mentoring")).to_contain_text(
        "Your offer to mentor is paused."
    )

    # Ana withdraws her request: the programme offers her the empty form again.
    await ana.get_by_role("button", name="Withdraw my request").click()
    await expect(ana.locator("#my-request-status")).to_have_count(0)
    await expect(ana.get_by_role("button", name="Ask for a mentor")).to_be_visible()


async def test_the_pair_read_why_they_were_paired_and_each_others_check_ins(
    people: dict[str, Page], portal: Portal, programme: uuid.UUID, paired: uuid.UUID, shots: Shots
) -> None:
    ana, ben, hm = people["ana"], people["ben"], people["hm"]
    await ana.goto(f"{portal.base_url}/mentoring")
    await ana.locator("#my-pairings").get_by_role("link", name="Ben mentors you").click()
    await ana.wait_for_url(f"{portal.base_url}/mentoring/pairings/{paired}")
    await expect(ana.get_by_role("heading", level=1)).to_have_text("Your mentor, Ben")
    await expect(ana.locator("#pairing-state")).to_contain_text("not started yet")
    reasons = ana.locator("#reason-sentences")
    await expect(reasons).to_contain_text("Mentor is level 4 in Negotiation, you are not yet rated.")
    await expect(reasons).to_contain_text("Mentor wants to teach Negotiation.")
    await expect(reasons).to_contain_text("Your time zones are 1 hour apart.")
    # The page writes the language's name, where the API's sentence has its code ("You both speak en").
    await expect(reasons).to_contain_text("You both speak English.")
    await expect(reasons.locator("[lang=en]")).to_have_count(0)
    factors = ana.locator("#reason-factors")
    await expect(factors).to_contain_text("Skills to learn from")
    await expect(factors).to_contain_text("How far the mentor is ahead of the mentee")
    await expect(ana.locator("#no-check-ins")).to_be_visible()
    await assert_accessible(ana)
    await shots(ana, "mentoring-pairing")

    # A check-in three days from now has not happened: refused beside the date, the notes kept.
    later = dt.date.today() + dt.timedelta(days=3)
    await ana.get_by_label("When you met").fill(later.isoformat())
    await ana.get_by_label("What you talked about (optional)").fill("Budget talk: start from the goal.")
    await ana.get_by_label("How useful was it? (optional)").select_option(label="5 of 5")
    async with ana.expect_response(f"{portal.base_url}/mentoring/pairings/{paired}/check-ins") as answered:
        await ana.get_by_role("button", name="Add the check-in").click()
    assert (await answered.value).status == 422
    await expect(ana.locator("#check-in-happened_on-error")).to_have_text(
        "Give the date of the check-in: today or earlier."
    )
    await expect(ana.get_by_label("When you met")).to_have_attribute("aria-invalid", "true")
    await expect(ana.get_by_label("What you talked about (optional)")).to_have_value(
        "Budget talk: start from the goal."
    )
    await expect(ana.locator("#no-check-ins")).to_be_visible()
    await assert_accessible(ana)
    await shots(ana, "mentoring-check-in-refused")

    await ana.get_by_label("When you met").fill(dt.date.today().isoformat())
    await ana.get_by_role("button", name="Add the check-in").click()
    entries = ana.locator("#check-in-list li")
    await expect(entries).to_have_count(1)
    await expect(entries).to_contain_text("Budget talk: start from the goal.")
    await expect(entries).to_contain_text("rated 5 of 5")
    # The first check-in shows the pair has started.
    await expect(ana.locator("#pairing-state")).to_contain_text("under way")

    # Ben reads his pairing as the mentor, the reasons as written for Ana, and her check-in.
    await ben.goto(f"{portal.base_url}/mentoring")
    await ben.locator("#my-pairings").get_by_role("link", name="You mentor Ana").click()
    await ben.wait_for_url(f"{portal.base_url}/mentoring/pairings/{paired}")
    await expect(ben.get_by_role("heading", level=1)).to_have_text("Your mentee, Ana")
    await expect(ben.locator("#reasons")).to_contain_text('Written for your mentee: "you" is Ana.')
    await expect(ben.locator("#check-in-list li")).to_contain_text("Budget talk: start from the goal.")
    await expect(ben.locator("#check-in-list li")).to_contain_text("Ana")
    await expect(ben.locator("#pairing-state")).to_contain_text("under way")
    await assert_accessible(ben)
    await shots(ben, "mentoring-pairing-mentor")
    # In Dutch (his provider's language): the switch comes back to the pairing.
    await ben.get_by_role("button", name="Nederlands").click()
    await ben.wait_for_url(f"{portal.base_url}/mentoring/pairings/{paired}")
    await expect(ben.get_by_role("heading", level=1)).to_have_text("Uw mentee, Ana")
    await expect(ben.locator("#pairing-state")).to_contain_text("loopt")
    await expect(ben.locator("#reason-factors")).to_contain_text("Vaardigheden om van te leren")
    dutch = ben.locator("#reason-sentences")
    await expect(dutch).to_contain_text("Mentor heeft niveau 4 in Negotiation, u bent nog niet beoordeeld.")
    await expect(dutch).to_contain_text("Mentor wil Negotiation overdragen.")
    await expect(dutch).to_contain_text("Uw tijdzones liggen 1 uur uit elkaar.")
    await expect(dutch).to_contain_text("U spreekt allebei Engels.")
    await expect(dutch.locator("[lang=en]")).to_have_count(0)
    await assert_accessible(ben)
    await shots(ben, "mentoring-pairing-dutch")

    # Hm is neither of them: the pairing does not exist for him, nor may he write to it.
    answer = await hm.goto(f"{portal.base_url}/mentoring/pairings/{paired}")
    assert answer is not None
    assert answer.status == 404
    await expect(hm.get_by_role("heading", level=1)).to_have_text("Not found")
    await expect(hm.locator("main")).not_to_contain_text("Budget talk")
    await expect(hm.locator("main")).not_to_contain_text("Negotiation")
    await assert_accessible(hm)
    await shots(hm, "mentoring-pairing-not-found")
    written = await hm.request.post(
        f"{portal.base_url}/mentoring/pairings/{paired}/check-ins",
        form={"happened_on": dt.date.today().isoformat(), "notes": "Hm was here"},
        headers={"Origin": portal.base_url, "Accept": "text/html"},
    )
    assert written.status == 404
    await hm.goto(f"{portal.base_url}/mentoring")
    await expect(hm.locator("#no-pairings")).to_be_visible()
    await ana.reload()
    await expect(ana.locator("#check-in-list li")).to_have_count(1)
    await expect(ana.locator("#check-in-list")).not_to_contain_text("Hm was here")

    # Ana asks for another mentor: the pairing ends, her request waits for the next run.
    await ana.goto(f"{portal.base_url}/mentoring/pairings/{paired}")
    await ana.get_by_label("Why you want another mentor (optional)").fill("Our calendars never meet.")
    await ana.get_by_role("button", name="Ask for another mentor").click()
    await ana.wait_for_url(f"{portal.base_url}/mentoring/programmes/{programme}#request")
    await expect(ana.locator("#my-request-status")).to_have_text("Your request: waiting for the next pairing run.")
    await ana.goto(f"{portal.base_url}/mentoring/pairings/{paired}")
    await expect(ana.locator("#pairing-state")).to_contain_text("ended")
    await expect(ana.locator("#end-reason-shown")).to_contain_text("Our calendars never meet.")
    await expect(ana.get_by_role("button", name="Add the check-in")).to_have_count(0)
    await ben.reload()
    await expect(ben.locator("#pairing-state")).to_contain_text("beëindigd")
    await expect(ben.get_by_role("button", name="Vraag een andere mentor")).to_have_count(0)


async def test_another_persons_request_or_offer_is_not_theirs_to_change_and_stays_as_it_was(
    people: dict[str, Page], portal: Portal, database: Database, programme: uuid.UUID, paired: uuid.UUID
) -> None:
    """Hm posts to Ana's request and Ben's offer as the forms would: the API's answers (her request is
    not found for him, his offer not his to change), never a refusal that blames him for a pairing."""
    hm = people["hm"]
    ana, ben = portal.world.people["ana"], portal.world.people["ben"]
    async with database.tenant_session(portal.tenant) as session:
        request = await session.scalar(
            select(MenteeRequest).where(MenteeRequest.programme_id == programme, MenteeRequest.employee_id == ana)
        )
        offer = await session.scalar(
            select(MentorProfile).where(MentorProfile.programme_id == programme, MentorProfile.employee_id == ben)
        )
    assert request is not None
    assert offer is not None
    before = (request.goals, request.status, offer.capacity, offer.active)
    base = f"{portal.base_url}/mentoring/programmes/{programme}"
    headers = {"Origin": portal.base_url, "Accept": "text/html"}
    for path, form in (
        (f"/requests/{request.id}/withdraw", {}),
        (f"/requests/{request.id}", {"goals": "Hm's goals for Ana", "languages": "en"}),
        (f"/requests/{uuid.uuid4()}/withdraw", {}),
    ):
        answer = await hm.request.post(base + path, form=form, headers=headers)
        assert answer.status == 404, path
        assert "end your pairing first" not in await answer.text()
        assert "Not found" in await answer.text()
    answer = await hm.request.post(
        base + f"/offers/{offer.id}", form={"capacity": "3", "languages": "en"}, headers=headers
    )
    assert answer.status == 403
    assert "Your offer was not saved." in await answer.text()
    async with database.tenant_session(portal.tenant) as session:
        request = await session.get(MenteeRequest, request.id)
        offer = await session.get(MentorProfile, offer.id)
    assert request is not None
    assert offer is not None
    assert (request.goals, request.status, offer.capacity, offer.active) == before


# One statement of each code a run writes (backend/mentoring/reasons.py), with the values it names.
STATEMENTS = [
    {"code": "mentor_level", "skill": "SQL", "theirs": 4, "mine": 2},
    {"code": "mentor_level", "skill": "Tableau", "theirs": 3, "mine": 0},
    {"code": "teaches", "skills": ["SQL", "Tableau", "Python"]},
    {"code": "holds_target_role", "role": "Senior Analyst"},
    {"code": "same_time_zone"},
    {"code": "time_zones_apart", "hours": 1},
    {"code": "time_zones_apart", "hours": 2.5},
    {"code": "shared_languages", "languages": ["en", "nl"]},
    {"code": "different_departments"},
]


def test_every_reason_is_written_from_its_code_in_the_pages_language() -> None:
    """Each statement in Dutch and in English, from its code and values (lists as the language lists
    them, numbers as it writes them, languages by their names); none left in English on a Dutch page."""
    assert {s["code"] for s in STATEMENTS} == {code.value for code in ReasonCode}
    reasons = {"factors": {}, "sentences": [sentence(s) for s in STATEMENTS], "statements": STATEMENTS}
    languages = Languages()
    assert reasons_in_words(languages.get("nl"), reasons) == [
        ("Mentor heeft niveau 4 in SQL, u niveau 2", None),
        ("Mentor heeft niveau 3 in Tableau, u bent nog niet beoordeeld", None),
        ("Mentor wil SQL, Tableau en Python overdragen", None),
        ("Mentor is Senior Analyst, de functie waar u naartoe wilt", None),
        ("U zit in dezelfde tijdzone", None),
        ("Uw tijdzones liggen 1 uur uit elkaar", None),
        ("Uw tijdzones liggen 2,5 uur uit elkaar", None),
        ("U spreekt allebei Engels en Nederlands", None),
        ("U werkt op verschillende afdelingen", None),
    ]
    assert reasons_in_words(languages.get("en"), reasons) == [
        ("Mentor is level 4 in SQL, you are level 2", None),
        ("Mentor is level 3 in Tableau, you are not yet rated", None),
        ("Mentor wants to teach SQL, Tableau, and Python", None),
        ("Mentor is a Senior Analyst, the role you aim for", None),
        ("You share a time zone", None),
        ("Your time zones are 1 hour apart", None),
        ("Your time zones are 2.5 hours apart", None),
        ("You both speak English and Dutch", None),
        ("You work in different departments", None),
    ]


def test_reasons_without_statements_are_shown_as_the_run_wrote_them_in_english() -> None:
    """A run written before statements has only its English sentences: shown as written, marked as
    English; so is a statement whose code the portal does not know."""
    dutch = Languages().get("nl")
    old = {"factors": {}, "sentences": ["Mentor is level 4 in SQL, you are level 2", "You both speak en"]}
    assert reasons_in_words(dutch, old) == [
        ("Mentor is level 4 in SQL, you are level 2", "en"),
        ("You both speak en", "en"),
    ]
    newer = {
        "factors": {},
        "sentences": ["You share a time zone", "Mentor sings in your choir"],
        "statements": [{"code": "same_time_zone"}, {"code": "sings_in_your_choir"}],
    }
    assert reasons_in_words(dutch, newer) == [
        ("U zit in dezelfde tijdzone", None),
        ("Mentor sings in your choir", "en"),
    ]


async def test_a_form_with_a_field_it_does_not_have_is_refused_and_changes_nothing(
    people: dict[str, Page], portal: Portal, database: Database, programme: uuid.UUID
) -> None:
    """Every form is read by the one reader: a field the page's form does not send (or a single one
    sent twice) is a bad request (400), as an unknown query parameter is, and nothing is written; the
    skills, a multiple choice, may come more than once."""
    ana = people["ana"]
    base = f"{portal.base_url}/mentoring/programmes/{programme}"
    headers = {"Origin": portal.base_url, "Accept": "text/html", "Content-Type": "application/x-www-form-urlencoded"}
    skills = [("skill_ids", str(portal.world.skills["Negotiation"])), ("skill_ids", str(portal.world.skills["SQL"]))]
    asked = [("goals", "Negotiate my first budget"), ("languages", "en"), *skills]
    for path, form in (
        ("/request", [*asked, ("urgent", "yes")]),
        ("/request", [*asked, ("goals", "Another goal")]),
        ("/offer", [("capacity", "2"), ("languages", "en"), *skills, ("salary", "1")]),
    ):
        answer = await ana.request.post(base + path, data=urlencode(form), headers=headers)
        assert answer.status == 400, (path, form)
    async with database.tenant_session(portal.tenant) as session:
        request = await session.scalar(select(MenteeRequest).where(MenteeRequest.programme_id == programme))
        offer = await session.scalar(select(MentorProfile).where(MentorProfile.programme_id == programme))
    assert request is None
    assert offer is None
    # The request as the page's form sends it, two skills chosen, is taken.
    answer = await ana.request.post(base + "/request", data=urlencode(asked), headers=headers, max_redirects=0)
    assert answer.status == 303
