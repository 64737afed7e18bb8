"""Who is calling: one type for every way in (SSO sessions, partner tokens, CLI-minted tokens)."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass

from backend.errors import PermissionDeniedError
from tenants.sessions import TenantRef

# The length of the columns that record an actor.
ACTOR_LENGTH = 200


class UserRole(enum.StrEnum):
    EMPLOYEE = "employee"
    MANAGER = "manager"
    HR_ADMIN = "hr_admin"


class Scope(enum.StrEnum):
    ORG_READ = "org:read"
    ORG_WRITE = "org:write"
    EMPLOYEES_READ = "employees:read"
    EMPLOYEES_WRITE = "employees:write"
    TAXONOMY_READ = "taxonomy:read"
    TAXONOMY_WRITE = "taxonomy:write"
    SKILLS_READ = "skills:read"
    SKILLS_WRITE = "skills:write"
    ROLES_READ = "roles:read"
    ROLES_WRITE = "roles:write"
    ASPIRATIONS_READ = "aspirations:read"
    ASPIRATIONS_WRITE = "aspirations:write"
    # The tenant's own identity settings: its SSO provider, partner apps and SCIM tokens.
    IDENTITY_ADMIN = "identity:admin"
    MENTORING_READ = "mentoring:read"
    MENTORING_WRITE = "mentoring:write"
    TRAINING_READ = "training:read"
    TRAINING_WRITE = "training:write"
    JOBS_READ = "jobs:read"
    NOTIFICATIONS_READ = "notifications:read"
    OPPORTUNITIES_READ = "opportunities:read"
    OPPORTUNITIES_WRITE = "opportunities:write"
    APPLICATIONS_READ = "applications:read"
    APPLICATIONS_WRITE = "applications:write"
    # The tenant's audit log of confidential views: HR's only.
    AUDIT_READ = "audit:read"
    # Recommendations, next roles, candidates (HR and hiring managers, as the service checks).
    MATCHING_READ = "matching:read"
    # The tenant's factor weights and recomputes: HR's, as the service checks.
    MATCHING_WRITE = "matching:write"
    # Tenant-wide figures (mobility, pipeline, skill gaps, mentoring): HR's, and the consultants'.
    ANALYTICS_READ = "analytics:read"


_EVERYONE = frozenset(
    {
        Scope.ORG_READ,
        Scope.EMPLOYEES_READ,
        Scope.TAXONOMY_READ,
        Scope.SKILLS_READ,
        Scope.ROLES_READ,
        # Writing skills and aspirations is limited to one's own profile (and reports, for a
        # manager) by the services; the scope only opens the door.
        Scope.SKILLS_WRITE,
        Scope.ASPIRATIONS_READ,
        Scope.ASPIRATIONS_WRITE,
        # Mentor profiles, mentee requests, check-ins and course completions are one's own; running
        # programmes and importing the course catalogue is for HR, as the services check.
        Scope.MENTORING_READ,
        Scope.MENTORING_WRITE,
        Scope.TRAINING_READ,
        Scope.TRAINING_WRITE,
        # The jobs one asked for; HR sees every job of the tenant.
        Scope.JOBS_READ,
        Scope.NOTIFICATIONS_READ,
        # Everyone reads the openings visible to them; managers (and HR) post openings, as the
        # marketplace service checks. Applications are one's own, or those to one's openings.
        Scope.OPPORTUNITIES_READ,
        Scope.OPPORTUNITIES_WRITE,
        Scope.APPLICATIONS_READ,
        Scope.APPLICATIONS_WRITE,
        Scope.MATCHING_READ,
    }
)
ROLE_SCOPES: dict[UserRole, frozenset[Scope]] = {
    UserRole.EMPLOYEE: _EVERYONE,
    UserRole.MANAGER: _EVERYONE,
    UserRole.HR_ADMIN: frozenset(Scope),
}


# What a partner app may be granted, and nothing else: an allow-list, so that a scope added later is
# never grantable to partners until someone decides it should be (and says so in the README's "Partner
# apps"). An HRIS keeps the org and the people, an LMS the courses and their completions, an ATS the
# openings; every partner watches the jobs its writes set off. Left out on purpose: the tenant's
# identity settings (a leaked partner secret must not mint more credentials); aspirations, which belong
# to people and their chosen audience; applications and the audit log (who applied where is a
# confidential signal its applicant sent to one hiring manager, and the audit log records who saw such
# signals); matching, which lists candidates by their open-to-move choice and holds the tenant's
# weights; analytics, aggregates small enough in a small company to point at people; mentoring and
# notifications, which are people's own.
PARTNER_SCOPES = frozenset(
    {
        Scope.ORG_READ,
        Scope.ORG_WRITE,
        Scope.EMPLOYEES_READ,
        Scope.EMPLOYEES_WRITE,
        Scope.TAXONOMY_READ,
        Scope.TAXONOMY_WRITE,
        Scope.SKILLS_READ,
        Scope.SKILLS_WRITE,
        Scope.ROLES_READ,
        Scope.ROLES_WRITE,
        Scope.OPPORTUNITIES_READ,
        Scope.OPPORTUNITIES_WRITE,
        Scope.TRAINING_READ,
        Scope.TRAINING_WRITE,
        Scope.JOBS_READ,
    }
)


def require_hr(principal: Principal, what: str) -> None:
    """Refuse (403) a caller who is not HR, saying what only HR may do."""
    if not principal.is_hr:
        raise PermissionDeniedError(f"only HR may {what}")


def scopes_for(roles: frozenset[UserRole]) -> frozenset[Scope]:
    scopes: set[Scope] = set()
    for role in roles:
        scopes |= ROLE_SCOPES[role]
    return frozenset(scopes)


@dataclass(frozen=True, slots=True)
class Principal:
    tenant: TenantRef
    subject: str
    # The employee this caller is, when it is a person of the tenant (absent for admin tools).
    employee_id: uuid.UUID | None
    roles: frozenset[UserRole]
    scopes: frozenset[Scope]
    # The partner app this caller is, when it is one (client credentials); it holds no role.
    client_id: str | None = None

    def has_role(self, role: UserRole) -> bool:
        return role in self.roles

    @property
    def actor(self) -> str:
        """Who is acting, as records keep it (`requested_by`, `updated_by`, ...): the token's subject,
        never empty, whoever the caller is (an employee: "sso:<id>", "employee:<id>"; a partner app:
        "partner:<client id>"; a CLI-minted token: "cli:<roles>"; the console: "console:<email>")."""
        return self.subject[:ACTOR_LENGTH]

    @property
    def is_hr(self) -> bool:
        return UserRole.HR_ADMIN in self.roles
