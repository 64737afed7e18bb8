"""The skill library's search as the portal's forms use it (My profile, a manager's posting form): the
skills `GET /skills?q=` finds, a page of them."""

from __future__ import annotations

from collections.abc import Collection

from litestar.datastructures import FormMultiDict
from sqlalchemy.ext.asyncio import AsyncSession

from backend.skills.models import Skill
from backend.skills.service import SkillService

# How many of the library's skills a search shows (the API's default page).
SEARCH_RESULTS = 20


async def skill_search(db: AsyncSession, q: str, chosen: Collection[str] = ()) -> list[Skill]:
    """The library's skills whose label or alternative labels contain `q` (none for an empty `q`), as
    `GET /skills?q=` finds them, less those already `chosen` (their ids)."""
    if not q:
        return []
    found, _ = await SkillService(db).list_skills(q=q, category_id=None, cursor=None, limit=SEARCH_RESULTS)
    return [skill for skill in found if str(skill.id) not in chosen]


def sent_rows(**rows: list[str] | None) -> FormMultiDict:
    """The rows of skills htmx sends with a search (`skill_row`, `skill_id`, `level`, ..., each a list
    in the form's order), as the form's fields, for the form's own reader."""
    return FormMultiDict([(name, value) for name, values in rows.items() for value in values or []])
