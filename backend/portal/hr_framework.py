"""The HR workspace's Framework: job families, their roles and the skills each role asks for, and the
career paths between roles, over `FrameworkService`, with the same principal and rules (and scopes,
`roles:read` / `roles:write`) as the API's `/job-families`, `/roles` and `/career-paths` routes.

- `/hr/framework`: the job families with their roles; a family created (`create_family`, as
  `POST /job-families`), renamed or described (`update_family`, as `PATCH /job-families/{id}`); a role
  created in a family (`create_role`, as `POST /roles`).
- `/hr/framework/roles/{id}`: a role's facts edited (`update_role`, as `PATCH /roles/{id}`) and its
  required skills edited in place (`role_skills`, `set_role_skill`, `remove_role_skill`, as
  `GET/PUT/DELETE /roles/{id}/skills/{skill_id}`): a row's level or importance changed, a skill
  removed (htmx swaps the row; without script the form posts and the page comes back), a skill added
  from the library's search (`/hr/framework/roles/{id}/skills/search` as one types, `skill_search`).
- `/hr/framework/paths`: the career paths drawn as a graph (roles in columns by level, steps as
  arrows, `path_layout.layout`) beside the same steps as a table; a step added (`create_path`), its
  typical time or kind changed (`update_path`), deleted (`delete_path`).

A refusal is the page again with the API's status, the reason beside its field in the person's
language and what was typed kept; nothing of it is kept (a savepoint).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Controller, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXTemplate
from litestar.response import Redirect, Response, Template

from backend.api.pagination import MAX_LIMIT
from backend.auth.principal import Scope
from backend.errors import ConflictError, InvalidInputError, NotFoundError
from backend.framework.models import CareerPath, Importance, JobFamily, Role, TransitionKind
from backend.framework.schemas import (
    CareerPathCreate,
    CareerPathUpdate,
    JobFamilyCreate,
    JobFamilyUpdate,
    RoleCreate,
    RoleSkillRead,
    RoleSkillSet,
    RoleUpdate,
)
from backend.framework.service import FrameworkService
from backend.portal.forms import FORM, Refused, field_of
from backend.portal.hr import AREAS
from backend.portal.i18n import N_, Language
from backend.portal.lists import every
from backend.portal.path_layout import Node, layout
from backend.portal.routes import Visit
from backend.portal.skills import skill_search
from backend.skills.service import SkillService

FRAMEWORK = "/hr/framework"
PATHS = f"{FRAMEWORK}/paths"
# How the pages name a requirement's importance and a step's kind (the API's values).
IMPORTANCE_NAMES = {
    Importance.ESSENTIAL: N_("Essential"),
    Importance.IMPORTANT: N_("Important"),
    Importance.NICE_TO_HAVE: N_("Nice to have"),
}
KIND_NAMES = {
    TransitionKind.PROMOTION: N_("Promotion"),
    TransitionKind.LATERAL: N_("Move sideways"),
    TransitionKind.CROSS_DEPARTMENT: N_("Move to another department"),
}
# The fields of each form, as its template sends them.
FAMILY_FIELDS = ("name", "description")
ROLE_FIELDS = ("job_family_id", "title", "level", "description")
SKILL_FIELDS = ("target_level", "importance")
# Adding a skill also sends the search it was found by (so a refusal shows the results again).
ADD_SKILL_FIELDS = ("skill_id", *SKILL_FIELDS, "q")
PATH_FIELDS = ("from_role_id", "to_role_id", "kind", "typical_months")
PATH_EDIT_FIELDS = ("kind", "typical_months")


def role_url(role_id: uuid.UUID | str) -> str:
    return f"{FRAMEWORK}/roles/{role_id}"


def typed_of(form: FormMultiDict, names: Sequence[str]) -> dict[str, str]:
    """A form's fields as typed (strings; a field left out is empty)."""
    return {name: str(form.get(name, "")) for name in names}


def body_of(typed: dict[str, str], optional: Sequence[str] = ()) -> dict[str, Any]:
    """What the API's body would hold: the fields as typed, trimmed; an empty `optional` one absent
    (None)."""
    return {name: (value.strip() or None) if name in optional else value.strip() for name, value in typed.items()}


def refusal_words(language: Language, exc: Refused) -> dict[str, str]:
    """A refused write of this area as {field: message} in the person's language, beside the field the
    API's problem names (a conflict is a name, a title or a step already taken)."""
    gettext = language.gettext
    if isinstance(exc, ConflictError):
        if "job family named" in exc.detail:
            return {"name": gettext("Another job family already has this name.")}
        if "role titled" in exc.detail:
            return {"title": gettext("This job family already has a role with this title.")}
        return {"to_role_id": gettext("There is already a step from this role to that one.")}
    name = (
        exc.field
        if isinstance(exc, InvalidInputError)
        else field_of(exc)
        if isinstance(exc, msgspec.ValidationError)
        else FORM
    )
    if name == "to_role_id" and isinstance(exc, InvalidInputError) and "different role" in exc.detail:
        return {name: gettext("A step leads to a different role: choose another one.")}
    messages = {
        "name": gettext("Give the family a name, in at most 200 characters."),
        "description": gettext("Write the description in at most 5,000 characters."),
        "title": gettext("Give the role a title, in at most 200 characters."),
        "job_family_id": gettext("Choose the role's job family."),
        "level": gettext("Choose a level from 1 to 10."),
        "target_level": gettext("Choose a level from 1 to 5."),
        "importance": gettext("Choose how important the skill is."),
        "skill_id": gettext("Choose a skill from your company's library."),
        "from_role_id": gettext("Choose the role the step starts from."),
        "to_role_id": gettext("Choose the role the step leads to."),
        "kind": gettext("Choose the kind of move."),
        "typical_months": gettext("Give the typical time in whole months, from 0 to 240, or leave it empty."),
    }
    if name in messages:
        return {name: messages[name]}
    return {FORM: gettext("That was not saved. Check it and try again.")}


async def requirement_options(visit: Visit) -> dict[str, list[tuple[str, str]]]:
    """The choices of a required skill's selects, as (value, words): the company's proficiency levels
    and the importances."""
    language = visit.language
    levels = await SkillService(visit.db).proficiency_levels()
    return {
        "level_options": [(str(p.level), f"{p.level} · {language.level_name(p.level, p.name)}") for p in levels],
        "importance_options": [(i.value, language.gettext(name)) for i, name in IMPORTANCE_NAMES.items()],
    }


@dataclass(frozen=True)
class Failed:
    """Which form of a page was refused (`form`: its key), with what was typed and why."""

    form: str
    typed: dict[str, str]
    errors: dict[str, str]


async def _families(service: FrameworkService) -> list[JobFamily]:
    found = await every(lambda cursor: service.list_families(None, cursor, MAX_LIMIT))
    return sorted(found, key=lambda f: f.name.casefold())


async def _roles(service: FrameworkService) -> list[Role]:
    found = await every(
        lambda cursor: service.list_roles(job_family_id=None, level=None, q=None, cursor=cursor, limit=MAX_LIMIT)
    )
    return sorted(found, key=lambda r: (r.level, r.title.casefold()))


async def _paths(service: FrameworkService) -> list[CareerPath]:
    return await every(
        lambda cursor: service.list_paths(from_role_id=None, to_role_id=None, kind=None, cursor=cursor, limit=MAX_LIMIT)
    )


async def _role_skills(service: FrameworkService, role_id: uuid.UUID) -> list[RoleSkillRead]:
    found = await every(lambda cursor: service.role_skills(role_id, cursor, MAX_LIMIT))
    return sorted(found, key=lambda s: s.skill_label.casefold())


class FrameworkController(Controller):
    path = FRAMEWORK
    include_in_schema = False

    # --- families and roles -------------------------------------------------------------------------

    @get("/", opt={"scope": Scope.ROLES_READ}, name="portal:hr-framework")
    async def framework(self, visit: NamedDependency[Visit]) -> Template:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        return await self._framework_page(visit)

    async def _framework_page(self, visit: Visit, failed: Failed | None = None, status: int = 200) -> Template:
        service = FrameworkService(visit.db)
        families = await _families(service)
        roles = await _roles(service)
        return await visit.page(
            "hr_framework.html",
            status=status,
            areas=AREAS,
            families=families,
            roles_of={f.id: [r for r in roles if r.job_family_id == f.id] for f in families},
            family_options=[(str(f.id), f.name) for f in families],
            failed=failed,
        )

    async def _write(
        self,
        visit: Visit,
        names: Sequence[str],
        write: Callable[[dict[str, str]], Awaitable[object]],
        again: Callable[[Failed, int], Awaitable[Response[Any]]],
        form_key: str,
    ) -> Response[Any] | dict[str, str]:
        """The one write of this area's forms: past the same-origin wall, the form read (exactly
        `names`), `write` tried with what was typed; a refusal is `again` (the page with the form
        refused), else what was typed (the caller then redirects)."""
        visit.refuse_cross_site()
        typed = typed_of(await visit.form(*names), names)
        language = visit.language
        refused = await visit.attempt(
            lambda: write(typed), lambda exc: refusal_words(language, exc), not_found_raises=True
        )
        if refused:
            return await again(Failed(form_key, typed, dict(refused)), refused.status)
        return typed

    @post("/families", opt={"scope": Scope.ROLES_WRITE}, name="portal:hr-family-create", media_type=MediaType.HTML)
    async def create_family(self, visit: NamedDependency[Visit]) -> Response[Any]:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        service = FrameworkService(visit.db)

        async def write(typed: dict[str, str]) -> object:
            return await service.create_family(msgspec.convert(body_of(typed, ("description",)), JobFamilyCreate))

        done = await self._write(
            visit, FAMILY_FIELDS, write, lambda f, s: self._framework_page(visit, f, s), "new-family"
        )
        if isinstance(done, Response):
            return done
        return Redirect(f"{FRAMEWORK}#families", status_code=303)

    @post(
        "/families/{family_id:uuid}",
        opt={"scope": Scope.ROLES_WRITE},
        name="portal:hr-family-update",
        media_type=MediaType.HTML,
    )
    async def update_family(self, visit: NamedDependency[Visit], family_id: FromPath[uuid.UUID]) -> Response[Any]:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        service = FrameworkService(visit.db)

        async def write(typed: dict[str, str]) -> object:
            patch = msgspec.convert(body_of(typed, ("description",)), JobFamilyUpdate)
            return await service.update_family(family_id, patch)

        try:
            done = await self._write(
                visit, FAMILY_FIELDS, write, lambda f, s: self._framework_page(visit, f, s), f"family-{family_id}"
            )
        except NotFoundError:
            return await self._not_found(visit)
        if isinstance(done, Response):
            return done
        return Redirect(f"{FRAMEWORK}#family-{family_id}", status_code=303)

    @post("/roles", opt={"scope": Scope.ROLES_WRITE}, name="portal:hr-role-create", media_type=MediaType.HTML)
    async def create_role(self, visit: NamedDependency[Visit]) -> Response[Any]:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        service = FrameworkService(visit.db)
        created: list[Role] = []

        async def write(typed: dict[str, str]) -> object:
            data = msgspec.convert(body_of(typed, ("description", "job_family_id")), RoleCreate, strict=False)
            created.append(await service.create_role(data))
            return created[0]

        done = await self._write(visit, ROLE_FIELDS, write, lambda f, s: self._framework_page(visit, f, s), "new-role")
        if isinstance(done, Response):
            return done
        return Redirect(role_url(created[0].id), status_code=303)

    async def _not_found(self, visit: Visit) -> Template:
        language = visit.language
        return await visit.refused(404, FRAMEWORK, language.gettext("Back to the framework"))

    # --- one role -----------------------------------------------------------------------------------

    @get("/roles/{role_id:uuid}", opt={"scope": Scope.ROLES_READ}, name="portal:hr-role")
    async def role(
        self, visit: NamedDependency[Visit], role_id: FromPath[uuid.UUID], q: FromQuery[str] = ""
    ) -> Template:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        return await self._role_page(visit, role_id, q=q.strip())

    async def _role_page(
        self, visit: Visit, role_id: uuid.UUID, *, q: str = "", failed: Failed | None = None, status: int = 200
    ) -> Template:
        service = FrameworkService(visit.db)
        try:
            role = await service.get_role(role_id)
        except NotFoundError:
            return await self._not_found(visit)
        skills = await _role_skills(service, role_id)
        families = await _families(service)
        return await visit.page(
            "hr_framework_role.html",
            status=status,
            areas=AREAS,
            role=role,
            family=next((f for f in families if f.id == role.job_family_id), None),
            family_options=[(str(f.id), f.name) for f in families],
            skills=skills,
            q=q,
            **await self._skill_choices(visit, q, skills),
            failed=failed,
        )

    async def _skill_choices(self, visit: Visit, q: str, skills: Sequence[RoleSkillRead]) -> dict[str, Any]:
        """The library's skills found for `q` that the role does not ask for yet, and the levels and
        importances a requirement takes."""
        return {
            "results": await skill_search(visit.db, q, {str(s.skill_id) for s in skills}),
            **await requirement_options(visit),
        }

    @get("/roles/{role_id:uuid}/skills/search", opt={"scope": Scope.ROLES_READ}, name="portal:hr-role-skill-search")
    async def skill_search(
        self, visit: NamedDependency[Visit], role_id: FromPath[uuid.UUID], q: FromQuery[str] = ""
    ) -> Template:
        """The library's skills found as one types (htmx puts them under the search field)."""
        if refusal := await visit.refuse_unless_hr():
            return refusal
        service = FrameworkService(visit.db)
        try:
            role = await service.get_role(role_id)
        except NotFoundError:
            return await self._not_found(visit)
        skills = await _role_skills(service, role_id)
        return HTMXTemplate(
            template_name="hr_framework_results.html",
            context={
                "i18n": visit.language,
                "role": role,
                "q": q.strip(),
                "failed": None,
                **await self._skill_choices(visit, q.strip(), skills),
            },
        )

    @post(
        "/roles/{role_id:uuid}",
        opt={"scope": Scope.ROLES_WRITE},
        name="portal:hr-role-update",
        media_type=MediaType.HTML,
    )
    async def update_role(self, visit: NamedDependency[Visit], role_id: FromPath[uuid.UUID]) -> Response[Any]:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        service = FrameworkService(visit.db)

        async def write(typed: dict[str, str]) -> object:
            patch = msgspec.convert(body_of(typed, ("description", "job_family_id")), RoleUpdate, strict=False)
            return await service.update_role(role_id, patch)

        try:
            done = await self._write(
                visit, ROLE_FIELDS, write, lambda f, s: self._role_page(visit, role_id, failed=f, status=s), "role"
            )
        except NotFoundError:
            return await self._not_found(visit)
        if isinstance(done, Response):
            return done
        return Redirect(role_url(role_id), status_code=303)

    @post(
        "/roles/{role_id:uuid}/skills",
        opt={"scope": Scope.ROLES_WRITE},
        name="portal:hr-role-skill-add",
        media_type=MediaType.HTML,
    )
    async def add_skill(self, visit: NamedDependency[Visit], role_id: FromPath[uuid.UUID]) -> Response[Any]:
        """A skill of the library's search required (the API's PUT of a skill the role did not ask
        for)."""
        if refusal := await visit.refuse_unless_hr():
            return refusal
        service = FrameworkService(visit.db)

        async def write(typed: dict[str, str]) -> object:
            try:
                skill_id = uuid.UUID(typed["skill_id"])
            except ValueError:
                raise InvalidInputError("skill_id", "skill_id must be a skill's id") from None
            requirement = {name: typed[name] for name in SKILL_FIELDS}
            data = msgspec.convert(body_of(requirement, SKILL_FIELDS), RoleSkillSet, strict=False)
            await service.get_role(role_id)  # a role that is not there: the not-found page
            try:
                return await service.set_role_skill(role_id, skill_id, data)
            except NotFoundError as exc:
                # The role is there: it is the skill that is not in the library (the form's field).
                raise InvalidInputError("skill_id", exc.detail) from None

        try:
            done = await self._write(
                visit,
                ADD_SKILL_FIELDS,
                write,
                lambda f, s: self._role_page(visit, role_id, q=f.typed["q"].strip(), failed=f, status=s),
                "add-skill",
            )
        except NotFoundError:
            return await self._not_found(visit)
        if isinstance(done, Response):
            return done
        return Redirect(f"{role_url(role_id)}#skill-{done['skill_id']}", status_code=303)

    @post(
        "/roles/{role_id:uuid}/skills/{skill_id:uuid}",
        opt={"scope": Scope.ROLES_WRITE},
        name="portal:hr-role-skill-set",
        media_type=MediaType.HTML,
    )
    async def set_skill(
        self, visit: NamedDependency[Visit], role_id: FromPath[uuid.UUID], skill_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        """A required skill's level or importance changed: htmx gets the row back (saved, or refused
        with its reason), a plain form the page."""
        if refusal := await visit.refuse_unless_hr():
            return refusal
        service = FrameworkService(visit.db)

        async def write(typed: dict[str, str]) -> object:
            data = msgspec.convert(body_of(typed, SKILL_FIELDS), RoleSkillSet, strict=False)
            return await service.set_role_skill(role_id, skill_id, data)

        async def again(failed: Failed, status: int) -> Response[Any]:
            if visit.request.htmx:
                return await self._skill_row(visit, role_id, skill_id, failed=failed, status=status)
            return await self._role_page(visit, role_id, failed=failed, status=status)

        try:
            done = await self._write(visit, SKILL_FIELDS, write, again, f"skill-{skill_id}")
        except NotFoundError:
            return await self._not_found(visit)
        if isinstance(done, Response):
            return done
        if visit.request.htmx:
            return await self._skill_row(visit, role_id, skill_id, saved=True)
        return Redirect(f"{role_url(role_id)}#skill-{skill_id}", status_code=303)

    async def _skill_row(
        self,
        visit: Visit,
        role_id: uuid.UUID,
        skill_id: uuid.UUID,
        *,
        saved: bool = False,
        failed: Failed | None = None,
        status: int = 200,
    ) -> Template:
        """One required skill's row alone, for htmx to swap in place."""
        service = FrameworkService(visit.db)
        skill = next((s for s in await _role_skills(service, role_id) if s.skill_id == skill_id), None)
        if skill is None:
            return await self._not_found(visit)
        return HTMXTemplate(
            template_name="hr_framework_skill.html",
            context={
                "i18n": visit.language,
                "role_id": role_id,
                "s": skill,
                "saved": saved,
                "failed": failed,
                **await requirement_options(visit),
            },
            status_code=status,
        )

    @post(
        "/roles/{role_id:uuid}/skills/{skill_id:uuid}/remove",
        opt={"scope": Scope.ROLES_WRITE},
        name="portal:hr-role-skill-remove",
        media_type=MediaType.HTML,
    )
    async def remove_skill(
        self, visit: NamedDependency[Visit], role_id: FromPath[uuid.UUID], skill_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        """A required skill removed: htmx gets its row saying so, a plain form the page."""
        if refusal := await visit.refuse_unless_hr():
            return refusal
        service = FrameworkService(visit.db)
        visit.refuse_cross_site()
        await visit.form()  # a form of one button: any field sent is refused
        try:
            skills = await _role_skills(service, role_id)
            label = next((s.skill_label for s in skills if s.skill_id == skill_id), None)
            await visit.attempt(lambda: service.remove_role_skill(role_id, skill_id), not_found_raises=True)
        except NotFoundError:
            return await self._not_found(visit)
        if visit.request.htmx:
            return HTMXTemplate(
                template_name="hr_framework_removed.html",
                context={"i18n": visit.language, "skill_id": skill_id, "label": label},
            )
        return Redirect(f"{role_url(role_id)}#role-skills", status_code=303)

    # --- career paths -------------------------------------------------------------------------------

    @get("/paths", opt={"scope": Scope.ROLES_READ}, name="portal:hr-paths")
    async def paths(self, visit: NamedDependency[Visit]) -> Template:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        return await self._paths_page(visit)

    async def _paths_page(self, visit: Visit, failed: Failed | None = None, status: int = 200) -> Template:
        language = visit.language
        kind_names = {kind.value: language.gettext(name) for kind, name in KIND_NAMES.items()}
        service = FrameworkService(visit.db)
        families = {f.id: f.name for f in await _families(service)}
        roles = await _roles(service)
        steps = await _paths(service)
        by_id = {r.id: r for r in roles}
        steps.sort(
            key=lambda p: (
                by_id[p.from_role_id].level,
                by_id[p.from_role_id].title.casefold(),
                by_id[p.to_role_id].title.casefold(),
            )
        )
        graph = layout(
            [Node(r.id, r.level, f"{families.get(r.job_family_id, '')}\x00{r.title.casefold()}") for r in roles],
            [(p.from_role_id, p.to_role_id) for p in steps],
        )
        return await visit.page(
            "hr_framework_paths.html",
            status=status,
            areas=AREAS,
            roles=roles,
            by_id=by_id,
            families=families,
            steps=steps,
            graph=graph,
            role_options=[
                (
                    str(r.id),
                    language.gettext("%(role)s (%(family)s, level %(level)s)")
                    % {"role": r.title, "family": families.get(r.job_family_id, ""), "level": r.level},
                )
                for r in sorted(roles, key=lambda r: r.title.casefold())
            ],
            kind_options=list(kind_names.items()),
            kind_names=kind_names,
            failed=failed,
        )

    @post("/paths", opt={"scope": Scope.ROLES_WRITE}, name="portal:hr-path-create", media_type=MediaType.HTML)
    async def create_path(self, visit: NamedDependency[Visit]) -> Response[Any]:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        service = FrameworkService(visit.db)
        created: list[CareerPath] = []

        async def write(typed: dict[str, str]) -> object:
            body = body_of(typed, PATH_FIELDS)
            created.append(await service.create_path(msgspec.convert(body, CareerPathCreate, strict=False)))
            return created[0]

        done = await self._write(visit, PATH_FIELDS, write, lambda f, s: self._paths_page(visit, f, s), "new-path")
        if isinstance(done, Response):
            return done
        return Redirect(f"{PATHS}#step-{created[0].id}", status_code=303)

    @post(
        "/paths/{path_id:uuid}",
        opt={"scope": Scope.ROLES_WRITE},
        name="portal:hr-path-update",
        media_type=MediaType.HTML,
    )
    async def update_path(self, visit: NamedDependency[Visit], path_id: FromPath[uuid.UUID]) -> Response[Any]:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        service = FrameworkService(visit.db)

        async def write(typed: dict[str, str]) -> object:
            body = body_of(typed, PATH_EDIT_FIELDS)
            # An emptied typical time is cleared (the API's null), not left as it was.
            return await service.update_path(path_id, msgspec.convert(body, CareerPathUpdate, strict=False))

        try:
            done = await self._write(
                visit, PATH_EDIT_FIELDS, write, lambda f, s: self._paths_page(visit, f, s), f"step-{path_id}"
            )
        except NotFoundError:
            return await self._not_found(visit)
        if isinstance(done, Response):
            return done
        return Redirect(f"{PATHS}#step-{path_id}", status_code=303)

    @post(
        "/paths/{path_id:uuid}/delete",
        opt={"scope": Scope.ROLES_WRITE},
        name="portal:hr-path-delete",
        media_type=MediaType.HTML,
    )
    async def delete_path(self, visit: NamedDependency[Visit], path_id: FromPath[uuid.UUID]) -> Response[Any]:
        if refusal := await visit.refuse_unless_hr():
            return refusal
        visit.refuse_cross_site()
        await visit.form()  # a form of one button: any field sent is refused
        try:
            await visit.attempt(lambda: FrameworkService(visit.db).delete_path(path_id), not_found_raises=True)
        except NotFoundError:
            return await self._not_found(visit)
        return Redirect(f"{PATHS}#steps", status_code=303)
