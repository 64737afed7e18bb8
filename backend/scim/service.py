"""SCIM 2.0 provisioning (RFC 7643/7644) over the tenant's own tables: the Users (`users.py`) and
Groups (`groups.py`) of one tenant, and the root query that lists both.
"""

from __future__ import annotations

from typing import Any

from scim2_models import InvalidFilterException, Resource
from sqlalchemy import ColumnElement, and_, false, true

from backend.org.models import Employee
from backend.scim.filters import group_filter, user_filter
from backend.scim.groups import ScimGroups
from backend.scim.models import DirectoryGroup
from backend.scim.protocol import Listing
from backend.scim.users import ScimUsers


class ScimService(ScimUsers, ScimGroups):
    """Users and Groups of one tenant, on its pinned session (see `ScimStore`)."""

    async def search(self, filter_text: str | None, start_index: int, count: int) -> Listing[Resource[Any]]:
        """Users, then groups, as one list: the root query of RFC 7644 §3.4.2.1 (`POST /.search`). A
        filter on an attribute that only one resource type has is false for the other."""
        users: ColumnElement[bool] | None = Employee.deprovisioned_at.is_(None)
        groups: ColumnElement[bool] | None = true()
        if filter_text:
            users, groups, refused = None, None, None
            try:
                users = and_(Employee.deprovisioned_at.is_(None), user_filter(filter_text))
            except InvalidFilterException as exc:
                refused = exc
            try:
                groups = group_filter(filter_text)
            except InvalidFilterException as exc:
                refused = refused or exc
            if users is None and groups is None:
                assert refused is not None
                raise refused
        user_total, employees = await self._page(Employee, users if users is not None else false(), start_index, count)
        # The groups continue the list where the users end.
        group_start = max(1, start_index - user_total)
        group_total, rows = await self._page(
            DirectoryGroup, groups if groups is not None else false(), group_start, count - len(employees)
        )
        found: list[Resource[Any]] = [*await self._render_users(employees), *await self._render_groups(rows)]
        return Listing(user_total + group_total, start_index, found)
