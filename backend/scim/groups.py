"""SCIM Groups (RFC 7643/7644): a Group is a directory group, whose members are Users (employees).
Group names map to roles at single sign-on (`directory_group_names`)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from scim2_models import Context, InvalidValueException, Meta, NotFoundException, Reference, UniquenessException
from sqlalchemy import ColumnElement, delete, func, insert, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.identifiers import ascii_fold, ascii_folded, check_group_name, same_identifier
from backend.org.models import Employee
from backend.scim.filters import group_filter
from backend.scim.models import DirectoryGroup, DirectoryGroupMember
from backend.scim.protocol import (
    EXTERNAL_ID_MAX,
    Listing,
    ScimStore,
    check_if_match,
    identifier_value,
    parse_document,
    patch_document,
    text_value,
)
from backend.scim.resources import USER_TYPE, Group, GroupMember, User

# Column size of a group's name; a longer one is refused with invalidValue.
_GROUP_NAME_MAX = 255


def _group_version(group: DirectoryGroup) -> str:
    # From the row, not the members: a list without members (Entra asks for that) still carries the
    # version, and every membership change touches the group's updated_at.
    digest = hashlib.sha256(f"{group.id}:{group.updated_at.isoformat()}".encode()).hexdigest()
    return f'W/"{digest[:24]}"'


def _member_ids(members: Iterable[GroupMember] | None) -> set[uuid.UUID]:
    ids: set[uuid.UUID] = set()
    for member in members or ():
        if member.type is not None and str(member.type) != USER_TYPE:
            raise InvalidValueException(
                attribute="members", detail="group members are users (nested groups are not kept)"
            )
        try:
            ids.add(uuid.UUID(str(member.value)))
        except ValueError:
            raise InvalidValueException(attribute="members", detail=f"no user {member.value!r}") from None
    return ids


class ScimGroups(ScimStore):
    """The Groups of one tenant."""

    async def list_groups(
        self, filter_text: str | None, start_index: int, count: int, *, with_members: bool = True
    ) -> Listing[Group]:
        condition: ColumnElement[bool] = true()
        if filter_text:
            condition = group_filter(filter_text)
        total, groups = await self._page(DirectoryGroup, condition, start_index, count)
        return Listing(total, start_index, await self._render_groups(groups, with_members=with_members))

    async def get_group(self, group_id: str, *, with_members: bool = True) -> Group:
        return (await self._render_groups([await self._group(group_id)], with_members=with_members))[0]

    async def create_group(self, payload: Any) -> Group:
        document = parse_document(Group, payload, Context.RESOURCE_CREATION_REQUEST)
        group = DirectoryGroup()
        await self._write_group(group, document, set())
        return (await self._render_groups([group]))[0]

    async def replace_group(self, group_id: str, payload: Any, if_match: str | None) -> Group:
        group = await self._group(group_id, lock=True)
        before = (await self._render_groups([group]))[0]
        check_if_match(if_match, before)
        document = parse_document(Group, payload, Context.RESOURCE_REPLACEMENT_REQUEST)
        document.replace(before)
        await self._write_group(group, document, _member_ids(before.members))
        return (await self._render_groups([group]))[0]

    async def patch_group(self, group_id: str, payload: Any, if_match: str | None) -> Group:
        group = await self._group(group_id, lock=True)
        before = (await self._render_groups([group]))[0]
        check_if_match(if_match, before)
        after = patch_document(Group, payload, before)
        await self._write_group(group, after, _member_ids(before.members))
        return (await self._render_groups([group]))[0]

    async def delete_group(self, group_id: str, if_match: str | None) -> None:
        group = await self._group(group_id, lock=True)
        if if_match is not None:
            check_if_match(if_match, (await self._render_groups([group], with_members=False))[0])
        members = await self.session.scalars(
            select(DirectoryGroupMember.employee_id).where(DirectoryGroupMember.group_id == group.id)
        )
        self.access_changed.update(members.all())
        # Its memberships go with it (ON DELETE CASCADE).
        await self.session.execute(delete(DirectoryGroup).where(DirectoryGroup.id == group.id))

    async def _group(self, group_id: str, *, lock: bool = False) -> DirectoryGroup:
        try:
            key = uuid.UUID(group_id)
        except ValueError:
            raise NotFoundException(detail=f"Group {group_id} not found") from None
        query = select(DirectoryGroup).where(DirectoryGroup.id == key)
        group = await self.session.scalar(query.with_for_update() if lock else query)
        if group is None:
            raise NotFoundException(detail=f"Group {group_id} not found")
        return group

    async def _render_groups(self, groups: Sequence[DirectoryGroup], *, with_members: bool = True) -> list[Group]:
        members: dict[uuid.UUID, list[GroupMember]] = {group.id: [] for group in groups}
        if with_members and groups:
            rows = await self.session.execute(
                select(DirectoryGroupMember.group_id, DirectoryGroupMember.employee_id)
                .where(DirectoryGroupMember.group_id.in_(members))
                .order_by(DirectoryGroupMember.group_id, DirectoryGroupMember.employee_id)
            )
            for group_id, employee_id in rows:
                members[group_id].append(
                    GroupMember(
                        value=str(employee_id),
                        ref=Reference[User[Any]](self.location("Users", employee_id)),
                        type=USER_TYPE,
                    )
                )
        return [
            Group(
                id=str(group.id),
                external_id=group.scim_external_id,
                display_name=group.display_name,
                members=members[group.id] if with_members else None,
                meta=Meta(
                    resource_type="Group",
                    created=group.created_at,
                    last_modified=group.updated_at,
                    location=self.location("Groups", group.id),
                    version=_group_version(group),
                ),
            )
            for group in groups
        ]

    # -- writing
    async def _write_group(self, group: DirectoryGroup, document: Group, current_members: set[uuid.UUID]) -> None:
        display_name = text_value(document.display_name, "displayName", _GROUP_NAME_MAX)
        if display_name is None:
            raise InvalidValueException(attribute="displayName", detail="displayName is required")
        # Group names map to roles: one that could pass for another group's name is refused.
        display_name = identifier_value(check_group_name, display_name, "displayName")
        external_id = text_value(document.external_id, "externalId", EXTERNAL_ID_MAX)
        for attribute, value, condition in (
            ("displayName", display_name, ascii_folded(DirectoryGroup.display_name) == ascii_fold(display_name)),
            ("externalId", external_id, DirectoryGroup.scim_external_id == external_id),
        ):
            if value is None:
                continue
            query = select(DirectoryGroup.id).where(condition)
            if group.id is not None:
                query = query.where(DirectoryGroup.id != group.id)
            if await self.session.scalar(query.limit(1)) is not None:
                raise UniquenessException(attribute=attribute, detail=f"a group with {attribute} {value!r} exists")
        wanted_members = _member_ids(document.members)
        added = wanted_members - current_members
        removed = current_members - wanted_members
        if added:
            known = set(
                (
                    await self.session.scalars(
                        select(Employee.id).where(Employee.id.in_(added), Employee.deprovisioned_at.is_(None))
                    )
                ).all()
            )
            if unknown := added - known:
                raise InvalidValueException(attribute="members", detail=f"no user {sorted(map(str, unknown))[0]}")
        renamed = group.id is not None and not same_identifier(group.display_name, display_name)
        # Group names map to roles: a renamed group changes its members' roles, a membership its member's.
        self.access_changed.update(added | removed | (current_members if renamed else set()))
        group.display_name = display_name
        group.scim_external_id = external_id
        if group not in self.session:
            self.session.add(group)
        await self._flush()
        if added:
            await self.session.execute(
                insert(DirectoryGroupMember), [{"group_id": group.id, "employee_id": member} for member in added]
            )
        if removed:
            await self.session.execute(
                delete(DirectoryGroupMember).where(
                    DirectoryGroupMember.group_id == group.id, DirectoryGroupMember.employee_id.in_(removed)
                )
            )
        if added or removed:
            # Membership is part of the group: its lastModified (and version) move with it.
            await self.session.execute(
                update(DirectoryGroup).where(DirectoryGroup.id == group.id).values(updated_at=func.now())
            )
        await self.session.refresh(group)


# -- for single sign-on


async def directory_group_names(session: AsyncSession, employee_id: uuid.UUID) -> list[str]:
    """The display names of the directory groups the employee is in (SSO maps them to roles)."""
    rows = await session.scalars(
        select(DirectoryGroup.display_name)
        .join(DirectoryGroupMember, DirectoryGroupMember.group_id == DirectoryGroup.id)
        .where(DirectoryGroupMember.employee_id == employee_id)
        .order_by(DirectoryGroup.display_name)
    )
    return list(rows.all())
