"""Operations and the dashboard of the chosen tenant: start pairing runs and recomputes, watch their
job records, review proposed pairings with their reasons and publish them; charts of mobility."""

from __future__ import annotations

import uuid
from contextlib import AbstractAsyncContextManager
from typing import Any

from sqladmin import BaseView, expose
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from admin import audit, charts
from admin.context import consultant_of, current_tenant, tenant_of
from admin.i18n import N_
from admin.views.base import chosen_tenant, console_principal, problem_text
from backend.analytics.service import AnalyticsService
from backend.api.pagination import MAX_LIMIT
from backend.api.problems import domain_status
from backend.core.jobs.models import Job
from backend.core.unit_of_work import UnitOfWork
from backend.errors import DomainError
from backend.matching.service import MatchingService
from backend.mentoring.models import MenteeRequest, Pairing, PairingRun, Programme, WaitlistEntry
from backend.mentoring.runs import PairingRunService
from backend.mentoring.schemas import RunCreate
from backend.org.models import Employee

TENANT = N_("Client company")


class TenantPage(BaseView):
    category = TENANT
    # Set by the console builder.
    unit_of_work: UnitOfWork

    def transaction(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A unit of work on the chosen tenant, for the page's reads."""
        return self.unit_of_work.tenant(chosen_tenant())

    def is_accessible(self, request: Request) -> bool:
        return current_tenant.get() is not None

    async def render(self, request: Request, template: str, **context: Any) -> Response:
        response: Response = await self.templates.TemplateResponse(request, template, context)
        return response

    async def act(self, request: Request, action: str, target: str, work: Any) -> Any:
        """Run `work(session, principal)` as the consultant, with HR's rights, in one transaction with
        its audit record; jobs it asks for are sent once it has committed."""
        consultant, tenant = consultant_of(request), tenant_of(request)
        try:
            async with self.unit_of_work.tenant(tenant) as session:
                result = await work(session, console_principal(consultant, tenant))
                await audit.record(session, consultant, action, tenant_id=tenant.id, target=target)
        except DomainError as exc:
            raise HTTPException(domain_status(exc), problem_text(exc)) from exc
        return result


class OperationsView(TenantPage):
    name, icon = N_("Operations"), "fa-solid fa-play"

    @expose("/operations", methods=["GET"], identity="operations")
    async def operations(self, request: Request) -> Response:
        async with self.transaction() as session:
            programmes = (await session.scalars(select(Programme).order_by(Programme.name))).all()
            runs = (await session.scalars(select(PairingRun).order_by(PairingRun.id.desc()).limit(20))).all()
            jobs = (await session.scalars(select(Job).order_by(Job.id.desc()).limit(20))).all()
        names = {p.id: p.name for p in programmes}
        return await self.render(
            request, "console/operations.html", programmes=programmes, runs=runs, jobs=jobs, programme_names=names
        )

    @expose("/operations/pairing-runs", methods=["POST"], identity="operations-pairing-run")
    async def start_pairing_run(self, request: Request) -> Response:
        programme_id = uuid.UUID(str((await request.form()).get("programme_id")))

        async def work(session: Any, principal: Any) -> PairingRun:
            return await PairingRunService(session).start(principal, programme_id, RunCreate())

        run = await self.act(request, "pairing_run.start", f"programme {programme_id}", work)
        return RedirectResponse(str(request.url_for("admin:view-operations-job", job_id=str(run.job_id))), 303)

    @expose("/operations/recompute", methods=["POST"], identity="operations-recompute")
    async def recompute(self, request: Request) -> Response:
        async def work(session: Any, principal: Any) -> Job:
            return await MatchingService(session).start_recompute(principal)

        job = await self.act(request, "matching.recompute", "recommendations", work)
        return RedirectResponse(str(request.url_for("admin:view-operations-job", job_id=str(job.id))), 303)

    @expose("/operations/jobs/{job_id}", methods=["GET"], identity="operations-job")
    async def job(self, request: Request) -> Response:
        job_id = uuid.UUID(request.path_params["job_id"])
        async with self.transaction() as session:
            job = await session.get(Job, job_id)
            run = await session.scalar(select(PairingRun).where(PairingRun.job_id == job_id))
        if job is None:
            raise HTTPException(404, N_("No such job in this client company."))
        return await self.render(request, "console/job.html", job=job, run=run)

    @expose("/operations/pairing-runs/{run_id}", methods=["GET"], identity="operations-run")
    async def review_run(self, request: Request) -> Response:
        run_id = uuid.UUID(request.path_params["run_id"])
        async with self.transaction() as session:
            run = await session.get(PairingRun, run_id)
            if run is None:
                raise HTTPException(404, N_("No such pairing run in this client company."))
            pairs = (
                await session.scalars(select(Pairing).where(Pairing.run_id == run_id).order_by(Pairing.score.desc()))
            ).all()
            # The waiting list as the API serves it (`GET /mentoring/runs/{id}/waitlist`), every page of it,
            # with each mentee's name: who the run left without a mentor, and why.
            principal = console_principal(consultant_of(request), tenant_of(request))
            runs = PairingRunService(session)
            waiting: list[WaitlistEntry] = []
            cursor: str | None = None
            while True:
                entries, cursor = await runs.waitlist(principal, run_id, cursor=cursor, limit=MAX_LIMIT)
                waiting.extend(entries)
                if cursor is None:
                    break
            rows = await session.execute(
                select(MenteeRequest.id, MenteeRequest.employee_id).where(
                    MenteeRequest.id.in_([w.mentee_request_id for w in waiting])
                )
            )
            mentee_of = {request_id: employee_id for request_id, employee_id in rows}
            people_ids = (
                {p.mentor_employee_id for p in pairs} | {p.mentee_employee_id for p in pairs} | set(mentee_of.values())
            )
            people = {
                e.id: e.full_name for e in await session.scalars(select(Employee).where(Employee.id.in_(people_ids)))
            }
            programme = await session.get(Programme, run.programme_id)
        waitlist = [(w, people.get(mentee_of[w.mentee_request_id], "")) for w in waiting]
        return await self.render(
            request,
            "console/pairing_run.html",
            run=run,
            pairs=pairs,
            people=people,
            programme=programme,
            waitlist=waitlist,
        )

    @expose("/operations/pairing-runs/{run_id}/publish", methods=["POST"], identity="operations-run-publish")
    async def publish_run(self, request: Request) -> Response:
        run_id = uuid.UUID(request.path_params["run_id"])

        async def work(session: Any, principal: Any) -> PairingRun:
            return await PairingRunService(session).publish(principal, run_id)

        await self.act(request, "pairing_run.publish", f"pairing run {run_id}", work)
        return RedirectResponse(str(request.url_for("admin:view-operations-run", run_id=str(run_id))), 303)


class DashboardView(TenantPage):
    name, icon = N_("Dashboard"), "fa-solid fa-chart-line"

    @expose("/dashboard", methods=["GET"], identity="dashboard")
    async def dashboard(self, request: Request) -> Response:
        async with self.transaction() as session:
            analytics = AnalyticsService(session)
            mobility = await analytics.mobility(12)
            pipeline = await analytics.pipeline()
            gaps = await analytics.skill_gaps(5)
            mentoring = await analytics.mentoring()
        return await self.render(
            request,
            "console/dashboard.html",
            tenant=tenant_of(request),
            mobility=mobility,
            pipeline=pipeline,
            gaps=gaps,
            mentoring=mentoring,
            charts=charts.dashboard_charts(mobility, pipeline, gaps, mentoring),
        )


OPERATION_VIEWS: list[type[TenantPage]] = [DashboardView, OperationsView]
