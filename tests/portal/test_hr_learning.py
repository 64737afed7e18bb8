"""The HR workspace's learning area in Chromium through the company's real OpenID provider, as Hilde
(HR): she adds a course with two skills found by typing, by keyboard alone, is shown a refusal beside
its field with what she typed kept, edits the course and deactivates it; she imports a CSV file with two
good lines and a bad one (nothing imported, every problem with its line and column), then a good one
(its courses in the catalogue, found by their provider); a file that is not CSV, not UTF-8, empty or
too big is refused beside the file field; the import's problems in Dutch. Over HTTP, Ana (an employee)
and Hm (a manager) are refused every page and write (403), a form from another site or with a field
it does not have changes nothing. axe-core on every page, screenshots at 390 and 1440 px.

What the tests make goes again afterwards: every course whose provider starts with `PROVIDER`."""

from __future__ import annotations

import csv
import io
import re
import secrets
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import FilePayload, Page, expect
from sqlalchemy import delete, select

from backend.auth.principal import Principal, UserRole, scopes_for
from backend.portal.i18n import LANGUAGE_COOKIE
from backend.training.courses import IMPORT_COLUMNS, MAX_IMPORT_BYTES, CourseService
from backend.training.models import Course, CourseFormat
from backend.training.schemas import CourseCreate, CourseRead
from tenants.sessions import Database
from tests.portal.conftest import Portal, Shots, assert_accessible, sign_in

HTML = {"Accept": "text/html,application/xhtml+xml"}
# The prefix of the provider of every course these tests make (and delete afterwards).
PROVIDER = "Learning test "
HEADER = "provider,external_id,title,format,duration_hours,cost,currency,skills\n"


def unique() -> str:
    return f"{PROVIDER}{secrets.token_hex(3)}"


async def signed_in(page: Page, portal: Portal, login: str, language: str = "en") -> None:
    await page.context.add_cookies([{"name": LANGUAGE_COOKIE, "value": language, "url": portal.base_url}])
    await page.goto(f"{portal.base_url}/auth/{portal.tenant.slug}/login")
    await sign_in(page, portal, login)


async def cookies_of(page: Page, portal: Portal) -> dict[str, str]:
    return {c["name"]: c["value"] for c in await page.context.cookies(portal.base_url)}


@pytest.fixture
async def made(portal: Portal, database: Database) -> AsyncIterator[None]:
    """Whatever these tests make goes again afterwards (its skills go with it)."""
    yield
    async with database.tenant_session(portal.tenant) as session, session.begin():
        await session.execute(delete(Course).where(Course.provider.startswith(PROVIDER)))


async def courses_of(portal: Portal, database: Database, provider: str) -> list[CourseRead]:
    """The courses of a provider, as the API's `GET /courses?provider=&include_inactive=true` lists them."""
    async with database.tenant_session(portal.tenant) as session:
        found, _ = await CourseService(session).search(
            q=None, skill_id=None, format=None, include_inactive=True, cursor=None, limit=100, provider=provider
        )
    return found


async def test_hr_adds_a_course_with_two_skills_by_keyboard_edits_and_deactivates_it(
    page: Page, portal: Portal, shots: Shots, made: None, database: Database
) -> None:
    provider = unique()
    title = f"Negotiating with data {secrets.token_hex(2)}"
    await signed_in(page, portal, "hilde")
    await page.get_by_role("link", name="HR workspace").click()
    await page.get_by_role("navigation", name="HR workspace").get_by_role("link", name="Learning").click()
    await page.wait_for_url(f"{portal.base_url}/hr/learning")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Learning")
    await assert_accessible(page)
    await shots(page, "learning")
    await page.get_by_role("link", name="Add a course").click()
    await page.wait_for_url(f"{portal.base_url}/hr/learning/new")
    await assert_accessible(page)

    # By keyboard alone: every field, then two skills found by typing, each with its level.
    await page.get_by_label("Title").focus()
    await page.keyboard.type(title)
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("Format")).to_be_focused()
    await page.keyboard.type("Classroom")
    await page.keyboard.press("Tab")
    await page.keyboard.type(provider)
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("The provider's id of the course")).to_be_focused()
    await page.keyboard.type("NEG-7")
    await page.keyboard.press("Tab")
    await page.keyboard.type("16")
    await page.keyboard.press("Tab")
    await page.keyboard.type("480")
    await page.keyboard.press("Tab")
    await page.keyboard.type("EUR")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Tab")  # the web address, left empty
    await page.keyboard.type("Two days of practice.")
    await page.keyboard.press("Tab")
    search = page.get_by_label("Search your company's skill library")
    await expect(search).to_be_focused()
    await page.keyboard.type("sql")
    found = page.locator("#found-skills")
    await expect(found.locator("li")).to_have_count(1)
    assert page.url == f"{portal.base_url}/hr/learning/new"  # htmx: no page load
    await page.keyboard.press("Tab")  # the search's button
    await page.keyboard.press("Tab")
    await expect(found.get_by_label("Teaches SQL")).to_be_focused()
    await page.keyboard.press("Space")
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("Level of SQL it takes one to")).to_be_focused()
    await page.keyboard.type("3")
    for _ in range(3):
        await page.keyboard.press("Shift+Tab")
    await expect(search).to_be_focused()
    await page.keyboard.press("ControlOrMeta+a")
    await page.keyboard.type("negot")
    await expect(found.get_by_label("Teaches Negotiation")).to_be_visible()
    # SQL stays ticked at its level, above what was found.
    await expect(page.locator("#chosen-skills").get_by_label("Teaches SQL")).to_be_checked()
    await expect(page.get_by_label("Level of SQL it takes one to")).to_have_value("3")
    for _ in range(4):  # the button, SQL and its level, then Negotiation
        await page.keyboard.press("Tab")
    await expect(found.get_by_label("Teaches Negotiation")).to_be_focused()
    await page.keyboard.press("Space")
    await page.keyboard.press("Tab")
    await page.keyboard.type("2")
    await assert_accessible(page)
    await shots(page, "learning-new")
    await page.get_by_label("Level of Negotiation it takes one to").focus()
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("button", name="Add the course")).to_be_focused()
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(rf"{re.escape(portal.base_url)}/hr/learning/[0-9a-f-]{{36}}$"))
    course_id = uuid.UUID(page.url.rsplit("/", 1)[1])
    await expect(page.get_by_role("heading", level=1)).to_have_text(title)
    await expect(page.locator("#status-text")).to_have_text("Active: training plans may choose it.")
    await assert_accessible(page)
    await shots(page, "learning-course")

    # As the API has it.
    async with database.tenant_session(portal.tenant) as session:
        course = await CourseService(session).get(course_id)
    assert (course.title, course.provider, course.external_id, course.format) == (
        title,
        provider,
        "NEG-7",
        "classroom",
    )
    assert (course.duration_hours, course.cost, course.currency, course.active) == (16.0, 480.0, "EUR", True)
    assert course.description == "Two days of practice."
    assert [(s.skill_label, s.level_reached) for s in course.skills] == [("Negotiation", 2), ("SQL", 3)]

    # In the catalogue, found by its title: its provider, hours, cost and skills as a person reads them.
    await page.get_by_role("link", name="Back to the course catalogue").click()
    await page.get_by_label("Title or provider contains").fill(title)
    await page.get_by_role("button", name="Show").click()
    row = page.locator(f"#course-{course_id}")
    await expect(row).to_contain_text(provider)
    await expect(row).to_contain_text("Classroom")
    await expect(row).to_contain_text("€480.00")
    await expect(row.locator("td").nth(2)).to_have_text("16")
    await expect(row).to_contain_text("Negotiation, to level 2")
    await expect(row).to_contain_text("SQL, to level 3")
    await expect(page.locator("#courses tbody tr")).to_have_count(1)
    await assert_accessible(page)
    await shots(page, "learning-found")

    # A refusal beside its field, the rest as typed.
    await row.get_by_role("link", name=title).click()
    await page.wait_for_url(f"{portal.base_url}/hr/learning/{course_id}")
    await page.get_by_label("Cost per learner").fill("99.5")
    await page.get_by_label("Hours").fill("lots")
    await page.get_by_label("Teaches Negotiation").uncheck()
    async with page.expect_response(f"{portal.base_url}/hr/learning/{course_id}") as answered:
        await page.get_by_role("button", name="Save changes").click()
    assert (await answered.value).status == 422
    await expect(page.locator("#duration_hours-error")).to_have_text("Write its hours as a number from 0 to 10,000.")
    await expect(page.get_by_label("Hours")).to_have_attribute("aria-describedby", "duration_hours-error")
    await expect(page.get_by_label("Hours")).to_have_value("lots")
    await expect(page.get_by_label("Cost per learner")).to_have_value("99.5")
    await expect(page.get_by_label("Teaches Negotiation")).to_have_count(0)
    await assert_accessible(page)
    await shots(page, "learning-refused")
    async with database.tenant_session(portal.tenant) as session:
        assert (await CourseService(session).get(course_id)).cost == 480.0

    # Edited: cheaper, shorter, SQL alone.
    await page.get_by_label("Hours").fill("12.5")
    await page.get_by_role("button", name="Save changes").click()
    await page.wait_for_url(f"{portal.base_url}/hr/learning/{course_id}?saved=true")
    await expect(page.locator("#saved")).to_have_text("The course is saved.")
    await expect(page.get_by_label("Hours")).to_have_value("12.5")
    async with database.tenant_session(portal.tenant) as session:
        course = await CourseService(session).get(course_id)
    assert (course.cost, course.duration_hours) == (99.5, 12.5)
    assert [(s.skill_label, s.level_reached) for s in course.skills] == [("SQL", 3)]

    # Deactivated: out of the active catalogue, in the inactive one; reactivated.
    await page.get_by_role("button", name="Deactivate").click()
    await expect(page.locator("#status-text")).to_have_text("Inactive: no new training plan chooses it.")
    async with database.tenant_session(portal.tenant) as session:
        assert (await CourseService(session).get(course_id)).active is False
    await page.goto(f"{portal.base_url}/hr/learning?q={provider}")
    await expect(page.locator("#no-courses")).to_be_visible()
    await page.get_by_label("Status").select_option(label="Inactive")
    await page.get_by_role("button", name="Show").click()
    await expect(page.locator(f"#course-{course_id}")).to_contain_text("Inactive")
    await assert_accessible(page)
    await page.locator(f"#course-{course_id}").get_by_role("link", name=title).click()
    await page.get_by_role("button", name="Reactivate").click()
    await expect(page.locator("#status-text")).to_have_text("Active: training plans may choose it.")


def csv_file(name: str, text: str | bytes, mime: str = "text/csv") -> FilePayload:
    return {"name": name, "mimeType": mime, "buffer": text.encode() if isinstance(text, str) else text}


async def test_hr_imports_a_file_refused_for_its_bad_line_then_a_good_one(
    page: Page, portal: Portal, shots: Shots, made: None, database: Database
) -> None:
    provider = unique()
    good = (
        f"{provider},A1,Data storytelling,online,6,120.50,EUR,SQL:2\n"
        f"{provider},A2,Negotiation basics,classroom,8,300,EUR,Negotiation:3;SQL:1\n"
    )
    bad = good + f"{provider},A3,Spreadsheets,webinar,four,10,EUR,Excel wizardry:9\n"
    await signed_in(page, portal, "hilde")
    await page.goto(f"{portal.base_url}/hr/learning")
    await page.get_by_role("link", name="Import courses from a CSV file").click()
    await page.wait_for_url(f"{portal.base_url}/hr/learning/import")
    await expect(page.locator("#import-rule")).to_contain_text("All or nothing: if any line of the file has a problem")
    await assert_accessible(page)
    await shots(page, "learning-import")

    await page.get_by_label("CSV file").set_input_files(csv_file("courses.csv", HEADER + bad))
    async with page.expect_response(f"{portal.base_url}/hr/learning/import") as answered:
        await page.get_by_role("button", name="Import").click()
    assert (await answered.value).status == 422
    problems = page.locator("#import-problems")
    await expect(problems.get_by_role("heading")).to_have_text("Nothing was imported from courses.csv")
    await expect(problems).to_contain_text("The file has 3 problems. Since the import is all or nothing")
    rows = [
        [cell.strip() for cell in await r.locator("th, td").all_inner_texts()]
        for r in await page.locator("#problems tbody tr").all()
    ]
    assert rows == [
        ["4", "format", "Must be one of online, classroom, blended, self_paced."],
        ["4", "duration_hours", "“four” is not a number: write digits and a point."],
        ["4", "skills", "“Excel wizardry:9” is not skill:level with a level from 1 to 5."],
    ]
    await assert_accessible(page)
    await shots(page, "learning-import-refused")
    # The API's rule: all or nothing; the two good lines were not imported either.
    assert await courses_of(portal, database, provider) == []

    await page.get_by_label("CSV file").set_input_files(csv_file("courses.csv", HEADER + good))
    await page.get_by_role("button", name="Import").click()
    report = page.locator("#import-report")
    await expect(report.get_by_role("heading")).to_have_text("courses.csv is imported")
    await expect(page.locator("#report-created")).to_have_text("2 courses added")
    await expect(page.locator("#report-updated")).to_have_text("0 courses changed")
    await assert_accessible(page)
    await shots(page, "learning-imported")
    imported = await courses_of(portal, database, provider)
    assert [(c.external_id, c.title, c.cost) for c in imported] == [
        ("A1", "Data storytelling", 120.5),
        ("A2", "Negotiation basics", 300.0),
    ]
    # In the catalogue, by their provider.
    await page.goto(f"{portal.base_url}/hr/learning")
    await page.get_by_label("Provider", exact=True).select_option(provider)
    await page.get_by_role("button", name="Show").click()
    await expect(page.locator("#courses tbody tr")).to_have_count(2)
    await expect(page.locator("#courses")).to_contain_text("Data storytelling")
    await expect(page.locator("#courses")).to_contain_text("€120.50")
    await expect(page.locator("#courses")).to_contain_text("Negotiation, to level 3")

    # The same file again: nothing changes.
    await page.goto(f"{portal.base_url}/hr/learning/import")
    await page.get_by_label("CSV file").set_input_files(csv_file("courses.csv", HEADER + good))
    await page.get_by_role("button", name="Import").click()
    await expect(page.locator("#report-unchanged")).to_have_text("2 courses already as in the file")


async def test_a_file_that_is_no_catalogue_is_refused_beside_the_file_field(
    page: Page, portal: Portal, shots: Shots, made: None, database: Database
) -> None:
    provider = unique()
    await signed_in(page, portal, "hilde")
    await page.goto(f"{portal.base_url}/hr/learning/import")
    latin1 = (HEADER + f"{provider},B1,Café,online,1,1,EUR,\n").encode("latin-1")
    for upload, status, message in (
        (csv_file("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"), 422, "This is not a CSV file"),
        (csv_file("courses.csv", latin1), 422, "The file is not UTF-8 text"),
        (csv_file("courses.csv", ""), 422, "The file is empty"),
        (csv_file("courses.csv", HEADER + "x" * (MAX_IMPORT_BYTES + 1)), 413, "The file is larger than 5 MB"),
    ):
        await page.get_by_label("CSV file").set_input_files(upload)
        async with page.expect_response(f"{portal.base_url}/hr/learning/import") as answered:
            await page.get_by_role("button", name="Import").click()
        assert (await answered.value).status == status, upload["name"]
        await expect(page.locator("#file-error")).to_contain_text(message)
        await expect(page.get_by_label("CSV file")).to_have_attribute("aria-describedby", "file-hint file-error")
        await expect(page.locator("#import-report")).to_have_count(0)
    await assert_accessible(page)
    await shots(page, "learning-import-bad-file")
    assert await courses_of(portal, database, provider) == []


async def test_the_import_says_its_problems_in_dutch_and_offers_a_sample(
    page: Page, portal: Portal, made: None, database: Database
) -> None:
    provider = unique()
    await signed_in(page, portal, "hilde", "nl")
    await page.goto(f"{portal.base_url}/hr/learning/import")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Cursussen importeren")
    bad = HEADER + (
        f"{provider},C1,Statistiek,online,3,10,EUR,\n"
        f"{provider},C1,Again,online,3,1,EUR,\n"
        f"{provider},C2,Python,online,3,abc,EUR,\n"
    )
    await page.get_by_label("CSV-bestand").set_input_files(csv_file("cursussen.csv", bad))
    await page.get_by_role("button", name="Importeren").click()
    await expect(page.locator("#import-problems").get_by_role("heading")).to_have_text(
        "Er is niets geïmporteerd uit cursussen.csv"
    )
    await expect(page.locator("#problems tbody tr").nth(0)).to_contain_text(
        "Dezelfde provider en external_id als regel 2."
    )
    await expect(page.locator("#problems tbody tr").nth(1)).to_contain_text("“abc” is geen getal")
    await assert_accessible(page)

    # The sample the page offers: the header the import expects, and courses it takes.
    async with page.expect_download() as downloading:
        await page.get_by_role("link", name="Download een voorbeeldbestand").click()
    download = await downloading.value
    assert download.suggested_filename == "courses-sample.csv"
    sample = (await download.path()).read_text("utf-8")
    lines = list(csv.reader(io.StringIO(sample)))
    assert tuple(lines[0]) == IMPORT_COLUMNS
    assert len(lines) == 3
    assert await courses_of(portal, database, provider) == []


@pytest.fixture
async def a_course(portal: Portal, database: Database, made: None) -> CourseRead:
    data = CourseCreate(
        title="Guarded course", provider=unique(), format=CourseFormat.ONLINE, duration_hours=2, cost=10, currency="EUR"
    )
    roles = frozenset({UserRole.HR_ADMIN})
    hr = Principal(portal.tenant, "test:hr", None, roles, scopes_for(roles))
    async with database.tenant_session(portal.tenant) as session, session.begin():
        return await CourseService(session).create(hr, data)


async def test_only_hr_reaches_the_pages_and_writes_come_from_our_pages_with_their_fields(
    page: Page, portal: Portal, database: Database, a_course: CourseRead
) -> None:
    url = f"/hr/learning/{a_course.id}"
    form = {
        "title": "Renamed",
        "provider": a_course.provider,
        "format": "online",
        "duration_hours": "2",
        "cost": "10",
        "currency": "EUR",
        "external_id": "",
        "url": "",
        "description": "",
        "q": "",
        "intent": "save",
    }
    for login in ("ana", "hm"):
        await page.context.clear_cookies()
        await signed_in(page, portal, login)
        async with httpx.AsyncClient(
            base_url=portal.base_url,
            headers={**HTML, "Origin": portal.base_url},
            cookies=await cookies_of(page, portal),
        ) as person:
            for path in (
                "/hr/learning",
                "/hr/learning/new",
                url,
                "/hr/learning/import",
                "/hr/learning/skills?q=sql",
                "/hr/learning/import/sample.csv",
            ):
                refused = await person.get(path)
                assert refused.status_code == 403, (login, path)
                assert "Only your company&#39;s HR admins may use the HR workspace." in refused.text
            for path, data in ((url, form), (f"{url}/deactivate", {}), ("/hr/learning/new", form)):
                assert (await person.post(path, data=data)).status_code == 403, (login, path)
            upload = await person.post("/hr/learning/import", files={"file": ("c.csv", HEADER.encode(), "text/csv")})
            assert upload.status_code == 403

    await page.context.clear_cookies()
    await signed_in(page, portal, "hilde")
    async with httpx.AsyncClient(base_url=portal.base_url, headers=HTML, cookies=await cookies_of(page, portal)) as hr:
        own = {"Origin": portal.base_url}
        # From another site: nothing written.
        assert (await hr.post(f"{url}/deactivate", headers={"Origin": "https://evil.example"})).status_code == 403
        assert (await hr.post(url, data=form, headers={"Origin": "https://evil.example"})).status_code == 403
        # A field the form does not have, or one given twice: 400, nothing written.
        assert (await hr.post(url, data={**form, "active": "false"}, headers=own)).status_code == 400
        assert (await hr.post(url, data={**form, "title": ["Renamed", "Twice"]}, headers=own)).status_code == 400
        assert (await hr.post(f"{url}/deactivate", data={"reason": "old"}, headers=own)).status_code == 400
        odd = await hr.post(
            "/hr/learning/import", files={"file": ("c.csv", b"x", "text/csv")}, data={"dry": "1"}, headers=own
        )
        assert odd.status_code == 400
        # A request larger than the API's limit is refused beside the file field too.
        big = await hr.post(
            "/hr/learning/import",
            files={"file": ("c.csv", b"x" * (MAX_IMPORT_BYTES + 200_000), "text/csv")},
            headers=own,
        )
        assert big.status_code == 413
        assert "The file is larger than 5 MB" in big.text
        # A course that does not exist: the refusal page.
        assert (await hr.get(f"/hr/learning/{uuid.uuid4()}")).status_code == 404
        # The sample, served by the app.
        sample = await hr.get("/hr/learning/import/sample.csv")
        assert sample.status_code == 200
        assert sample.headers["content-type"].startswith("text/csv")
        assert sample.text.splitlines()[0] == ",".join(IMPORT_COLUMNS)
    async with database.tenant_session(portal.tenant) as session:
        kept = await session.scalar(select(Course).where(Course.id == a_course.id))
        assert kept is not None
        assert (kept.title, kept.active) == ("Guarded course", True)
