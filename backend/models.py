"""Every model, imported once so that both metadatas (control and tenant) are complete."""

# The domains whose models are imported for their tables only (the rest are named below).
import backend.mentoring.models
import backend.training.models  # noqa: F401
from backend.api.models import IdempotencyRecord
from backend.aspirations.models import Aspiration, AspirationRole, AspirationSkill
from backend.framework.models import CareerPath, JobFamily, Role, RoleSkill
from backend.jobs.models import DeadLetter, Job
from backend.matching.models import MatchingChange, MatchingRun, MatchingSettings
from backend.notifications.models import Notification
from backend.org.models import Employee, OrgUnit
from backend.scim.models import DirectoryGroup, DirectoryGroupMember
from backend.skills.models import CatalogConcept, EmployeeSkill, ProficiencyLevel, Skill, SkillCategory
from backend.sso.models import EmployeeIdentity
from tenants.models import IdentityProvider, PartnerClient, ScimToken, Tenant

__all__ = [
    "Aspiration",
    "AspirationRole",
    "AspirationSkill",
    "CareerPath",
    "CatalogConcept",
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
    "MatchingChange",
    "MatchingRun",
    "MatchingSettings",
    "Notification",
    "OrgUnit",
    "PartnerClient",
    "ProficiencyLevel",
    "Role",
    "RoleSkill",
    "ScimToken",
    "Skill",
    "SkillCategory",
    "Tenant",
]
