from __future__ import annotations

import uuid

from litestar import Controller, get, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from backend.aspirations.schemas import AspirationRead, AspirationSet
from backend.aspirations.service import AspirationService
from backend.auth.principal import Principal, Scope


class AspirationController(Controller):
    path = "/employees/{employee_id:uuid}/aspirations"
    tags = ["Aspirations"]

    @get(
        "/",
        opt={"scope": Scope.ASPIRATIONS_READ},
        summary="An employee's aspirations, if their open-to-move level lets you see them",
    )
    async def get_aspirations(
        self, db: NamedDependency[AsyncSession], principal: NamedDependency[Principal], employee_id: FromPath[uuid.UUID]
    ) -> AspirationRead:
        return await AspirationService(db).get(principal, employee_id)

    @put(
        "/",
        opt={"scope": Scope.ASPIRATIONS_WRITE},
        summary="Set one's aspirations (the employee, or HR)",
        description="Every change, by the employee or by HR, is an audit event `aspirations.changed`.",
    )
    async def set_aspirations(
        self,
        db: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        employee_id: FromPath[uuid.UUID],
        data: JSONBody[AspirationSet],
    ) -> AspirationRead:
        return await AspirationService(db).replace(principal, employee_id, data)
