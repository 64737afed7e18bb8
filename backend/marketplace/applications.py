"""Applications, their stages and history; confidential mobility; the manager release; moves.

Who sees an application (anyone else gets 404, so its existence is not revealed either):
- its applicant and HR, always;
- the opening's hiring manager, unless they are in the applicant's management chain and the applicant
  did not send it to them (the opening changed hands since): nobody of the chain is on the hiring side
  of an application before the policy's moment unless the applicant chose to tell them;
- the applicant's current manager and everyone above them, only from the moment the tenant's
  mobility policy names (`at_application`, `at_offer`, `never_before_move`): the manager is notified
  then, and the application records `manager_informed_at`;
- the manager asked for a release, while the release exists.
Every read of an application by someone other than its applicant is written to the audit log, one
entry per application shown (lists included); so is every change.

Stages (see `TRANSITIONS`): an interest (`interested`) becomes an application (`applied`) when its
author applies; the hiring manager or HR moves an application forward (skipping stages is allowed,
never backwards, and `hired` only from `offer`) or rejects it with a reason; only the applicant
withdraws. `hired`, `rejected` and `withdrawn` are final.

The manager release: reaching `offer` asks the applicant's current manager (when the policy has told
them by then, and they are not the hiring manager) to release them by `release_days`. They release,
delay (a later deadline, with a reason; repeatable) or block (with a reason); HR may answer for them
and may override. A hire needs a release, an override, or a deadline passed without an answer (a
lapse, counted as released and recorded as such); a block stops it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.pagination import paginate
from backend.audit.service import Viewed, record_change, record_views
from backend.auth.principal import Principal
from backend.crud import ancestors, get_or_404
from backend.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from backend.marketplace.models import (
    Application,
    ApplicationEvent,
    ApplicationKind,
    ApplicationStage,
    ManagerNotice,
    ManagerRelease,
    ManagerReleaseEvent,
    MobilityPolicy,
    Opportunity,
    OpportunityStatus,
    ReleaseAction,
    ReleaseOutcome,
    ReleaseStatus,
)
from backend.marketplace.moves import MoveService
from backend.marketplace.opportunities import OpportunityService, accepting_applications
from backend.marketplace.schemas import (
    ApplicantBrief,
    ApplicationCreate,
    ApplicationEventRead,
    ApplicationRead,
    MobilityPolicyRead,
    MobilityPolicySet,
    OpportunityBrief,
    ReleaseAnswer,
    ReleaseAnswerAction,
    ReleaseEventRead,
    ReleaseRead,
    ReleaseRequestRead,
    StageChange,
    Withdrawal,
)
from backend.notifications.service import (
    APPLICATION_RECEIVED,
    APPLICATION_STAGE,
    RELEASE_ANSWERED,
    RELEASE_REQUESTED,
    REPORT_APPLIED,
    NotificationService,
)
from backend.org.models import Employee
from backend.org.service import reports_of

Stage = ApplicationStage

# Where each stage may go. The applicant's own moves (interested -> applied by applying again, and
# withdrawing) are in it too; who may make which move is checked apart.
TRANSITIONS: dict[ApplicationStage, frozenset[ApplicationStage]] = {
    Stage.INTERESTED: frozenset({Stage.APPLIED, Stage.REJECTED, Stage.WITHDRAWN}),
    Stage.APPLIED: frozenset({Stage.SCREENING, Stage.INTERVIEW, Stage.OFFER, Stage.REJECTED, Stage.WITHDRAWN}),
    Stage.SCREENING: frozenset({Stage.INTERVIEW, Stage.OFFER, Stage.REJECTED, Stage.WITHDRAWN}),
    Stage.INTERVIEW: frozenset({Stage.OFFER, Stage.REJECTED, Stage.WITHDRAWN}),
    Stage.OFFER: frozenset({Stage.HIRED, Stage.REJECTED, Stage.WITHDRAWN}),
    Stage.HIRED: frozenset(),
    Stage.REJECTED: frozenset(),
    Stage.WITHDRAWN: frozenset(),
}
# The moves that are not the hiring side's: applying (from an interest) and withdrawing are the applicant's.
_APPLICANTS_MOVES = frozenset({Stage.APPLIED, Stage.WITHDRAWN})


def hiring_moves(stage: ApplicationStage) -> list[ApplicationStage]:
    """Where the hiring side (the opening's hiring manager, HR) may move an application from `stage`,
    in the order of the way forward, a rejection last: what `move` accepts, and nothing else."""
    allowed = TRANSITIONS[stage] - _APPLICANTS_MOVES
    return sorted(allowed, key=lambda s: _PROGRESS.index(s) if s in _PROGRESS else len(_PROGRESS))


# The way forward, in order: the policy's moment is reached once an application is at or past it.
_PROGRESS = (Stage.INTERESTED, Stage.APPLIED, Stage.SCREENING, Stage.INTERVIEW, Stage.OFFER, Stage.HIRED)
MOMENT = {
    ManagerNotice.AT_APPLICATION: Stage.APPLIED,
    ManagerNotice.AT_OFFER: Stage.OFFER,
    ManagerNotice.NEVER_BEFORE_MOVE: Stage.HIRED,
}
DEFAULT_POLICY = MobilityPolicyRead(
    manager_notice=ManagerNotice.AT_OFFER, release_days=14, updated_at=None, updated_by=None
)
# Releases still waiting for a final answer (a block may still become a release).
OPEN_RELEASES = (ReleaseStatus.PENDING, ReleaseStatus.DELAYED, ReleaseStatus.BLOCKED)
_SETTLED_RELEASES = (ReleaseStatus.RELEASED, ReleaseStatus.OVERRIDDEN, ReleaseStatus.LAPSED)


def _now() -> datetime:
    return datetime.now(UTC)


def on_hiring_side(manager_id: uuid.UUID) -> ColumnElement[bool]:
    """The applications to an opening whose hiring side its hiring manager `manager_id` is on: all of
    them, except those of people below them in the reporting line that the applicant did not send to
    them (the opening changed hands since), until the policy's moment has come. The same condition
    serves a single read, the list of applicants (ranked in backend/matching/applicants.py) and every
    move."""
    return or_(
        Application.addressed_to_id == manager_id,
        Application.manager_informed_at.is_not(None),
        Application.employee_id.not_in(reports_of(manager_id)),
    )


def _reached(stage: ApplicationStage, moment: ApplicationStage) -> bool:
    return stage in _PROGRESS and _PROGRESS.index(stage) >= _PROGRESS.index(moment)


async def current_policy(session: AsyncSession) -> MobilityPolicyRead:
    row = await session.get(MobilityPolicy, 1)
    if row is None:
        return DEFAULT_POLICY
    return MobilityPolicyRead(row.manager_notice, row.release_days, row.updated_at, row.updated_by)


class MobilityPolicyService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self) -> MobilityPolicyRead:
        return await current_policy(self.session)

    async def set(self, principal: Principal, data: MobilityPolicySet) -> MobilityPolicyRead:
        """A change applies to applications from their next stage change: one already past the new
        moment informs the manager at that change, not before."""
        if not principal.is_hr:
            raise PermissionDeniedError("only HR sets the mobility policy")
        before = await current_policy(self.session)
        row = await self.session.get(MobilityPolicy, 1, with_for_update=True)
        if row is None:
            row = MobilityPolicy(id=1)
            self.session.add(row)
        row.manager_notice = data.manager_notice
        row.release_days = data.release_days
        row.updated_by = principal.actor
        row.updated_at = _now()
        await self.session.flush()
        await record_change(
            self.session,
            principal,
            subject_employee_id=None,
            action="mobility_policy.changed",
            object_type="mobility_policy",
            object_id=None,
            details={
                "manager_notice": [before.manager_notice.value, data.manager_notice.value],
                "release_days": [before.release_days, data.release_days],
            },
        )
        return await current_policy(self.session)


class Access:
    """How a caller comes to see an application."""

    APPLICANT = "applicant"
    HR = "hr"
    HIRING_MANAGER = "hiring_manager"
    # The applicant's management chain, once informed; or the manager asked for the release.
    LINE = "line"


@dataclass(frozen=True)
class _Seen:
    application: Application
    opportunity: Opportunity
    access: str

    @property
    def insider(self) -> bool:
        """HR and the hiring manager run the process: they see every note and the release."""
        return self.access in (Access.HR, Access.HIRING_MANAGER)


@dataclass(frozen=True)
class OpeningApplications:
    """An opening's applications as its hiring side (`access`: HR or its hiring manager) sees them,
    in the order they came."""

    opportunity: Opportunity
    access: str
    applications: list[Application]


class ApplicationService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.notifications = NotificationService(session)

    # --- applying -----------------------------------------------------------------------------------

    async def apply(self, principal: Principal, opportunity_id: uuid.UUID, data: ApplicationCreate) -> ApplicationRead:
        """Apply or express interest. Applying after an interest converts it (same application)."""
        opportunity = await OpportunityService(self.session).get_visible(principal, opportunity_id)
        me = principal.employee_id
        if me is None:
            raise PermissionDeniedError("only an employee applies, for themselves")
        if opportunity.hiring_manager_id == me:
            raise PermissionDeniedError("you are the opening's hiring manager")
        employee = await self.session.get(Employee, me, with_for_update=True)
        if employee is None or not employee.active:
            raise PermissionDeniedError("only an active employee applies")
        existing = await self.session.scalar(
            select(Application)
            .where(Application.opportunity_id == opportunity.id, Application.employee_id == me)
            .with_for_update()
        )
        converting = (
            existing is not None and existing.stage == Stage.INTERESTED and data.kind == ApplicationKind.APPLICATION
        )
        if existing is not None and not converting:
            raise ConflictError(
                f"you already have an {existing.kind.value} for this opening ({existing.stage.value}): {existing.id}"
            )
        at = _now()
        if not accepting_applications(opportunity, at):
            raise ConflictError(_not_accepting(opportunity, at))
        policy = await current_policy(self.session)
        stage = Stage.APPLIED if data.kind == ApplicationKind.APPLICATION else Stage.INTERESTED
        if existing is not None:
            application = existing
            before: ApplicationStage | None = existing.stage
            application.kind = ApplicationKind.APPLICATION
            application.stage = stage
            application.stage_changed_at = at
            application.addressed_to_id = opportunity.hiring_manager_id
            if data.note is not None:
                application.note = data.note
        else:
            before = None
            application = Application(
                opportunity_id=opportunity.id,
                employee_id=me,
                kind=data.kind,
                stage=stage,
                note=data.note,
                stage_changed_at=at,
                addressed_to_id=opportunity.hiring_manager_id,
            )
            self.session.add(application)
        await self.session.flush()
        self.session.add(
            ApplicationEvent(
                application_id=application.id,
                from_stage=before,
                to_stage=stage,
                by_subject=principal.subject[:200],
                by_employee_id=me,
                at=at,
                note=data.note,
            )
        )
        if opportunity.hiring_manager_id is not None:
            what = "applied to" if stage == Stage.APPLIED else "is interested in"
            await self.notifications.send(
                opportunity.hiring_manager_id,
                kind=APPLICATION_RECEIVED,
                title=f"{employee.full_name} {what} {opportunity.title}",
                body=f"{employee.full_name} {what} your opening {opportunity.title}.",
                data={**_data(application), "applicant_name": employee.full_name, "opening_title": opportunity.title},
            )
        await self._inform_if_due(principal, application, opportunity, employee, policy)
        await record_change(
            self.session,
            principal,
            subject_employee_id=me,
            action="application.created" if before is None else "application.converted",
            object_type="application",
            object_id=application.id,
            details={"opportunity_id": str(opportunity.id), "stage": stage.value},
        )
        await self.session.flush()
        return (await self._reads([_Seen(application, opportunity, Access.APPLICANT)], principal))[0]

    # --- reading ------------------------------------------------------------------------------------

    async def get(self, principal: Principal, application_id: uuid.UUID) -> ApplicationRead:
        seen = await self._visible(principal, application_id)
        await self._record_views(principal, [seen])
        return (await self._reads([seen], principal))[0]

    async def mine(
        self, principal: Principal, *, stage: ApplicationStage | None, cursor: str | None, limit: int
    ) -> tuple[list[ApplicationRead], str | None]:
        if principal.employee_id is None:
            raise PermissionDeniedError("this route is for a signed-in employee")
        query = select(Application).where(Application.employee_id == principal.employee_id)
        if stage is not None:
            query = query.where(Application.stage == stage)
        rows, next_cursor = await paginate(self.session, query, Application.id, cursor, limit)
        opportunities = await self._opportunities([a.opportunity_id for a in rows])
        seen = [_Seen(a, opportunities[a.opportunity_id], Access.APPLICANT) for a in rows]
        return await self._reads(seen, principal), next_cursor

    async def of_employee(
        self, principal: Principal, employee_id: uuid.UUID, *, cursor: str | None, limit: int
    ) -> tuple[list[ApplicationRead], str | None]:
        """A page of one employee's applications, for HR (as `get` shows HR each one, every note and the
        release; each is recorded in the audit log as viewed) or for the employee themselves (as `mine`).
        Anyone else: 403, as a list across openings is HR's alone."""
        await get_or_404(self.session, Employee, employee_id, "employee")
        if principal.employee_id == employee_id:
            access = Access.APPLICANT
        elif principal.is_hr:
            access = Access.HR
        else:
            raise PermissionDeniedError("only HR (or the employee) lists an employee's applications")
        query = select(Application).where(Application.employee_id == employee_id)
        rows, next_cursor = await paginate(self.session, query, Application.id, cursor, limit)
        opportunities = await self._opportunities([a.opportunity_id for a in rows])
        seen = [_Seen(a, opportunities[a.opportunity_id], access) for a in rows]
        await self._record_views(principal, seen)
        return await self._reads(seen, principal), next_cursor

    async def of_opening(
        self, principal: Principal, opportunity_id: uuid.UUID, *, stage: ApplicationStage | None
    ) -> OpeningApplications:
        """Every application to an opening that its hiring side may see (see `on_hiring_side`), in the
        order they came, for its hiring manager and HR; nothing is recorded as viewed yet (`shown` does
        that for the ones shown)."""
        opportunity = await OpportunityService(self.session).get_visible(principal, opportunity_id)
        if principal.is_hr:
            access = Access.HR
        elif principal.employee_id is not None and opportunity.hiring_manager_id == principal.employee_id:
            access = Access.HIRING_MANAGER
        else:
            raise PermissionDeniedError("only the opening's hiring manager and HR see its applicants")
        query = select(Application).where(Application.opportunity_id == opportunity.id)
        if access == Access.HIRING_MANAGER:
            assert principal.employee_id is not None
            query = query.where(on_hiring_side(principal.employee_id))
        if stage is not None:
            query = query.where(Application.stage == stage)
        applications = list((await self.session.scalars(query.order_by(Application.id))).all())
        return OpeningApplications(opportunity, access, applications)

    async def shown(
        self, principal: Principal, opening: OpeningApplications, applications: Sequence[Application]
    ) -> list[ApplicationRead]:
        """Some of `opening`'s applications as its hiring side reads them; each is recorded in the
        audit log as viewed."""
        seen = [_Seen(a, opening.opportunity, opening.access) for a in applications]
        await self._record_views(principal, seen)
        return await self._reads(seen, principal)

    async def _visible(self, principal: Principal, application_id: uuid.UUID, *, lock: bool = False) -> _Seen:
        application = await self.session.get(Application, application_id, with_for_update=lock)
        seen = await self._access(principal, application) if application is not None else None
        if seen is None:
            raise NotFoundError(f"application {application_id} does not exist")
        return seen

    async def _access(self, principal: Principal, application: Application) -> _Seen | None:
        opportunity = await self.session.get(Opportunity, application.opportunity_id)
        assert opportunity is not None
        me = principal.employee_id
        if me is not None and application.employee_id == me:
            return _Seen(application, opportunity, Access.APPLICANT)
        if principal.is_hr:
            return _Seen(application, opportunity, Access.HR)
        if me is None:
            return None
        if opportunity.hiring_manager_id == me and await self.session.scalar(
            select(Application.id).where(Application.id == application.id, on_hiring_side(me))
        ):
            return _Seen(application, opportunity, Access.HIRING_MANAGER)
        if application.manager_informed_at is not None and me in await ancestors(
            self.session, Employee, "manager_id", application.employee_id
        ):
            return _Seen(application, opportunity, Access.LINE)
        asked = await self.session.scalar(
            select(ManagerRelease.id).where(
                ManagerRelease.application_id == application.id, ManagerRelease.manager_id == me
            )
        )
        return _Seen(application, opportunity, Access.LINE) if asked is not None else None

    async def _record_views(self, principal: Principal, seen: Sequence[_Seen]) -> None:
        await record_views(
            self.session,
            principal,
            action="application.viewed",
            object_type="application",
            views=[
                Viewed(s.application.employee_id, s.application.id, {"opportunity_id": str(s.opportunity.id)})
                for s in seen
                if s.access != Access.APPLICANT
            ],
        )

    # --- stages -------------------------------------------------------------------------------------

    async def move(self, principal: Principal, application_id: uuid.UUID, data: StageChange) -> ApplicationRead:
        """Move an application forward or reject it (the hiring manager or HR)."""
        seen = await self._visible(principal, application_id, lock=True)
        application, opportunity = seen.application, seen.opportunity
        if seen.access == Access.APPLICANT:
            raise PermissionDeniedError("an applicant does not move their own application; withdraw it instead")
        if not seen.insider:
            raise PermissionDeniedError("only the opening's hiring manager and HR move its applications")
        target = data.to
        if target == Stage.WITHDRAWN:
            raise PermissionDeniedError("only the applicant withdraws an application")
        # Applying (from an interest) is the applicant's move too; every other move outside the table,
        # backwards included, is the same conflict whoever asks and wherever from (API or console).
        if target not in hiring_moves(application.stage):
            raise ConflictError(f"an application cannot move from {application.stage.value} to {target.value}")
        note = (data.note or "").strip() or None
        if target == Stage.REJECTED and note is None:
            raise InvalidInputError("note", "a rejection needs a reason in note")
        reason_shared = (data.reason_shared or "").strip() or None
        if reason_shared is not None and target != Stage.REJECTED:
            raise InvalidInputError("reason_shared", "a reason is shared with the applicant when rejecting only")
        release_outcome: ReleaseOutcome | None = None
        if target == Stage.HIRED:
            # The opening's lock serialises hires, so that two cannot pass its last position.
            opportunity = await self._lock_opportunity(opportunity.id)
            if opportunity.status == OpportunityStatus.FILLED:
                raise ConflictError("the opening is already filled")
            release_outcome = await self._release_for_hire(principal, application, opportunity)
        await self._change_stage(principal, application, target, note, reason_shared)
        employee = await self.session.get(Employee, application.employee_id)
        assert employee is not None
        policy = await current_policy(self.session)
        await self._inform_if_due(principal, application, opportunity, employee, policy)
        if target == Stage.OFFER:
            await self._ask_release(principal, application, opportunity, employee, policy)
        elif target == Stage.REJECTED:
            await self._cancel_release(principal, application)
        elif target == Stage.HIRED:
            assert release_outcome is not None
            await self._hire(application, opportunity, employee, release_outcome)
        body = f"Your application to {opportunity.title} moved to {target.value}."
        told: dict[str, str] = {**_data(application), "opening_title": opportunity.title}
        if reason_shared is not None:
            body += f" The reason: {reason_shared}"
            told["reason_shared"] = reason_shared
        await self.notifications.send(
            application.employee_id,
            kind=APPLICATION_STAGE,
            title=f"Your application to {opportunity.title}: {target.value}",
            body=body,
            data=told,
        )
        await self.session.flush()
        return (await self._reads([_Seen(application, opportunity, seen.access)], principal))[0]

    async def withdraw(self, principal: Principal, application_id: uuid.UUID, data: Withdrawal) -> ApplicationRead:
        seen = await self._visible(principal, application_id, lock=True)
        application = seen.application
        if seen.access != Access.APPLICANT:
            raise PermissionDeniedError("only the applicant withdraws an application")
        if Stage.WITHDRAWN not in TRANSITIONS[application.stage]:
            raise ConflictError(f"an application cannot move from {application.stage.value} to withdrawn")
        await self._change_stage(principal, application, Stage.WITHDRAWN, (data.note or "").strip() or None)
        await self._cancel_release(principal, application)
        await self.session.flush()
        return (await self._reads([seen], principal))[0]

    async def _change_stage(
        self,
        principal: Principal,
        application: Application,
        target: ApplicationStage,
        note: str | None,
        reason_shared: str | None = None,
    ) -> None:
        at = _now()
        before = application.stage
        application.stage = target
        application.stage_changed_at = at
        if target == Stage.HIRED:
            application.hired_at = at
        self.session.add(
            ApplicationEvent(
                application_id=application.id,
                from_stage=before,
                to_stage=target,
                by_subject=principal.subject[:200],
                by_employee_id=principal.employee_id,
                at=at,
                note=note,
                reason_shared=reason_shared,
            )
        )
        await self.session.flush()
        await record_change(
            self.session,
            principal,
            subject_employee_id=application.employee_id,
            action="application.stage_changed",
            object_type="application",
            object_id=application.id,
            details={"from": before.value, "to": target.value},
        )

    async def _lock_opportunity(self, opportunity_id: uuid.UUID) -> Opportunity:
        opportunity = await self.session.get(Opportunity, opportunity_id, with_for_update=True, populate_existing=True)
        assert opportunity is not None
        return opportunity

    async def _inform_if_due(
        self,
        principal: Principal,
        application: Application,
        opportunity: Opportunity,
        employee: Employee,
        policy: MobilityPolicyRead,
    ) -> None:
        """At the policy's moment the applicant's management chain may see the application, and
        their manager is told (unless the applicant sent it to them, so they know already)."""
        if application.manager_informed_at is not None or not _reached(
            application.stage, MOMENT[policy.manager_notice]
        ):
            return
        application.manager_informed_at = _now()
        application.informed_manager_id = employee.manager_id
        await self.session.flush()
        if employee.manager_id is not None and employee.manager_id != application.addressed_to_id:
            await self.notifications.send(
                employee.manager_id,
                kind=REPORT_APPLIED,
                title=f"{employee.full_name} applied to {opportunity.title}",
                body=f"{employee.full_name}, who reports to you, applied to the opening {opportunity.title} "
                f"(now at {application.stage.value}).",
                data={**_data(application), "applicant_name": employee.full_name, "opening_title": opportunity.title},
            )
        await record_change(
            self.session,
            principal,
            subject_employee_id=employee.id,
            action="application.manager_informed",
            object_type="application",
            object_id=application.id,
            details={
                "manager_id": str(employee.manager_id) if employee.manager_id else None,
                "policy": policy.manager_notice.value,
                "stage": application.stage.value,
            },
        )

    # --- the manager release ------------------------------------------------------------------------

    async def _ask_release(
        self,
        principal: Principal,
        application: Application,
        opportunity: Opportunity,
        employee: Employee,
        policy: MobilityPolicyRead,
    ) -> None:
        """At offer: ask the applicant's current manager to release them, if the policy has told them
        by now and they are not the hiring manager."""
        manager_id = employee.manager_id
        if manager_id is None or manager_id == opportunity.hiring_manager_id or application.manager_informed_at is None:
            return
        at = _now()
        deadline = at + timedelta(days=policy.release_days)
        release = ManagerRelease(
            application_id=application.id, manager_id=manager_id, status=ReleaseStatus.PENDING, deadline=deadline
        )
        self.session.add(release)
        await self.session.flush()
        self._release_event(principal, release, ReleaseAction.REQUESTED, at=at, deadline=deadline)
        await self.notifications.send(
            manager_id,
            kind=RELEASE_REQUESTED,
            title=f"Release {employee.full_name} for {opportunity.title}?",
            body=f"{employee.full_name} has an offer for {opportunity.title}. Release, delay or block the move "
            f"by {deadline.date().isoformat()}; without an answer by then, the move may go ahead.",
            data={
                **_data(application),
                "release_id": str(release.id),
                "deadline": deadline.isoformat(),
                "applicant_name": employee.full_name,
                "opening_title": opportunity.title,
            },
        )

    async def _cancel_release(self, principal: Principal, application: Application) -> None:
        release = await self._release_of(application.id, lock=True)
        if release is not None and release.status in OPEN_RELEASES:
            release.status = ReleaseStatus.CANCELLED
            release.resolved_at = _now()
            self._release_event(principal, release, ReleaseAction.CANCELLED, at=release.resolved_at)
            await self.session.flush()

    async def _release_for_hire(
        self, principal: Principal, application: Application, opportunity: Opportunity
    ) -> ReleaseOutcome:
        """What lets the hire through, or a 409 saying what stops it."""
        release = await self._release_of(application.id, lock=True)
        if release is None:
            employee = await self.session.get(Employee, application.employee_id)
            assert employee is not None
            manager_id = employee.manager_id
            needed = manager_id is not None and manager_id != opportunity.hiring_manager_id
            return ReleaseOutcome.NOT_ASKED if needed else ReleaseOutcome.NOT_NEEDED
        if release.status == ReleaseStatus.RELEASED:
            return ReleaseOutcome.RELEASED
        if release.status == ReleaseStatus.OVERRIDDEN:
            return ReleaseOutcome.OVERRIDDEN
        if release.status == ReleaseStatus.BLOCKED:
            raise ConflictError("the applicant's manager blocked the move; HR may override the block")
        at = _now()
        if release.status in (ReleaseStatus.PENDING, ReleaseStatus.DELAYED) and release.deadline <= at:
            release.status = ReleaseStatus.LAPSED
            release.resolved_at = at
            self._release_event(principal, release, ReleaseAction.LAPSED, at=at, deadline=release.deadline)
            await self.session.flush()
            return ReleaseOutcome.LAPSED
        raise ConflictError(
            f"waiting for the applicant's manager to release them (deadline {release.deadline.isoformat()})"
        )

    async def answer_release(
        self, principal: Principal, application_id: uuid.UUID, data: ReleaseAnswer
    ) -> ApplicationRead:
        """The asked manager (or HR for them) releases, delays or blocks; HR may override."""
        seen = await self._visible(principal, application_id, lock=True)
        application = seen.application
        release = await self._release_of(application.id, lock=True)
        if release is None:
            raise ConflictError("no manager release is asked for this application")
        if not (principal.is_hr or principal.employee_id == release.manager_id):
            raise PermissionDeniedError("only the manager asked (or HR) answers a release")
        action = data.action
        if action == ReleaseAnswerAction.OVERRIDE and not principal.is_hr:
            raise PermissionDeniedError("only HR overrides a manager's answer")
        if application.stage != Stage.OFFER or release.status not in OPEN_RELEASES:
            raise ConflictError(f"the release is {release.status.value}; it takes no more answers")
        reason = (data.reason or "").strip() or None
        at = _now()
        if action == ReleaseAnswerAction.RELEASE:
            if data.release_on is not None and data.release_on < at.date():
                raise InvalidInputError("release_on", "release_on cannot be in the past")
            release.status = ReleaseStatus.RELEASED
            release.release_on = data.release_on
            release.resolved_at = at
            event = ReleaseAction.RELEASE
        elif action == ReleaseAnswerAction.DELAY:
            if data.until is None:
                raise InvalidInputError("until", "a delay needs the new deadline in until")
            if data.until <= max(release.deadline, at):
                raise InvalidInputError("until", "a delay moves the deadline later than it is now")
            if reason is None:
                raise InvalidInputError("reason", "a delay needs a reason")
            release.status = ReleaseStatus.DELAYED
            release.deadline = data.until
            event = ReleaseAction.DELAY
        elif action == ReleaseAnswerAction.BLOCK:
            if reason is None:
                raise InvalidInputError("reason", "a block needs a reason")
            release.status = ReleaseStatus.BLOCKED
            event = ReleaseAction.BLOCK
        else:
            if reason is None:
                raise InvalidInputError("reason", "an override needs a reason")
            release.status = ReleaseStatus.OVERRIDDEN
            release.resolved_at = at
            event = ReleaseAction.OVERRIDE
        self._release_event(
            principal, release, event, at=at, deadline=release.deadline, release_on=data.release_on, reason=reason
        )
        await self.session.flush()
        await record_change(
            self.session,
            principal,
            subject_employee_id=application.employee_id,
            action="release.answered",
            object_type="manager_release",
            object_id=release.id,
            details={"action": event.value, "application_id": str(application.id), "reason": reason},
        )
        if seen.opportunity.hiring_manager_id is not None:
            await self.notifications.send(
                seen.opportunity.hiring_manager_id,
                kind=RELEASE_ANSWERED,
                title=f"Release for {seen.opportunity.title}: {release.status.value}",
                body=f"The release of an applicant to {seen.opportunity.title} is now {release.status.value}.",
                data={
                    **_data(application),
                    "release_id": str(release.id),
                    "status": release.status.value,
                    "opening_title": seen.opportunity.title,
                },
            )
        await self.session.refresh(release)
        return (await self._reads([seen], principal))[0]

    async def my_releases(
        self, principal: Principal, *, status: ReleaseStatus | None, cursor: str | None, limit: int
    ) -> tuple[list[ReleaseRequestRead], str | None]:
        """The releases asked of the caller (by default those still waiting for a final answer)."""
        if principal.employee_id is None:
            raise PermissionDeniedError("this route is for a signed-in employee")
        query = select(ManagerRelease).where(ManagerRelease.manager_id == principal.employee_id)
        query = query.where(
            ManagerRelease.status == status if status is not None else ManagerRelease.status.in_(OPEN_RELEASES)
        )
        releases, next_cursor = await paginate(self.session, query, ManagerRelease.id, cursor, limit)
        applications = {
            a.id: a
            for a in (
                await self.session.scalars(
                    select(Application).where(Application.id.in_([r.application_id for r in releases]))
                )
            ).all()
        }
        opportunities = await self._opportunities([a.opportunity_id for a in applications.values()])
        applicants = await self._applicants([a.employee_id for a in applications.values()])
        history = await self._release_history([r.id for r in releases])
        await record_views(
            self.session,
            principal,
            action="application.viewed",
            object_type="application",
            views=[
                Viewed(
                    applications[r.application_id].employee_id,
                    r.application_id,
                    {"opportunity_id": str(applications[r.application_id].opportunity_id), "via": "release"},
                )
                for r in releases
            ],
        )
        items = []
        for release in releases:
            application = applications[release.application_id]
            base = _release_read(release, history[release.id])
            items.append(
                ReleaseRequestRead(
                    **{f: getattr(base, f) for f in ReleaseRead.__struct_fields__},
                    applicant=applicants[application.employee_id],
                    opportunity=_opportunity_brief(opportunities[application.opportunity_id]),
                )
            )
        return items, next_cursor

    def _release_event(
        self,
        principal: Principal,
        release: ManagerRelease,
        action: ReleaseAction,
        *,
        at: datetime,
        deadline: datetime | None = None,
        release_on: date | None = None,
        reason: str | None = None,
    ) -> None:
        self.session.add(
            ManagerReleaseEvent(
                release_id=release.id,
                action=action,
                by_subject=principal.subject[:200],
                by_employee_id=principal.employee_id,
                at=at,
                deadline=deadline,
                release_on=release_on,
                reason=reason,
            )
        )

    async def _release_of(self, application_id: uuid.UUID, *, lock: bool = False) -> ManagerRelease | None:
        query = select(ManagerRelease).where(ManagerRelease.application_id == application_id)
        if lock:
            query = query.with_for_update()
        return await self.session.scalar(query)

    # --- the hire -----------------------------------------------------------------------------------

    async def _hire(
        self, application: Application, opportunity: Opportunity, employee: Employee, outcome: ReleaseOutcome
    ) -> None:
        """Record the move (effective on the release date, else today) and fill the opening once its
        hires reach its positions."""
        release = await self._release_of(application.id)
        today = _now().date()
        effective = release.release_on if release is not None and release.release_on else today
        await MoveService(self.session).record(application, opportunity, employee, outcome, max(effective, today))
        await OpportunityService(self.session).fill_if_complete(opportunity)

    # --- reads --------------------------------------------------------------------------------------

    async def _opportunities(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Opportunity]:
        if not ids:
            return {}
        rows = await self.session.scalars(select(Opportunity).where(Opportunity.id.in_(set(ids))))
        return {o.id: o for o in rows.all()}

    async def _applicants(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, ApplicantBrief]:
        if not ids:
            return {}
        rows = await self.session.scalars(select(Employee).where(Employee.id.in_(set(ids))))
        return {
            e.id: ApplicantBrief(
                id=e.id,
                full_name=e.full_name,
                title=e.title,
                org_unit_id=e.org_unit_id,
                role_id=e.role_id,
                level=e.level,
            )
            for e in rows.all()
        }

    async def _release_history(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[ReleaseEventRead]]:
        history: dict[uuid.UUID, list[ReleaseEventRead]] = {i: [] for i in ids}
        if ids:
            rows = await self.session.scalars(
                select(ManagerReleaseEvent)
                .where(ManagerReleaseEvent.release_id.in_(ids))
                .order_by(ManagerReleaseEvent.release_id, ManagerReleaseEvent.id)
            )
            for e in rows.all():
                history[e.release_id].append(
                    ReleaseEventRead(
                        id=e.id,
                        action=e.action,
                        by_employee_id=e.by_employee_id,
                        at=e.at,
                        deadline=e.deadline,
                        release_on=e.release_on,
                        reason=e.reason,
                    )
                )
        return history

    async def _reads(self, seen: Sequence[_Seen], principal: Principal) -> list[ApplicationRead]:
        ids = [s.application.id for s in seen]
        events: dict[uuid.UUID, list[ApplicationEvent]] = {i: [] for i in ids}
        releases: dict[uuid.UUID, ManagerRelease] = {}
        if ids:
            for event in (
                await self.session.scalars(
                    select(ApplicationEvent)
                    .where(ApplicationEvent.application_id.in_(ids))
                    .order_by(ApplicationEvent.application_id, ApplicationEvent.id)
                )
            ).all():
                events[event.application_id].append(event)
            for row in (
                await self.session.scalars(select(ManagerRelease).where(ManagerRelease.application_id.in_(ids)))
            ).all():
                releases[row.application_id] = row
        history = await self._release_history([r.id for r in releases.values()])
        applicants = await self._applicants([s.application.employee_id for s in seen])
        me = principal.employee_id
        result = []
        for s in seen:
            a = s.application
            release = releases.get(a.id)
            shows_release = release is not None and (s.insider or (me is not None and release.manager_id == me))
            # What the applicant wrote to the hiring side, and what the hiring side told them, stay
            # between those two: never the applicant's management chain nor the manager asked.
            between_them = s.insider or s.access == Access.APPLICANT
            shared = [e.reason_shared for e in events[a.id] if e.reason_shared is not None]
            result.append(
                ApplicationRead(
                    id=a.id,
                    opportunity_id=a.opportunity_id,
                    employee_id=a.employee_id,
                    opportunity=_opportunity_brief(s.opportunity),
                    applicant=applicants[a.employee_id],
                    kind=a.kind,
                    stage=a.stage,
                    note=a.note if between_them else None,
                    reason_shared=shared[-1] if shared and between_them else None,
                    stage_changed_at=a.stage_changed_at,
                    manager_informed_at=a.manager_informed_at,
                    hired_at=a.hired_at,
                    created_at=a.created_at,
                    updated_at=a.updated_at,
                    history=[
                        ApplicationEventRead(
                            id=e.id,
                            from_stage=e.from_stage,
                            to_stage=e.to_stage,
                            by_employee_id=e.by_employee_id,
                            at=e.at,
                            # What the hiring side writes stays with the hiring side.
                            note=e.note if s.insider or (me is not None and e.by_employee_id == me) else None,
                            reason_shared=e.reason_shared if between_them else None,
                        )
                        for e in events[a.id]
                    ],
                    release=_release_read(release, history[release.id]) if shows_release and release else None,
                )
            )
        return result


def _release_read(release: ManagerRelease, history: list[ReleaseEventRead]) -> ReleaseRead:
    return ReleaseRead(
        id=release.id,
        application_id=release.application_id,
        manager_id=release.manager_id,
        status=release.status,
        deadline=release.deadline,
        deadline_passed=release.status not in _SETTLED_RELEASES and release.deadline <= _now(),
        release_on=release.release_on,
        resolved_at=release.resolved_at,
        created_at=release.created_at,
        history=history,
    )


def _opportunity_brief(o: Opportunity) -> OpportunityBrief:
    return OpportunityBrief(
        id=o.id, title=o.title, kind=o.kind, type_id=o.type_id, status=o.status, hiring_manager_id=o.hiring_manager_id
    )


def _data(application: Application) -> dict[str, str]:
    return {
        "application_id": str(application.id),
        "opportunity_id": str(application.opportunity_id),
        "employee_id": str(application.employee_id),
        "stage": application.stage.value,
    }


def _not_accepting(opportunity: Opportunity, at: datetime) -> str:
    if opportunity.status != OpportunityStatus.OPEN:
        return f"the opening is {opportunity.status.value} and takes no applications"
    if opportunity.closes_at is not None and opportunity.closes_at <= at:
        return f"the opening stopped taking applications at {opportunity.closes_at.isoformat()}"
    return "the opening does not take applications yet"
