"""Every model, imported once so that both metadatas (control and tenant) are complete."""

# The domains whose models are imported for their tables only (the rest are named below).
import backend.mentoring.models
import backend.training.models  # noqa: F401
from admin.models import ConsoleAuditEvent
from backend.api.models import IdempotencyRecord
from backend.aspirations.models import Aspiration, AspirationRole, AspirationSkill
from backend.audit.models import AuditEvent
from backend.core.jobs.models import DeadLetter, Job, PlatformJob
from backend.framework.models import CareerPath, JobFamily, Role, RoleSkill
from backend.marketplace.models import (
    Application,
    ApplicationEvent,
    ManagerRelease,
    ManagerReleaseEvent,
    MobilityPolicy,
    Move,
    Opportunity,
    OpportunitySkill,
    OpportunityType,
    OpportunityVisibilityUnit,
)
from backend.matching.models import (
    MatchingChange,
    MatchingRun,
    MatchingWeightsVersion,
    OpportunityCandidate,
    OpportunityRecommendation,
    SkillAdjacency,
)
from backend.notifications.models import Notification
from backend.org.models import Employee, OrgUnit
from backend.scim.models import DirectoryGroup, DirectoryGroupMember
from backend.skills.models import CatalogConcept, EmployeeSkill, ProficiencyLevel, Skill, SkillCategory
from backend.sso.models import EmployeeIdentity
from tenants.models import (
    ConsultantAssignment,
    IdentityProvider,
    PartnerClient,
    PlatformUser,
    ScimToken,
    Tenant,
)

__all__ = [
    "Application",
    "ApplicationEvent",
    "Aspiration",
    "AspirationRole",
    "AspirationSkill",
    "AuditEvent",
    "CareerPath",
    "CatalogConcept",
    "ConsoleAuditEvent",
    "ConsultantAssignment",
    "DeadLetter",
    "DirectoryGroup",
    "DirectoryGroupMember",
    "Employee",
    "EmployeeIdentity",
    "EmployeeSkill",
    "IdempotencyRecord",
    "IdentityProvider",
    "Job",
    "JobFamily",
    "ManagerRelease",
    "ManagerReleaseEvent",
    "MatchingChange",
    "MatchingRun",
    "MatchingWeightsVersion",
    "MobilityPolicy",
    "Move",
    "Notification",
    "Opportunity",
    "OpportunityCandidate",
    "OpportunityRecommendation",
    "OpportunitySkill",
    "OpportunityType",
    "OpportunityVisibilityUnit",
    "OrgUnit",
    "PartnerClient",
    "PlatformJob",
    "PlatformUser",
    "ProficiencyLevel",
    "Role",
    "RoleSkill",
    "ScimToken",
    "Skill",
    "SkillAdjacency",
    "SkillCategory",
    "Tenant",
]
