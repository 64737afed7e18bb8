"""The HR workspace's Framework in Chromium through the company's real OpenID provider, as Hilde (HR):
she creates a job family and a role in it (a level out of range refused beside its field, what she
typed kept), gives the role skills found by typing, by keyboard alone, changes a level in place and
removes a skill, each read back through `FrameworkService`; on the career paths she adds a step between
two roles and sees its arrow in the graph and its row in the table, is refused a step from a role to
itself and a step already there, changes a step's typical time and deletes it; the pages in Dutch.
Over HTTP: Ana (an employee) and Hm (a manager) are refused every page and every write (403), another
site's form is refused, a form with a field it does not have is a bad request (400) and changes
nothing, and a row's refusal comes back as the row, beside its field.

Everything is named with a random token and removed afterwards (the families, their roles, the roles'
skills and steps go with them): the other tests read the same company."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.async_api import Page, expect
from sqlalchemy import delete, select

from backend.framework.models import CareerPath, Importance, JobFamily, Role
from backend.framework.schemas import JobFamilyCreate, RoleCreate
from backend.framework.service import FrameworkService
from backend.portal.i18n import LANGUAGE_COOKIE
from tenants.sessions import Database
from tests.portal.conftest import Portal, Shots, assert_accessible, sign_in

HTML = {"Accept": "text/html,application/xhtml+xml"}
# The prefix of every family these tests make (and remove afterwards).
MADE = "Framework test "


async def signed_in(page: Page, portal: Portal, login: str, language: str = "en") -> dict[str, str]:
    """Signed in through the provider; the browser's cookies, for a script to use the same session."""
    await page.context.add_cookies([{"name": LANGUAGE_COOKIE, "value": language, "url": portal.base_url}])
    await page.goto(f"{portal.base_url}/auth/{portal.tenant.slug}/login")
    await sign_in(page, portal, login)
    return {c["name"]: c["value"] for c in await page.context.cookies(portal.base_url)}


@dataclass(frozen=True)
class Made:
    """A family of this test's own with two roles (levels 2 and 3), named with `token`."""

    token: str
    family_id: uuid.UUID
    junior: Role
    senior: Role


@pytest.fixture
async def made(portal: Portal, database: Database) -> AsyncIterator[str]:
    """A token to name what a test makes; afterwards its families go, with their roles, the roles'
    skills and the career path steps between them."""
    token = secrets.token_hex(3)
    yield token
    async with database.tenant_session(portal.tenant) as session, session.begin():
        families = select(JobFamily.id).where(JobFamily.name.startswith(f"{MADE}{token}"))
        roles = select(Role.id).where(Role.job_family_id.in_(families))
        await session.execute(
            delete(CareerPath).where(CareerPath.from_role_id.in_(roles) | CareerPath.to_role_id.in_(roles))
        )
        await session.execute(delete(Role).where(Role.job_family_id.in_(families)))
        await session.execute(delete(JobFamily).where(JobFamily.name.startswith(f"{MADE}{token}")))


@pytest.fixture
async def two_roles(portal: Portal, database: Database, made: str) -> Made:
    async with database.tenant_session(portal.tenant) as session, session.begin():
        service = FrameworkService(session)
        family = await service.create_family(JobFamilyCreate(name=f"{MADE}{made} Logistics"))
        junior = await service.create_role(RoleCreate(job_family_id=family.id, title=f"Planner {made}", level=2))
        senior = await service.create_role(RoleCreate(job_family_id=family.id, title=f"Lead planner {made}", level=3))
        return Made(made, family.id, junior, senior)


async def test_hr_creates_a_family_and_a_role_and_gives_it_skills_by_keyboard(
    page: Page, portal: Portal, shots: Shots, database: Database, made: str
) -> None:
    family = f"{MADE}{made} Data science"
    title = f"Data scientist {made}"
    await signed_in(page, portal, "hilde")
    await page.goto(f"{portal.base_url}/hr")
    await page.get_by_role("navigation", name="HR workspace").get_by_role("link", name="Framework").click()
    await page.wait_for_url(f"{portal.base_url}/hr/framework")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Framework")
    # The world's family and its roles, each with its level.
    analytics = page.locator("#family-list > li").filter(has=page.get_by_role("heading", name="Analytics", exact=True))
    await expect(analytics.get_by_role("link", name="Junior Analyst")).to_be_visible()
    await expect(analytics).to_contain_text("Senior Analyst · Level 5")
    await assert_accessible(page)
    await shots(page, "framework")

    await page.get_by_label("Name", exact=True).last.fill(family)
    await page.locator("#new-family-description").fill("Models and experiments.")
    await page.get_by_role("button", name="Create the family").click()
    await page.wait_for_url(f"{portal.base_url}/hr/framework#families")
    card = page.locator("#family-list > li").filter(has=page.get_by_role("heading", name=family))
    await expect(card).to_contain_text("Models and experiments.")
    await expect(card).to_contain_text("No roles in this family yet.")

    # A role at level 11: refused beside the level, everything typed kept, nothing made.
    await page.get_by_label("Job family", exact=True).select_option(label=family)
    await page.get_by_label("Title", exact=True).fill(title)
    await page.get_by_label("Level (1 to 10)").fill("11")
    await page.locator("#new-role-description").fill("Builds the churn models.")
    async with page.expect_response(f"{portal.base_url}/hr/framework/roles") as answered:
        await page.get_by_role("button", name="Create the role").click()
    assert (await answered.value).status == 422
    level = page.get_by_label("Level (1 to 10)")
    await expect(page.locator("#new-role-level-error")).to_have_text("Choose a level from 1 to 10.")
    await expect(level).to_have_attribute("aria-invalid", "true")
    await expect(level).to_have_attribute("aria-describedby", "new-role-level-error")
    await expect(level).to_have_value("11")
    await expect(page.get_by_label("Title", exact=True)).to_have_value(title)
    await expect(page.locator("#new-role-description")).to_have_value("Builds the churn models.")
    await expect(page.locator("#new-role-family option:checked")).to_have_text(family)
    await assert_accessible(page)
    await shots(page, "framework-refused")
    async with database.tenant_session(portal.tenant) as session:
        assert await session.scalar(select(Role.id).where(Role.title == title)) is None

    await level.fill("4")
    await page.get_by_role("button", name="Create the role").click()
    await page.wait_for_url(f"{portal.base_url}/hr/framework/roles/*")
    role_id = uuid.UUID(page.url.rsplit("/", 1)[1])
    await expect(page.get_by_role("heading", level=1)).to_have_text(title)
    await expect(page.locator("#role-facts")).to_have_text(f"{family} · Level 4")
    await expect(page.locator("#no-role-skills")).to_be_visible()
    await assert_accessible(page)

    # By keyboard alone: SQL found by typing, its level and importance chosen, added; then Python.
    for query, skill, level_key, importance_key in (("sql", "SQL", "3", "i"), ("pyth", "Python", "2", "n")):
        search = page.get_by_label("Search your company's skill library")
        before = page.url
        await search.focus()
        await page.keyboard.type(query)
        found = page.locator("#found-skills")
        await expect(found.get_by_role("heading", name=skill, exact=True)).to_be_visible()
        # htmx asked for the results as she typed: no page load.
        assert page.url == before
        await page.keyboard.press("Tab")  # the search's own button
        await page.keyboard.press("Tab")
        await expect(page.get_by_label(f"Level of {skill}")).to_be_focused()
        await page.keyboard.type(level_key)
        await page.keyboard.press("Tab")
        await expect(page.get_by_label(f"Importance of {skill}")).to_be_focused()
        await page.keyboard.type(importance_key)
        await page.keyboard.press("Tab")
        await expect(page.get_by_role("button", name=f"Add {skill}")).to_be_focused()
        if skill == "SQL":
            await assert_accessible(page)
            await shots(page, "role-skill-search")
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{portal.base_url}/hr/framework/roles/{role_id}#skill-*")
        await expect(page.locator("#required-skills").get_by_role("heading", name=skill, exact=True)).to_be_visible()
    sql, python = portal.world.skills["SQL"], portal.world.skills["Python"]
    await expect(page.locator(f"#skill-{sql}-level")).to_have_value("3")
    await expect(page.locator(f"#skill-{sql}-importance")).to_have_value("important")
    await expect(page.locator(f"#skill-{python}-importance")).to_have_value("nice_to_have")

    # SQL to level 4, in place (htmx swaps the row: the page stays), by keyboard.
    await page.locator(f"#skill-{sql}-level").focus()
    await page.keyboard.type("4")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("button", name="Save SQL")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator(f"#skill-{sql}-saved")).to_have_text("Saved.")
    await expect(page.locator(f"#skill-{sql}-level")).to_have_value("4")
    await expect(page.get_by_role("button", name="Save SQL")).to_be_focused()
    # Python removed, in place.
    await page.get_by_role("button", name="Remove Python").click()
    await expect(page.locator(f"#skill-{python}-removed")).to_have_text("Python is no longer asked for.")
    await assert_accessible(page)
    await shots(page, "role")
    assert page.url.endswith(f"{role_id}#skill-{python}")

    async with database.tenant_session(portal.tenant) as session:
        service = FrameworkService(session)
        role = await service.get_role(role_id)
        assert (role.title, role.level, role.description) == (title, 4, "Builds the churn models.")
        assert (await session.get(JobFamily, role.job_family_id)).name == family  # type: ignore[union-attr]
        required, _ = await service.role_skills(role_id, None, 100)
        assert [(r.skill_label, r.target_level, r.importance) for r in required] == [("SQL", 4, Importance.IMPORTANT)]

    # The role's facts: renamed and moved up a level; the page shows them.
    await page.reload()
    await page.get_by_label("Title", exact=True).fill(f"{title} II")
    await page.get_by_label("Level (1 to 10)").fill("5")
    await page.get_by_role("button", name="Save the role").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"{title} II")
    await expect(page.locator("#role-facts")).to_have_text(f"{family} · Level 5")
    # The family renamed and described on the framework's page.
    await page.get_by_role("link", name="Back to the framework").click()
    card = page.locator("#family-list > li").filter(has=page.get_by_role("heading", name=family))
    await card.locator("summary").click()
    await card.get_by_label("Name").fill(f"{family} and AI")
    await card.get_by_label("Description").fill("Models, experiments and assistants.")
    await card.get_by_role("button", name="Save the family").click()
    renamed = page.locator("#family-list > li").filter(has=page.get_by_role("heading", name=f"{family} and AI"))
    await expect(renamed).to_contain_text("Models, experiments and assistants.")
    await expect(renamed.get_by_role("link", name=f"{title} II")).to_be_visible()


async def test_hr_adds_edits_and_deletes_a_career_path_step_seen_in_the_graph_and_the_table(
    page: Page, portal: Portal, shots: Shots, database: Database, two_roles: Made
) -> None:
    junior, senior = two_roles.junior, two_roles.senior
    await signed_in(page, portal, "hilde")
    await page.goto(f"{portal.base_url}/hr/framework/paths")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Career paths")
    # The world's steps: in the table, and an arrow each; every role a link to its page.
    analyst, junior_analyst = portal.world.roles["Analyst"], portal.world.roles["Junior Analyst"]
    await expect(page.locator(f'#path-arrows path[data-from="{junior_analyst}"][data-to="{analyst}"]')).to_have_count(1)
    await expect(page.locator(f"#node-{junior.id}")).to_have_attribute("href", f"/hr/framework/roles/{junior.id}")
    await assert_accessible(page)

    def label(role: Role) -> str:
        return f"{role.title} ({MADE}{two_roles.token} Logistics, level {role.level})"

    # From a role to itself: refused beside "To the role", what was chosen and typed kept.
    await page.get_by_label("From the role").select_option(label=label(junior))
    await page.get_by_label("To the role").select_option(label=label(junior))
    await page.get_by_label("Typical time in months").fill("7")
    async with page.expect_response(f"{portal.base_url}/hr/framework/paths") as answered:
        await page.get_by_role("button", name="Add the step").click()
    assert (await answered.value).status == 422
    await expect(page.locator("#new-step-to-error")).to_have_text(
        "A step leads to a different role: choose another one."
    )
    await expect(page.get_by_label("To the role")).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_label("Typical time in months")).to_have_value("7")
    await expect(page.locator("#new-step-from option:checked")).to_have_text(label(junior))
    await assert_accessible(page)
    await shots(page, "paths-refused")

    await page.get_by_label("To the role").select_option(label=label(senior))
    await page.get_by_label("Typical time in months").fill("12")
    await page.get_by_role("button", name="Add the step").click()
    await page.wait_for_url(f"{portal.base_url}/hr/framework/paths#step-*")
    step_id = page.url.rsplit("#step-", 1)[1]
    row = page.locator(f"#step-{step_id}")
    await expect(row.get_by_role("rowheader")).to_have_text(junior.title)
    await expect(row.locator("td").nth(0)).to_have_text(senior.title)
    await expect(row.locator("td").nth(1)).to_have_text("Promotion")
    await expect(row.locator("td").nth(2)).to_have_text("12 months")
    arrow = page.locator(f'#path-arrows path[data-from="{junior.id}"][data-to="{senior.id}"]')
    await expect(arrow).to_have_count(1)
    # The arrow runs from the right of the junior role's box to the left of the senior role's.
    source, target = page.locator(f"#node-{junior.id} rect"), page.locator(f"#node-{senior.id} rect")
    x, width = int(await source.get_attribute("x") or ""), int(await source.get_attribute("width") or "")
    d = await arrow.get_attribute("d") or ""
    assert d.startswith(f"M {x + width} ")
    assert d.split(",")[-1].split()[0] == await target.get_attribute("x")
    await assert_accessible(page)
    await shots(page, "paths")

    # The same step again: refused, nothing added.
    await page.get_by_label("From the role").select_option(label=label(junior))
    await page.get_by_label("To the role").select_option(label=label(senior))
    await page.get_by_role("button", name="Add the step").click()
    await expect(page.locator("#new-step-to-error")).to_have_text("There is already a step from this role to that one.")
    await expect(arrow).to_have_count(1)

    # Its typical time changed, and its kind, in its row.
    between = f"from {junior.title} to {senior.title}"
    await page.get_by_label(f"Typical months of the step {between}").fill("20")
    await page.get_by_label(f"Kind of the step {between}").select_option(label="Move sideways")
    await page.get_by_role("button", name=f"Save the step {between}").click()
    await expect(page.locator(f"#step-{step_id} td").nth(2)).to_have_text("20 months")
    await expect(page.locator(f"#step-{step_id} td").nth(1)).to_have_text("Move sideways")
    async with database.tenant_session(portal.tenant) as session:
        saved = await FrameworkService(session).get_path(uuid.UUID(step_id))
        assert (saved.from_role_id, saved.to_role_id, saved.typical_months) == (junior.id, senior.id, 20)
        assert saved.kind == "lateral"

    # A time out of range in the row: refused beside it, kept.
    await page.get_by_label(f"Typical months of the step {between}").fill("300")
    await page.get_by_role("button", name=f"Save the step {between}").click()
    await expect(page.locator(f"#step-{step_id}-months-error")).to_have_text(
        "Give the typical time in whole months, from 0 to 240, or leave it empty."
    )
    await expect(page.get_by_label(f"Typical months of the step {between}")).to_have_value("300")
    await assert_accessible(page)

    await page.get_by_role("button", name=f"Delete the step {between}").click()
    await page.wait_for_url(f"{portal.base_url}/hr/framework/paths#steps")
    await expect(page.locator(f"#step-{step_id}")).to_have_count(0)
    await expect(arrow).to_have_count(0)
    async with database.tenant_session(portal.tenant) as session:
        assert await session.get(CareerPath, uuid.UUID(step_id)) is None


async def test_the_framework_speaks_dutch(page: Page, portal: Portal, two_roles: Made) -> None:
    await signed_in(page, portal, "hilde", language="nl")
    await page.goto(f"{portal.base_url}/hr/framework")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Functiehuis")
    await expect(page.get_by_role("button", name="Maak de functiefamilie")).to_be_visible()
    await assert_accessible(page)
    await page.goto(f"{portal.base_url}/hr/framework/roles/{two_roles.junior.id}")
    await expect(page.locator("#role-facts")).to_have_text(f"{MADE}{two_roles.token} Logistics · Niveau 2")
    await page.goto(f"{portal.base_url}/hr/framework/paths")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Loopbaanpaden")
    await page.get_by_role("button", name="Voeg de stap toe").click()
    await expect(page.locator("#new-step-from-error")).to_have_text("Kies de functie waar de stap begint.")
    await assert_accessible(page)


async def test_only_hr_reaches_the_framework_and_its_forms_take_exactly_their_fields(
    page: Page, portal: Portal, database: Database, two_roles: Made
) -> None:
    role = two_roles.junior
    sql = portal.world.skills["SQL"]
    writes = {
        "/hr/framework/families": {"name": f"{MADE}{two_roles.token} Forged", "description": ""},
        f"/hr/framework/families/{two_roles.family_id}": {"name": "Renamed", "description": ""},
        "/hr/framework/roles": {
            "job_family_id": str(two_roles.family_id),
            "title": "Forged",
            "level": "3",
            "description": "",
        },
        f"/hr/framework/roles/{role.id}": {
            "job_family_id": str(two_roles.family_id),
            "title": "Forged",
            "level": "3",
            "description": "",
        },
        f"/hr/framework/roles/{role.id}/skills": {
            "skill_id": str(sql),
            "target_level": "3",
            "importance": "essential",
            "q": "",
        },
        f"/hr/framework/roles/{role.id}/skills/{sql}": {"target_level": "3", "importance": "essential"},
        f"/hr/framework/roles/{role.id}/skills/{sql}/remove": {},
        "/hr/framework/paths": {
            "from_role_id": str(role.id),
            "to_role_id": str(two_roles.senior.id),
            "kind": "promotion",
            "typical_months": "",
        },
    }
    pages = [
        "/hr/framework",
        f"/hr/framework/roles/{role.id}",
        f"/hr/framework/roles/{role.id}/skills/search?q=sql",
        "/hr/framework/paths",
    ]
    for login in ("ana", "hm"):
        await page.context.clear_cookies()
        cookies = await signed_in(page, portal, login)
        async with httpx.AsyncClient(base_url=portal.base_url, headers=HTML, cookies=cookies) as person:
            for path in pages:
                refused = await person.get(path)
                assert refused.status_code == 403, (login, path)
                assert "Only your company&#39;s HR admins may use the HR workspace." in refused.text
            for path, form in writes.items():
                refused = await person.post(path, data=form, headers={"Origin": portal.base_url})
                assert refused.status_code == 403, (login, path, refused.text)

    await page.context.clear_cookies()
    cookies = await signed_in(page, portal, "hilde")
    async with httpx.AsyncClient(base_url=portal.base_url, headers=HTML, cookies=cookies) as hilde:
        own = {"Origin": portal.base_url}
        # From another site: refused before anything is read.
        forged = await hilde.post(
            "/hr/framework/paths", data=writes["/hr/framework/paths"], headers={"Origin": "https://evil.example"}
        )
        assert forged.status_code == 403
        # A field the form does not have, or one sent twice: a bad request.
        for path, form in writes.items():
            odd = await hilde.post(path, data={**form, "colour": "blue"}, headers=own)
            assert odd.status_code == 400, (path, odd.text)
        twice = await hilde.post(
            "/hr/framework/families", data={"name": [f"{MADE}{two_roles.token} A", "B"], "description": ""}, headers=own
        )
        assert twice.status_code == 400
        # Without script, a row's form posts and the page comes back at the row; a role that is not
        # there is not found.
        added = await hilde.post(
            f"/hr/framework/roles/{role.id}/skills", data=writes[f"/hr/framework/roles/{role.id}/skills"], headers=own
        )
        assert added.status_code == 303
        assert added.headers["location"] == f"/hr/framework/roles/{role.id}#skill-{sql}"
        changed = await hilde.post(
            f"/hr/framework/roles/{role.id}/skills/{sql}",
            data={"target_level": "2", "importance": "important"},
            headers=own,
        )
        assert changed.status_code == 303
        assert changed.headers["location"] == f"/hr/framework/roles/{role.id}#skill-{sql}"
        missing = await hilde.get(f"/hr/framework/roles/{uuid.uuid4()}")
        assert missing.status_code == 404
        # A row's refusal, asked by htmx: the row alone, its reason beside the level.
        row = await hilde.post(
            f"/hr/framework/roles/{role.id}/skills/{sql}",
            data={"target_level": "9", "importance": "essential"},
            headers={**own, "HX-Request": "true", "HX-Target": f"skill-{sql}"},
        )
        assert row.status_code == 422
        assert "<html" not in row.text
        assert f'id="skill-{sql}-level-error"' in row.text
        assert "Choose a level from 1 to 5." in row.text
    async with database.tenant_session(portal.tenant) as session:
        service = FrameworkService(session)
        assert (await service.get_family(two_roles.family_id)).name == f"{MADE}{two_roles.token} Logistics"
        assert (await service.get_role(role.id)).title == role.title
        assert await session.scalar(select(JobFamily.id).where(JobFamily.name.contains("Forged"))) is None
        assert await session.scalar(select(Role.id).where(Role.title == "Forged")) is None
        paths, _ = await service.list_paths(from_role_id=role.id, to_role_id=None, kind=None, cursor=None, limit=10)
        assert list(paths) == []
        required, _ = await service.role_skills(role.id, None, 10)
        assert [(r.skill_label, r.target_level, r.importance) for r in required] == [("SQL", 2, Importance.IMPORTANT)]
