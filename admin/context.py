"""Who is acting in the console, and for which tenant, for the length of one request.

The tenant lives in a context variable because SQLAdmin opens its sessions without the request
(`session_maker(expire_on_commit=False)`): the tenant views' session maker reads it, so every query of
a console request runs pinned to the one tenant the consultant has chosen and may act for.
"""

from __future__ import annotations

from contextvars import ContextVar

from starlette.exceptions import HTTPException
from starlette.requests import Request

from admin.i18n import N_
from admin.users import Consultant
from tenants.sessions import TenantRef

current_tenant: ContextVar[TenantRef | None] = ContextVar("console_tenant", default=None)


class NoTenantChosenError(HTTPException):
    def __init__(self) -> None:
        super().__init__(409, N_("Choose a client company in the tenant switcher first."))


def consultant_of(request: Request) -> Consultant:
    consultant = getattr(request.state, "consultant", None)
    if not isinstance(consultant, Consultant):
        raise HTTPException(401, N_("Sign in first."))
    return consultant


def tenant_of(request: Request) -> TenantRef:
    """The tenant the console shows; authentication has already checked the consultant may act for it."""
    tenant = current_tenant.get()
    if tenant is None:
        raise NoTenantChosenError()
    return tenant
