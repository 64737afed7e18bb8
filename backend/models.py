"""Every model, imported once so that both metadatas (control and tenant) are complete."""

from backend.api.models import IdempotencyRecord
from backend.aspirations.models import Aspiration, AspirationRole, AspirationSkill
from backend.framework.models import CareerPath, JobFamily, Role, RoleSkill
from backend.org.models import Employee, OrgUnit
from backend.skills.models import CatalogConcept, EmployeeSkill, ProficiencyLevel, Skill, SkillCategory
from tenants.models import Tenant

__all__ = [
    "Aspiration",
    "AspirationRole",
    "AspirationSkill",
    "CareerPath",
    "CatalogConcept",
    "Employee",
    "EmployeeSkill",
    "IdempotencyRecord",
    "JobFamily",
    "OrgUnit",
    "ProficiencyLevel",
    "Role",
    "RoleSkill",
    "Skill",
    "SkillCategory",
    "Tenant",
]
