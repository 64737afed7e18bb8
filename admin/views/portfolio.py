"""The portfolio: every client company the consultant runs (a superadmin: all), with its headline
figures and what needs attention, sortable and exportable as CSV.

Each tenant's figures are read in a unit of work pinned to that tenant (never another schema from one
session), a few at a time; the flags come from the control schema in one transaction."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqladmin import BaseView, expose
from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from admin.context import consultant_of
from admin.i18n import N_, gettext
from backend.analytics.service import AnalyticsService
from backend.api.spreadsheets import safe_cell
from backend.core.jobs.models import JobStatus, PlatformJob
from backend.core.unit_of_work import UnitOfWork
from backend.marketplace.models import Application, Opportunity, OpportunityStatus
from backend.matching.staleness import stale
from backend.org.models import Employee
from backend.scim.models import ScimToken
from backend.sso.models import IdentityProvider
from tenants.models import Tenant, TenantStatus
from tenants.sessions import TenantRef

PLATFORM = "Platform"
# The period of the rates: the last 12 calendar months, the current one included (the analytics
# service's mobility series).
PERIOD_MONTHS = 12
# Tenants read at once: each holds a pooled connection for a few short statements.
CONCURRENCY = 4

FLAG_JOB_FAILED = N_("Platform job failed")
FLAG_NO_SSO = N_("SSO not configured")
FLAG_SCIM_UNUSED = N_("SCIM token never used")
FLAG_STALE = N_("Recommendations stale")


@dataclass
class PortfolioRow:
    name: str
    slug: str
    status: str
    people: int | None = None
    open_openings: int | None = None
    mobility_rate: float | None = None
    fill_rate: float | None = None
    mentoring_rate: float | None = None
    last_activity: datetime | None = None
    flags: list[str] = field(default_factory=list)


# (key, heading, value used for sorting)
COLUMNS: list[tuple[str, str]] = [
    ("name", N_("Client company")),
    ("status", N_("Status")),
    ("people", N_("People")),
    ("open_openings", N_("Open openings")),
    ("mobility_rate", N_("Internal mobility rate")),
    ("fill_rate", N_("Internal fill rate")),
    ("mentoring_rate", N_("Mentoring participation")),
    ("last_activity", N_("Last activity")),
    ("flags", N_("Needs attention")),
]
SORT_KEYS = {key for key, _ in COLUMNS}


def percent(rate: float | None) -> str:
    return "" if rate is None else f"{100 * rate:.1f}%"


def iso(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def sort_rows(rows: list[PortfolioRow], key: str, descending: bool) -> list[PortfolioRow]:
    """Sorted by `key`; rows without a value (no figures) always last."""

    def value(row: PortfolioRow) -> Any:
        v = getattr(row, key)
        if key == "flags":
            return len(v)
        return v.lower() if isinstance(v, str) else v

    present = [r for r in rows if value(r) is not None]
    missing = [r for r in rows if value(r) is None]
    present.sort(key=lambda r: (value(r), r.name.lower()), reverse=descending)
    return present + sorted(missing, key=lambda r: r.name.lower())


async def tenant_figures(session: AsyncSession, row: PortfolioRow) -> None:
    """One tenant's figures, on a session pinned to it."""
    analytics = AnalyticsService(session)
    mobility = await analytics.mobility(PERIOD_MONTHS)
    mentoring = await analytics.mentoring()
    moves = sum(p.internal_moves for p in mobility.points)
    closed = sum(p.openings_closed for p in mobility.points)
    internal = sum(p.filled_internally for p in mobility.points)
    headcount = mobility.points[-1].headcount if mobility.points else 0
    counts = (
        await session.execute(
            select(
                select(func.count()).select_from(Employee).where(Employee.active).scalar_subquery(),
                select(func.count())
                .select_from(Opportunity)
                .where(Opportunity.status == OpportunityStatus.OPEN)
                .scalar_subquery(),
                select(func.max(Employee.updated_at)).scalar_subquery(),
                select(func.max(Opportunity.updated_at)).scalar_subquery(),
                select(func.max(Application.updated_at)).scalar_subquery(),
                exists().where(stale()),
            )
        )
    ).one()
    row.people = int(counts[0])
    row.open_openings = int(counts[1])
    # The service's monthly rate is moves / headcount; over the period: the moves of its months over
    # the headcount now. The fill rate: openings settled in the period filled internally / settled.
    row.mobility_rate = moves / headcount if headcount else 0.0
    row.fill_rate = internal / closed if closed else None
    row.mentoring_rate = mentoring.participation_rate
    moments = [m for m in counts[2:5] if m is not None]
    row.last_activity = max(moments) if moments else None
    if counts[5]:
        row.flags.append(FLAG_STALE)


class PortfolioView(BaseView):
    name, icon = N_("Portfolio"), "fa-solid fa-briefcase"
    category = PLATFORM
    # Set by the console builder.
    unit_of_work: UnitOfWork

    def is_accessible(self, request: Request) -> bool:
        return True

    async def rows(self, request: Request) -> list[PortfolioRow]:
        consultant = consultant_of(request)
        refs: dict[uuid.UUID, TenantRef] = {t.id: t for t in consultant.tenants.values()}
        if not refs:
            return []
        ids = list(refs)
        async with self.unit_of_work.control() as session:
            tenants = (await session.scalars(select(Tenant).where(Tenant.id.in_(ids)))).all()
            with_idp = set(
                await session.scalars(select(IdentityProvider.tenant_id).where(IdentityProvider.tenant_id.in_(ids)))
            )
            unused_scim = set(
                await session.scalars(
                    select(ScimToken.tenant_id).where(
                        ScimToken.tenant_id.in_(ids), ScimToken.last_used_at.is_(None), ScimToken.revoked_at.is_(None)
                    )
                )
            )
            # The newest platform job of each tenant (provisioning, status changes): failed is a flag.
            newest = (
                select(PlatformJob.tenant_id, PlatformJob.status)
                .where(PlatformJob.tenant_id.in_(ids))
                .distinct(PlatformJob.tenant_id)
                .order_by(PlatformJob.tenant_id, PlatformJob.created_at.desc())
            )
            failed = {tid for tid, status in (await session.execute(newest)).all() if status == JobStatus.FAILED}
        rows: dict[uuid.UUID, PortfolioRow] = {}
        for tenant in tenants:
            row = PortfolioRow(name=tenant.name, slug=tenant.slug, status=tenant.status.value)
            if tenant.id in failed:
                row.flags.append(FLAG_JOB_FAILED)
            if tenant.id not in with_idp:
                row.flags.append(FLAG_NO_SSO)
            if tenant.id in unused_scim:
                row.flags.append(FLAG_SCIM_UNUSED)
            rows[tenant.id] = row
        gate = asyncio.Semaphore(CONCURRENCY)

        async def read(tenant_id: uuid.UUID) -> None:
            async with gate, self.unit_of_work.tenant(refs[tenant_id]) as session:
                await tenant_figures(session, rows[tenant_id])

        # An archived tenant's data stays, but the serving role can no longer become its role: its row
        # shows its status, without figures.
        readable = [tid for tid, row in rows.items() if row.status != TenantStatus.ARCHIVED.value]
        await asyncio.gather(*(read(tid) for tid in readable))
        return list(rows.values())

    @staticmethod
    def ordering(request: Request) -> tuple[str, bool]:
        key = request.query_params.get("sort", "name")
        if key not in SORT_KEYS:
            key = "name"
        return key, request.query_params.get("order") == "desc"

    @expose("/portfolio", methods=["GET"], identity="portfolio")
    async def portfolio(self, request: Request) -> Response:
        key, descending = self.ordering(request)
        rows = sort_rows(await self.rows(request), key, descending)
        response: Response = await self.templates.TemplateResponse(
            request,
            "console/portfolio.html",
            {
                "rows": rows,
                "columns": [(key, gettext(heading)) for key, heading in COLUMNS],
                "sort": key,
                "descending": descending,
                "percent": percent,
                "iso": iso,
                "period_months": PERIOD_MONTHS,
            },
        )
        return response

    @expose("/portfolio.csv", methods=["GET"], identity="portfolio-csv")
    async def portfolio_csv(self, request: Request) -> Response:
        key, descending = self.ordering(request)
        rows = sort_rows(await self.rows(request), key, descending)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["Client company", "Slug", *[heading for k, heading in COLUMNS if k != "name"]])
        for row in rows:
            writer.writerow(
                safe_cell(cell)
                for cell in [
                    row.name,
                    row.slug,
                    row.status,
                    "" if row.people is None else row.people,
                    "" if row.open_openings is None else row.open_openings,
                    percent(row.mobility_rate),
                    percent(row.fill_rate),
                    percent(row.mentoring_rate),
                    iso(row.last_activity),
                    "; ".join(row.flags),
                ]
            )
        stamp = datetime.now(UTC).strftime("%Y-%m-%d")
        return Response(
            out.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="portfolio-{stamp}.csv"'},
        )


PORTFOLIO_VIEWS: list[type[PortfolioView]] = [PortfolioView]
