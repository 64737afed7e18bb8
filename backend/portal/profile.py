"""The portal's profile pages: a person's own skills and aspirations, read and written through the same
services, with the same principal and rules, as the API.

- `/profile`: my current skills (`SkillProfileService.profile`, as `GET /employees/{id}/skills`) with
  level, source, evidence and last confirmation, the ones older than the stale-skill reminders'
  `skill_stale_days` marked; the skill library searched as one types (`SkillService.list_skills`, as
  `GET /skills?q=`; htmx asks `/profile/search` for the results, a plain GET form does without script).
- `POST /profile/skills`: add or re-rate a skill, `POST /profile/skills/{skill_id}/confirm`: confirm or
  update one rating in one click (`SkillProfileService.set_skill`, as `PUT /employees/{id}/skills/{skill}`:
  one's own ratings default to `self`).
- `/profile/history`: every version of my ratings (`SkillProfileService.history`).
- `/aspirations`: target roles, skills to grow and the open-to-move level, with who sees what at each
  level (`AspirationService`, as `GET`/`PUT /employees/{id}/aspirations`).

A refusal (the service's `DomainError`, or the schema's validation) is shown beside the field it
names, the page answered 422 with what was typed; a success goes back to the page (303).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec
from litestar import Controller, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXTemplate
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import MAX_LIMIT
from backend.aspirations.models import OpenToMove
from backend.aspirations.schemas import AspirationRead, AspirationSet
from backend.aspirations.service import AspirationService
from backend.auth.middleware import principal_employee
from backend.auth.principal import Principal, Scope
from backend.framework.service import FrameworkService
from backend.org.skill_profiles import SkillProfileService, writable_sources
from backend.portal.i18n import Language
from backend.portal.routes import Visit
from backend.portal.skills import skill_search
from backend.skills.schemas import EmployeeSkillSet
from backend.skills.service import SkillService

# What the API's bearer middleware leaves to these pages (their guard is the portal's).
PROFILE_PATHS = ["^/profile(/.*)?$", "^/aspirations$"]
# A field error not tied to one field (a skill that no longer exists, a profile now read-only).


async def rate_own_skill(db: AsyncSession, principal: Principal, skill_id: uuid.UUID, fields: dict[str, str]) -> object:
    """The person's own rating of a skill from a form's fields (empty ones left out, so the source is
    `self` unless named), written as `PUT /employees/{id}/skills/{skill}` writes it."""
    data = msgspec.convert({name: value or None for name, value in fields.items()}, EmployeeSkillSet, strict=False)
    return await SkillProfileService(db).set_skill(principal, principal_employee(principal), skill_id, data)


def _form_ids(form: FormMultiDict, name: str) -> list[str]:
    return [value for value in form.getall(name, []) if isinstance(value, str) and value]


class ProfileController(Controller):
    path = "/"
    include_in_schema = False

    async def _profile_page(
        self, visit: Visit, *, q: str = "", errors: dict[str, str] | None = None, typed: dict[str, str] | None = None
    ) -> Template:
        me, unread = await visit.header()
        skills, _ = await SkillProfileService(visit.db).profile(me.id, None, None, MAX_LIMIT)
        levels = await SkillService(visit.db).proficiency_levels()
        results = await skill_search(visit.db, q)
        stale_before = dt.date.today() - dt.timedelta(days=visit.settings.skill_stale_days)
        return await visit.page(
            "profile.html",
            status=422 if errors else 200,
            me=me,
            unread=unread,
            skills=sorted(skills, key=lambda s: (s.skill_label.casefold(), s.source)),
            own_sources=writable_sources(visit.principal, me),
            stale_before=stale_before,
            levels=levels,
            q=q,
            results=results,
            errors=errors or {},
            typed=typed or {},
        )

    @get("/profile", opt={"scope": Scope.SKILLS_READ}, name="portal:profile")
    async def profile(self, visit: NamedDependency[Visit], q: FromQuery[str] = "") -> Template:
        return await self._profile_page(visit, q=q.strip())

    @get("/profile/search", opt={"scope": Scope.TAXONOMY_READ}, name="portal:profile-search")
    async def search(self, visit: NamedDependency[Visit], q: FromQuery[str] = "") -> Template:
        """The search's results alone, for htmx to put under the field as the person types."""
        levels = await SkillService(visit.db).proficiency_levels()
        return HTMXTemplate(
            template_name="profile_search.html",
            context={
                "i18n": visit.language,
                "q": q.strip(),
                "results": await skill_search(visit.db, q.strip()),
                "levels": levels,
                "errors": {},
                "typed": {},
            },
        )

    @post("/profile/skills", opt={"scope": Scope.SKILLS_WRITE}, name="portal:profile-add", status_code=303)
    async def add_skill(self, visit: NamedDependency[Visit]) -> Response[Any]:
        visit.refuse_cross_site()
        form = await visit.form("skill_id", "level", "q")
        typed = {name: str(form.get(name, "")) for name in ("skill_id", "level", "q")}
        try:
            skill_id = uuid.UUID(typed["skill_id"])
        except ValueError:
            return await self._refused(visit, {"skill_id": ""}, typed)
        if errors := await visit.attempt(
            lambda: rate_own_skill(visit.db, visit.principal, skill_id, {"level": typed["level"]})
        ):
            return await self._refused(visit, errors, typed)
        return Redirect(f"/profile#skill-{skill_id}", status_code=303)

    @post(
        "/profile/skills/{skill_id:uuid}/confirm",
        opt={"scope": Scope.SKILLS_WRITE},
        name="portal:profile-confirm",
        status_code=303,
    )
    async def confirm_skill(self, visit: NamedDependency[Visit], skill_id: FromPath[uuid.UUID]) -> Response[Any]:
        """One rating confirmed at its level (only its date moves) or updated to another, in one click;
        its source and evidence stay as they are."""
        visit.refuse_cross_site()
        form = await visit.form("level", "source", "evidence_url")
        fields = {name: str(form.get(name, "")) for name in ("level", "source", "evidence_url")}
        if errors := await visit.attempt(lambda: rate_own_skill(visit.db, visit.principal, skill_id, fields)):
            # A row's fields are named by its skill: the page has one form per rating.
            by_row = {f"{skill_id}:{field}": message for field, message in errors.items()}
            return await self._refused(visit, by_row, {})
        return Redirect(f"/profile#skill-{skill_id}", status_code=303)

    async def _refused(self, visit: Visit, errors: dict[str, str], typed: dict[str, str]) -> Template:
        """The page again (422) with the refusals beside their fields, in the person's language (never the
        API's English `detail`; a row's fields are "<skill>:<field>"), and what was typed kept."""
        shown = {field: rating_refusal(visit.language, field) for field in errors}
        return await self._profile_page(visit, q=typed.get("q", ""), errors=shown, typed=typed)

    @get("/profile/history", opt={"scope": Scope.SKILLS_READ}, name="portal:profile-history")
    async def history(self, visit: NamedDependency[Visit], cursor: FromQuery[str | None] = None) -> Template:
        me, unread = await visit.header()
        versions, next_cursor = await SkillProfileService(visit.db).history(me.id, None, cursor, MAX_LIMIT)
        return await visit.page(
            "profile_history.html",
            me=me,
            unread=unread,
            versions=versions,
            next_cursor=next_cursor,
        )

    async def _aspirations_page(
        self,
        visit: Visit,
        chosen: AspirationRead | None = None,
        errors: dict[str, str] | None = None,
        saved: bool = False,
    ) -> Template:
        me, unread = await visit.header()
        current = await AspirationService(visit.db).get(visit.principal, me.id)
        roles, _ = await FrameworkService(visit.db).list_roles(
            job_family_id=None, level=None, q=None, cursor=None, limit=MAX_LIMIT
        )
        skills, _ = await SkillService(visit.db).list_skills(q=None, category_id=None, cursor=None, limit=MAX_LIMIT)
        return await visit.page(
            "aspirations.html",
            status=422 if errors else 200,
            me=me,
            unread=unread,
            # The form shows what was chosen (kept after a refusal); "who sees them now", what is saved.
            aspirations=chosen or current,
            current=current,
            roles=sorted(roles, key=lambda r: (r.title.casefold(), r.level or 0)),
            skills=sorted(skills, key=lambda s: s.label.casefold()),
            levels=list(OpenToMove),
            errors=errors or {},
            saved=saved,
        )

    @get("/aspirations", opt={"scope": Scope.ASPIRATIONS_READ}, name="portal:aspirations")
    async def aspirations(self, visit: NamedDependency[Visit], saved: FromQuery[bool] = False) -> Template:
        """My aspirations; `saved` says the form was just saved (where the form sends the browser back)."""
        return await self._aspirations_page(visit, saved=saved)

    @post("/aspirations", opt={"scope": Scope.ASPIRATIONS_WRITE}, name="portal:aspirations-set", status_code=303)
    async def set_aspirations(self, visit: NamedDependency[Visit]) -> Response[Any]:
        visit.refuse_cross_site()
        form = await visit.form("open_to_move", repeated=("target_role_ids", "skill_ids"))
        typed = {
            "open_to_move": str(form.get("open_to_move", "")) or None,
            "target_role_ids": _form_ids(form, "target_role_ids"),
            "skill_ids": _form_ids(form, "skill_ids"),
        }
        me = principal_employee(visit.principal)

        async def save() -> object:
            return await AspirationService(visit.db).replace(
                visit.principal, me, msgspec.convert(typed, AspirationSet, strict=False)
            )

        if errors := await visit.attempt(save):
            # What was chosen stays chosen (ids that are not ids cannot be shown, and are dropped).
            chosen = AspirationRead(
                employee_id=me,
                open_to_move=OpenToMove(typed["open_to_move"])
                if typed["open_to_move"] in set(OpenToMove)
                else OpenToMove.HIDDEN,
                target_role_ids=_uuids(typed["target_role_ids"]),
                skill_ids=_uuids(typed["skill_ids"]),
                updated_at=None,
            )
            return await self._aspirations_page(visit, chosen, errors)
        return Redirect("/aspirations?saved=true", status_code=303)


def _uuids(values: Any) -> list[uuid.UUID]:
    ids = []
    for value in values:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            continue
    return ids


def rating_refusal(language: Language, field: str) -> str:
    """Why a rating was refused, for the field it concerns, in the person's language."""
    messages = {
        "skill_id": _unknown_skill(language),
        "level": language.gettext("Choose your level, from 1 to 5."),
        "source": language.gettext("You may not give this source on your own profile: choose another one."),
        "evidence_url": language.gettext(
            "A course or an assessment needs a link to its evidence: a web address starting with https://."
        ),
    }
    return messages.get(
        field.rsplit(":", 1)[-1], language.gettext("It could not be saved as it is: reload the page and try again.")
    )


def _unknown_skill(language: Language) -> str:
    return language.gettext("Choose a skill from the search results.")
