"""Northwind Logistics, the demo client company: hand-curated content, as plain data.

The seed (`backend.demo.seed`) turns this into rows. Everything a reviewer might want to tune (the
org chart, the role framework, the career paths, the skills) lives here so that it reads like a
company handbook rather than generator code.

Catalogue skills are real ESCO concepts, named by their concept URI. The labels are written the way
people at a company would say them; the ESCO preferred label, alternative labels and definition are
picked up from `control.catalog_concepts` at seed time when the catalogue is loaded.
This product uses the ESCO classification of the European Commission.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.framework.models import Importance, TransitionKind

COMPANY_NAME = "Northwind Logistics"
COMPANY_SLUG = "northwind"
EMAIL_DOMAIN = "northwind.example"

ESCO_SKILL_BASE = "http://data.europa.eu/esco/skill/"


# --- Skills -------------------------------------------------------------------------------------

DIGITAL = "Digital"
DATA = "Data"
MANAGEMENT = "Management"
COMMUNICATION = "Communication"
BUSINESS = "Business"
FINANCE = "Finance"
PEOPLE = "People"
LOGISTICS = "Logistics"

SKILL_CATEGORIES: tuple[tuple[str, str], ...] = (
    (DIGITAL, "Software, tools and systems."),
    (DATA, "Analysing data and building models from it."),
    (MANAGEMENT, "Leading people, projects and budgets."),
    (COMMUNICATION, "Working with others: presenting, writing, resolving conflicts."),
    (BUSINESS, "Products, sales and customers."),
    (FINANCE, "Accounting, planning and financial analysis."),
    (PEOPLE, "Hiring, developing and looking after employees."),
    (LOGISTICS, "Moving and storing freight: transport, warehousing, customs."),
)


@dataclass(frozen=True)
class CuratedSkill:
    """A skill adopted from the ESCO catalogue; `uri` is the ESCO concept URI."""

    uri: str
    label: str
    category: str


@dataclass(frozen=True)
class LocalSkill:
    """A skill the company defined itself: its own tools have no ESCO concept."""

    label: str
    category: str
    description: str
    alt_labels: tuple[str, ...] = ()


def _esco(concept_id: str, label: str, category: str) -> CuratedSkill:
    return CuratedSkill(ESCO_SKILL_BASE + concept_id, label, category)


CURATED_SKILLS: tuple[CuratedSkill, ...] = (
    # Digital
    _esco("598de5b0-5b58-4ea7-8058-a4bc4d18c742", "SQL", DIGITAL),
    _esco("ccd0a1d9-afda-43d9-b901-96344886e14d", "Python (computer programming)", DIGITAL),
    _esco("3cd569a2-4f88-4c1e-9995-8dce8c5e51a7", "JavaScript", DIGITAL),
    _esco("a8d07b5a-c1a1-42c6-9d53-db9c7a2ca996", "PostgreSQL", DIGITAL),
    _esco("bd14968e-e409-45af-b362-3495ed7b10e0", "cloud technologies", DIGITAL),
    _esco("f0de4973-0a70-4644-8fd4-3a97080476f4", "DevOps", DIGITAL),
    _esco("ae4f0cc6-e0b9-47f5-bdca-2fc2e6316dce", "containers and virtualisation", DIGITAL),
    _esco("dba46f87-0831-49cd-a1c7-340a653c0221", "agile software development", DIGITAL),
    _esco("913e7e83-b8f8-4574-b1ca-1b38f3fd974a", "test software", DIGITAL),
    _esco("3bddfd7c-ab6d-40c2-883d-5e97fb7640ba", "design software", DIGITAL),
    _esco("f7e2eb04-3e50-4561-bce1-7e51a1fec308", "define software architecture", DIGITAL),
    _esco("2522a6ce-3202-4ac8-9f5b-b9cb5a3a83a1", "debug software", DIGITAL),
    _esco("9d2e926f-53d9-41f5-98f3-19dfaa687f3f", "version control tools", DIGITAL),
    _esco("1973c966-f236-40c9-b2d4-5d71a89019be", "spreadsheets", DIGITAL),
    _esco("bb99af26-71ff-4dca-bde7-1eb1f6194426", "SAP ERP", DIGITAL),
    _esco("07dd856d-6141-48a7-a228-918f88494812", "UX prototyping", DIGITAL),
    # Data
    _esco("7ee4c2ea-b349-4bd2-81a3-ec31475d4833", "statistics", DATA),
    _esco("25f0ea33-b4a2-4f31-b7b4-7d20e827b180", "data mining", DATA),
    _esco("3a2d5b45-56e4-4f5a-a55a-4a4a65afdc43", "machine learning", DATA),
    _esco("ecc4552a-92c5-4222-b18d-faf5ac841080", "deep learning", DATA),
    _esco("2b92a5b2-6758-4ee3-9fb4-b6387a55cc8f", "data analysis", DATA),
    _esco("c3e36d05-8ae8-447f-bb2b-6f9409f85389", "data visualisation", DATA),
    _esco("fbafa41f-cd05-4109-a649-8b44d306d779", "data modelling", DATA),
    _esco("143769cb-b61e-47d8-a61e-eedfbec1016c", "business intelligence", DATA),
    _esco("3ec2e4d6-7000-4905-bf1a-c5b1679416de", "data warehousing", DATA),
    _esco("382c11ed-20d5-4ae7-b60e-15fec527fa6c", "statistical analysis", DATA),
    _esco("51586df8-1c46-4b47-8583-773cb63bf00b", "R (programming language)", DATA),
    # Management
    _esco("0cc9c234-f817-4f4c-908a-4d28fe3b0f4a", "coach employees", MANAGEMENT),
    _esco("fb9c12af-ec45-498a-8e52-891371191557", "mentor people", MANAGEMENT),
    _esco("949ced5f-7536-4614-ac60-563ffc91a2f2", "strategic planning", MANAGEMENT),
    _esco("1f1d2ff8-c4c1-45cc-9812-6a7ee84a73cb", "lead a team", MANAGEMENT),
    _esco("cd5efa8c-e44d-4cbc-91c6-796018dbed68", "manage projects", MANAGEMENT),
    _esco("0a9acb6b-1139-4be9-b431-3a80a959f2f4", "agile project management", MANAGEMENT),
    _esco("3c03ee71-4a23-448f-b79e-81fd75d27dca", "change management", MANAGEMENT),
    _esco("3e61ee41-2bd9-466f-b313-00ce04072410", "lead department managers", MANAGEMENT),
    _esco("21c5790c-0930-4d74-b3b0-84caf5af12ea", "manage budgets", MANAGEMENT),
    # Communication
    _esco("c55caed2-de9e-4a25-819e-a0b0e83fba1b", "presenting", COMMUNICATION),
    _esco("39e7d2a3-8d01-497c-8c5f-d51ab53a4a22", "persuasion", COMMUNICATION),
    _esco("6d3edede-8951-4621-a835-e04323300fa0", "English", COMMUNICATION),
    _esco("60c78287-22eb-4103-9c8c-28deaa460da0", "teamwork", COMMUNICATION),
    _esco("7dd94ad3-13d6-43fe-8b94-51fcbf67ced9", "critical thinking", COMMUNICATION),
    _esco("adc6dc11-3376-467b-96c5-9b0a21edc869", "problem solving", COMMUNICATION),
    _esco("941364b9-1375-4add-9889-d67bae99bc8c", "technical writing", COMMUNICATION),
    _esco("0ee94af1-b445-4973-9c3f-459fab250342", "conflict resolution", COMMUNICATION),
    _esco("0da516ee-e70e-4384-be13-f5ff80be8127", "communicate with customers", COMMUNICATION),
    # Business
    _esco("21e0cad8-4eef-42be-b18b-0f8e37f0dbd0", "product lifecycle management", BUSINESS),
    _esco("0e0c9c11-b39e-43cf-ba95-2fe646f5de64", "identify customer requirements", BUSINESS),
    _esco("d9e5349e-8791-49c2-8ba4-839fdd1606c2", "define technical requirements", BUSINESS),
    _esco("fe39d4db-4cb5-4299-bb9f-896c8fd6ab13", "market research", BUSINESS),
    _esco("633a3637-2c6b-40ae-ac38-289eb2a62aa6", "business analysis", BUSINESS),
    _esco("6d97bf55-6fb6-4795-8282-3ef915ae0bb8", "prospecting new customers", BUSINESS),
    _esco("71152876-b629-4a99-b9ea-0f25a0d07e4e", "negotiate sales contracts", BUSINESS),
    _esco("e7219848-a27a-4bf4-8775-d367707be7c9", "sales strategies", BUSINESS),
    _esco("dc72ad0a-c5dc-4abd-bc0d-ca43e82162e1", "build business relationships", BUSINESS),
    _esco("dc9a236c-c640-43c3-812f-269403591edb", "customer relationship management (CRM)", BUSINESS),
    _esco("146eccdc-c52a-4d61-9406-3af617caa7d6", "sales forecasting", BUSINESS),
    _esco("0bfb44c7-c412-49ed-aab4-e33d0dd3b265", "manage sales teams", BUSINESS),
    _esco("15a33d76-4640-438d-ae64-fdc0c1d3eebc", "customer service", BUSINESS),
    _esco("2239694b-771a-4586-8b54-2794e361a9ae", "maintain customer relationships", BUSINESS),
    _esco("28d715e3-3e5b-4fb6-8dd2-4be4919c8587", "handle customer complaints", BUSINESS),
    _esco("00e53a0a-c0ba-4c9f-a2ed-4706d5832a00", "customer satisfaction", BUSINESS),
    _esco("92721092-fe7c-4689-96bd-4f02385bc0e7", "manage contracts", BUSINESS),
    # Finance
    _esco("99571e68-801f-49af-a897-5f75996642e1", "financial analysis", FINANCE),
    _esco("4b2db903-cd8e-48ce-97fb-a92db4def54e", "financial forecasting", FINANCE),
    _esco("60f51172-37c0-4933-a27a-cbf55dcd7580", "prepare financial statements", FINANCE),
    _esco("dd7c9dfd-6e2c-46fd-aefc-369402d0200c", "financial reporting", FINANCE),
    _esco("ecc18804-a466-40d9-98b4-fba5cd67dd4b", "accounting", FINANCE),
    _esco("eb8babfb-ab91-4937-a032-6a79f82e9b7f", "analyse financial risk", FINANCE),
    _esco("7d35602d-bc94-4975-aa7c-f4e8e05ce8e0", "cost management", FINANCE),
    _esco("6a536b36-c5c7-4d10-bf67-a4fb0f8549b2", "auditing", FINANCE),
    # People
    _esco("e437eba1-3e22-41f2-8703-741e94785cba", "HR management", PEOPLE),
    _esco("496932f1-0b6b-4f73-9432-d95c7ddcd43b", "recruiting", PEOPLE),
    _esco("324f0243-1a21-4f5c-9f71-52eebc2596ed", "interviewing", PEOPLE),
    _esco("97b713f0-b9e8-4903-8dee-7e0b4019a1c0", "employment law", PEOPLE),
    _esco("9d916d7c-89b3-4084-a6d9-e2b0b3091404", "payroll", PEOPLE),
    _esco("e54ff029-1ce9-447d-a5b2-eb7283a23e6e", "train employees", PEOPLE),
    _esco("426c1016-5a78-4357-9734-9cf5127d4fb7", "assess employee capabilities", PEOPLE),
    _esco("cc0b95b8-5fae-4ee2-851e-9b1e9fa178be", "handle employee complaints", PEOPLE),
    # Logistics
    _esco("e843973c-23dd-416a-8a9c-9e89512542fb", "logistics", LOGISTICS),
    _esco("f929c89e-c363-4132-a918-e021d57b307c", "supply chain management", LOGISTICS),
    _esco("089ddb19-1c7a-43ff-ba64-070f7ce4787a", "warehouse operations", LOGISTICS),
    _esco("ab6265f2-a9bf-49e8-a9a5-67cbab4de38b", "inventory management", LOGISTICS),
    _esco("a16e3fc6-c77d-46e3-aa18-c691fed47fd1", "freight transport methods", LOGISTICS),
    _esco("de857fbb-91a6-4a3f-8a47-93a9c1a616c8", "transport planning", LOGISTICS),
    _esco("3d913cd3-4ba3-4be9-8b35-4ad0de5ccb60", "track shipments", LOGISTICS),
    _esco("666e7d29-247b-4032-a3ce-8ee27554a044", "customs regulations", LOGISTICS),
    _esco("5d00929a-7124-488a-91c1-324bd75bf8ba", "negotiate logistics services", LOGISTICS),
    _esco("1f618933-1c1b-4b49-91f7-d567d25406bf", "work with carriers", LOGISTICS),
    _esco("0ced619a-0f59-4802-88ea-e97bf1b57f95", "fleet optimisation", LOGISTICS),
    _esco("68e73bf6-2838-4705-86f4-e4bda4ac8a6f", "demand forecasting", LOGISTICS),
)

NORTHWIND_WMS = "Northwind WMS"
ROUTEPILOT = "RoutePilot"
CARRIER_PORTAL = "Northwind Carrier Portal"

LOCAL_SKILLS: tuple[LocalSkill, ...] = (
    LocalSkill(
        NORTHWIND_WMS,
        LOGISTICS,
        "Our in-house warehouse management system: receiving, put-away, picking waves and cycle counts.",
        ("WMS",),
    ),
    LocalSkill(
        ROUTEPILOT,
        LOGISTICS,
        "The route optimisation tool the planning desks use to build daily truck routes and load plans.",
        ("route optimiser",),
    ),
    LocalSkill(
        CARRIER_PORTAL,
        DIGITAL,
        "The portal where shippers book freight and carriers accept loads; support staff administer it.",
        ("carrier portal", "shipper portal"),
    ),
)

# Skills anyone may list, whatever their role.
GENERIC_SKILLS: tuple[str, ...] = (
    "English",
    "teamwork",
    "critical thinking",
    "problem solving",
    "presenting",
    "manage projects",
)


# --- Role framework -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    skill: str  # a skill label, from CURATED_SKILLS or LOCAL_SKILLS
    importance: Importance
    target: int  # proficiency level 1-5


def _ess(skill: str, target: int) -> Requirement:
    return Requirement(skill, Importance.ESSENTIAL, target)


def _imp(skill: str, target: int) -> Requirement:
    return Requirement(skill, Importance.IMPORTANT, target)


def _nice(skill: str, target: int) -> Requirement:
    return Requirement(skill, Importance.NICE_TO_HAVE, target)


@dataclass(frozen=True)
class RoleSpec:
    title: str  # unique across the company, so career paths and teams can name roles by title
    level: int
    description: str
    requires: tuple[Requirement, ...]


@dataclass(frozen=True)
class FamilySpec:
    name: str
    description: str
    roles: tuple[RoleSpec, ...]
    # Skills people in the family often have beyond what their role asks for.
    related: tuple[str, ...]


PYTHON = "Python (computer programming)"
CRM = "customer relationship management (CRM)"
HEAD_OF_DEPARTMENT = "Head of Department"
CEO = "Chief Executive Officer"
COO = "Chief Operating Officer"

JOB_FAMILIES: tuple[FamilySpec, ...] = (
    FamilySpec(
        "Software Engineering",
        "Builds and runs the platform: booking, routing, warehouse and tracking systems.",
        (
            RoleSpec(
                "Software Engineer I",
                2,
                "Delivers well-scoped changes with guidance from the team.",
                (
                    _ess(PYTHON, 2),
                    _ess("test software", 2),
                    _imp("SQL", 2),
                    _imp("version control tools", 2),
                    _imp("design software", 1),
                    _nice("JavaScript", 1),
                ),
            ),
            RoleSpec(
                "Software Engineer II",
                3,
                "Owns features end to end and keeps them running in production.",
                (
                    _ess(PYTHON, 3),
                    _ess("test software", 3),
                    _imp("SQL", 2),
                    _imp("version control tools", 3),
                    _imp("design software", 2),
                    _imp("debug software", 3),
                    _nice("cloud technologies", 2),
                ),
            ),
            RoleSpec(
                "Senior Software Engineer",
                4,
                "Designs larger pieces of the system and raises the bar for the team.",
                (
                    _ess(PYTHON, 4),
                    _ess("design software", 4),
                    _ess("test software", 3),
                    _imp("define software architecture", 3),
                    _imp("cloud technologies", 3),
                    _imp("SQL", 3),
                    _nice("mentor people", 2),
                ),
            ),
            RoleSpec(
                "Staff Software Engineer",
                5,
                "Shapes the architecture across teams and leads the hardest technical work.",
                (
                    _ess("define software architecture", 5),
                    _ess("design software", 5),
                    _imp(PYTHON, 4),
                    _imp("cloud technologies", 4),
                    _imp("DevOps", 3),
                    _imp("mentor people", 3),
                    _nice("technical writing", 3),
                ),
            ),
            RoleSpec(
                "Engineering Manager",
                6,
                "Leads an engineering team: people, delivery and technical health.",
                (
                    _ess("lead a team", 4),
                    _ess("coach employees", 3),
                    _imp("recruiting", 3),
                    _imp("agile software development", 4),
                    _imp("design software", 3),
                    _imp("mentor people", 3),
                    _nice("manage budgets", 2),
                ),
            ),
        ),
        (
            "JavaScript",
            "PostgreSQL",
            "containers and virtualisation",
            "DevOps",
            "debug software",
            "agile software development",
            "technical writing",
            "cloud technologies",
        ),
    ),
    FamilySpec(
        "Data & Analytics",
        "Turns shipment, warehouse and commercial data into reports, forecasts and models.",
        (
            RoleSpec(
                "Data Analyst",
                3,
                "Answers business questions with data and builds the reports people use.",
                (
                    _ess("SQL", 3),
                    _ess("data analysis", 3),
                    _imp("data visualisation", 3),
                    _imp("spreadsheets", 3),
                    _imp("statistics", 2),
                    _nice(PYTHON, 1),
                    _nice("business intelligence", 2),
                ),
            ),
            RoleSpec(
                "Senior Data Analyst",
                4,
                "Owns an analytics domain and the models behind its dashboards.",
                (
                    _ess("SQL", 4),
                    _ess("data analysis", 4),
                    _ess("data visualisation", 4),
                    _imp("business intelligence", 3),
                    _imp("data modelling", 3),
                    _imp("presenting", 3),
                ),
            ),
            RoleSpec(
                "Data Scientist",
                4,
                "Builds forecasting and optimisation models: demand, ETAs, pricing.",
                (
                    _ess(PYTHON, 3),
                    _ess("statistical analysis", 3),
                    _ess("machine learning", 3),
                    _imp("SQL", 3),
                    _imp("data mining", 3),
                    _nice("R (programming language)", 2),
                ),
            ),
            RoleSpec(
                "Senior Data Scientist",
                5,
                "Leads modelling work from problem framing to production.",
                (
                    _ess(PYTHON, 4),
                    _ess("machine learning", 4),
                    _ess("statistical analysis", 4),
                    _imp("data mining", 4),
                    _imp("deep learning", 3),
                    _imp("mentor people", 3),
                ),
            ),
            RoleSpec(
                "Analytics Manager",
                6,
                "Leads an analytics team and its roadmap.",
                (
                    _ess("lead a team", 4),
                    _ess("data analysis", 4),
                    _imp("coach employees", 3),
                    _imp("manage projects", 3),
                    _imp("data warehousing", 3),
                    _nice("strategic planning", 2),
                ),
            ),
        ),
        (
            "R (programming language)",
            "data warehousing",
            "data modelling",
            "PostgreSQL",
            "data mining",
            "business intelligence",
            "critical thinking",
            "statistics",
        ),
    ),
    FamilySpec(
        "Product Management",
        "Decides what the platform should do next, with shippers, carriers and our own operations.",
        (
            RoleSpec(
                "Associate Product Manager",
                2,
                "Owns small product areas under a product manager's wing.",
                (
                    _ess("identify customer requirements", 2),
                    _ess("product lifecycle management", 2),
                    _imp("market research", 2),
                    _imp("agile project management", 2),
                    _nice("data analysis", 2),
                ),
            ),
            RoleSpec(
                "Product Manager",
                4,
                "Owns a product area: discovery, roadmap and delivery with an engineering team.",
                (
                    _ess("identify customer requirements", 3),
                    _ess("product lifecycle management", 3),
                    _ess("define technical requirements", 3),
                    _imp("market research", 3),
                    _imp("agile project management", 3),
                    _imp("presenting", 3),
                    _nice("UX prototyping", 2),
                ),
            ),
            RoleSpec(
                "Senior Product Manager",
                5,
                "Owns a product line and its strategy across several teams.",
                (
                    _ess("product lifecycle management", 4),
                    _ess("identify customer requirements", 4),
                    _imp("strategic planning", 3),
                    _imp("persuasion", 3),
                    _imp("data analysis", 3),
                    _nice("business analysis", 3),
                ),
            ),
            RoleSpec(
                "Group Product Manager",
                6,
                "Leads product managers and the product strategy of a department.",
                (
                    _ess("strategic planning", 4),
                    _ess("lead a team", 4),
                    _ess("product lifecycle management", 4),
                    _imp("coach employees", 3),
                    _imp("persuasion", 4),
                    _nice("manage budgets", 3),
                ),
            ),
        ),
        (
            "UX prototyping",
            "business analysis",
            "data visualisation",
            "SQL",
            "presenting",
            "customer satisfaction",
            "technical writing",
        ),
    ),
    FamilySpec(
        "Sales",
        "Wins new shippers and grows the freight volume of existing ones.",
        (
            RoleSpec(
                "Sales Development Representative",
                2,
                "Finds and qualifies new shippers for the account executives.",
                (
                    _ess("prospecting new customers", 2),
                    _ess("communicate with customers", 2),
                    _imp(CRM, 2),
                    _imp("sales strategies", 1),
                    _nice("English", 3),
                ),
            ),
            RoleSpec(
                "Account Executive",
                3,
                "Runs the sales cycle from first meeting to signed contract.",
                (
                    _ess("prospecting new customers", 3),
                    _ess("negotiate sales contracts", 3),
                    _ess("build business relationships", 3),
                    _imp(CRM, 3),
                    _imp("presenting", 3),
                    _nice("freight transport methods", 2),
                ),
            ),
            RoleSpec(
                "Senior Account Executive",
                4,
                "Closes the largest deals and owns strategic accounts.",
                (
                    _ess("negotiate sales contracts", 4),
                    _ess("build business relationships", 4),
                    _imp("sales strategies", 3),
                    _imp("sales forecasting", 3),
                    _imp("persuasion", 4),
                    _nice("manage contracts", 3),
                ),
            ),
            RoleSpec(
                "Sales Manager",
                6,
                "Leads a sales team, its pipeline and its forecast.",
                (
                    _ess("manage sales teams", 4),
                    _ess("sales forecasting", 4),
                    _ess("sales strategies", 4),
                    _imp("coach employees", 3),
                    _imp("negotiate sales contracts", 4),
                    _nice("manage budgets", 3),
                ),
            ),
        ),
        (
            "market research",
            "persuasion",
            "logistics",
            "freight transport methods",
            "sales forecasting",
            "manage contracts",
            CRM,
        ),
    ),
    FamilySpec(
        "Customer Success",
        "Keeps shippers and carriers successful on the platform, from onboarding to renewal.",
        (
            RoleSpec(
                "Customer Support Specialist",
                2,
                "Answers shipper and carrier questions and solves their problems quickly.",
                (
                    _ess("customer service", 3),
                    _ess("communicate with customers", 3),
                    _imp("handle customer complaints", 2),
                    _imp("track shipments", 2),
                    _imp(CARRIER_PORTAL, 2),
                    _nice("problem solving", 2),
                ),
            ),
            RoleSpec(
                "Customer Success Manager",
                3,
                "Owns a book of accounts: onboarding, adoption and renewals.",
                (
                    _ess("maintain customer relationships", 3),
                    _ess("customer satisfaction", 3),
                    _imp(CRM, 2),
                    _imp("handle customer complaints", 3),
                    _imp("problem solving", 3),
                    _nice("presenting", 2),
                ),
            ),
            RoleSpec(
                "Senior Customer Success Manager",
                4,
                "Owns the largest accounts and their growth.",
                (
                    _ess("maintain customer relationships", 4),
                    _ess("customer satisfaction", 4),
                    _imp("build business relationships", 3),
                    _imp("persuasion", 3),
                    _imp("logistics", 2),
                    _nice("data analysis", 2),
                ),
            ),
            RoleSpec(
                "Customer Success Lead",
                6,
                "Leads a customer success or support team.",
                (
                    _ess("lead a team", 4),
                    _ess("customer satisfaction", 4),
                    _imp("coach employees", 3),
                    _imp("conflict resolution", 3),
                    _imp("maintain customer relationships", 4),
                    _nice("manage projects", 3),
                ),
            ),
        ),
        (
            "track shipments",
            "logistics",
            "spreadsheets",
            CARRIER_PORTAL,
            CRM,
            "conflict resolution",
            "customer service",
        ),
    ),
    FamilySpec(
        "Logistics & Operations",
        "Plans, moves and stores the freight: transport planning, warehouses, customs.",
        (
            RoleSpec(
                "Logistics Coordinator",
                2,
                "Books, tracks and fixes shipments day to day.",
                (
                    _ess("logistics", 2),
                    _ess("track shipments", 3),
                    _imp(NORTHWIND_WMS, 2),
                    _imp("transport planning", 2),
                    _imp("spreadsheets", 2),
                    _nice("customs regulations", 1),
                ),
            ),
            RoleSpec(
                "Transport Planner",
                3,
                "Builds the daily routes and loads and keeps carriers on plan.",
                (
                    _ess("transport planning", 3),
                    _ess(ROUTEPILOT, 3),
                    _imp("logistics", 3),
                    _imp("fleet optimisation", 2),
                    _imp("work with carriers", 2),
                    _nice("freight transport methods", 2),
                ),
            ),
            RoleSpec(
                "Warehouse Supervisor",
                4,
                "Runs a warehouse shift: people, stock accuracy and throughput.",
                (
                    _ess("warehouse operations", 4),
                    _ess("inventory management", 3),
                    _ess(NORTHWIND_WMS, 3),
                    _imp("lead a team", 3),
                    _imp("logistics", 3),
                    _nice("problem solving", 3),
                ),
            ),
            RoleSpec(
                "Supply Chain Analyst",
                4,
                "Finds cost and service improvements across the network.",
                (
                    _ess("supply chain management", 3),
                    _ess("demand forecasting", 3),
                    _imp("data analysis", 3),
                    _imp("spreadsheets", 3),
                    _imp("logistics", 3),
                    _nice("SQL", 2),
                ),
            ),
            RoleSpec(
                "Operations Manager",
                6,
                "Leads an operations team and its carriers, budget and service levels.",
                (
                    _ess("lead a team", 4),
                    _ess("supply chain management", 4),
                    _imp("manage budgets", 3),
                    _imp("negotiate logistics services", 4),
                    _imp("logistics", 4),
                    _nice("change management", 3),
                ),
            ),
        ),
        (
            "freight transport methods",
            "negotiate logistics services",
            "work with carriers",
            "customs regulations",
            "SAP ERP",
            "manage contracts",
            "fleet optimisation",
            "inventory management",
            ROUTEPILOT,
            NORTHWIND_WMS,
        ),
    ),
    FamilySpec(
        "People & HR",
        "Hires, develops and looks after the people of Northwind.",
        (
            RoleSpec(
                "HR Coordinator",
                2,
                "Runs HR administration: contracts, onboarding, payroll changes.",
                (
                    _ess("HR management", 2),
                    _imp("employment law", 2),
                    _imp("payroll", 2),
                    _imp("spreadsheets", 2),
                    _nice("interviewing", 1),
                ),
            ),
            RoleSpec(
                "Talent Acquisition Partner",
                3,
                "Finds and hires people with the hiring managers.",
                (
                    _ess("recruiting", 3),
                    _ess("interviewing", 3),
                    _imp("employment law", 2),
                    _imp("build business relationships", 2),
                    _nice("persuasion", 2),
                ),
            ),
            RoleSpec(
                "HR Business Partner",
                4,
                "Advises the managers of a department on everything people.",
                (
                    _ess("HR management", 3),
                    _ess("employment law", 3),
                    _ess("conflict resolution", 3),
                    _imp("coach employees", 3),
                    _imp("handle employee complaints", 3),
                    _nice("change management", 2),
                ),
            ),
            RoleSpec(
                "Senior HR Business Partner",
                5,
                "Partners with a department's leadership on organisation and change.",
                (
                    _ess("HR management", 4),
                    _ess("change management", 4),
                    _imp("employment law", 4),
                    _imp("coach employees", 4),
                    _imp("strategic planning", 3),
                    _nice("assess employee capabilities", 3),
                ),
            ),
            RoleSpec(
                "HR Manager",
                6,
                "Leads an HR team and its programmes.",
                (
                    _ess("lead a team", 4),
                    _ess("HR management", 4),
                    _imp("manage budgets", 3),
                    _imp("employment law", 4),
                    _imp("assess employee capabilities", 3),
                    _nice("train employees", 3),
                ),
            ),
        ),
        (
            "train employees",
            "assess employee capabilities",
            "mentor people",
            "handle employee complaints",
            "interviewing",
            "recruiting",
        ),
    ),
    FamilySpec(
        "Finance",
        "Keeps the books, plans the money and tells the business how it is doing.",
        (
            RoleSpec(
                "Accountant",
                3,
                "Keeps the ledgers and closes the month.",
                (
                    _ess("accounting", 3),
                    _ess("prepare financial statements", 3),
                    _imp("spreadsheets", 3),
                    _imp("SAP ERP", 2),
                    _nice("auditing", 2),
                ),
            ),
            RoleSpec(
                "Financial Analyst",
                3,
                "Builds budgets, forecasts and the analysis behind business decisions.",
                (
                    _ess("financial analysis", 3),
                    _ess("spreadsheets", 3),
                    _imp("financial forecasting", 2),
                    _imp("financial reporting", 2),
                    _nice("SQL", 1),
                ),
            ),
            RoleSpec(
                "Senior Financial Analyst",
                4,
                "Owns the forecast of a business unit and advises its leadership.",
                (
                    _ess("financial analysis", 4),
                    _ess("financial forecasting", 4),
                    _imp("analyse financial risk", 3),
                    _imp("presenting", 3),
                    _imp("financial reporting", 3),
                    _nice("business intelligence", 2),
                ),
            ),
            RoleSpec(
                "Finance Manager",
                6,
                "Leads a finance team: close, planning and controls.",
                (
                    _ess("manage budgets", 4),
                    _ess("lead a team", 4),
                    _ess("financial reporting", 4),
                    _imp("cost management", 4),
                    _imp("analyse financial risk", 3),
                    _nice("auditing", 3),
                ),
            ),
        ),
        ("SQL", "business intelligence", "cost management", "auditing", "SAP ERP", "data visualisation"),
    ),
    FamilySpec(
        "Leadership",
        "Runs the company and its departments.",
        (
            RoleSpec(
                HEAD_OF_DEPARTMENT,
                8,
                "Leads a department, its managers and its budget.",
                (
                    _ess("strategic planning", 4),
                    _ess("lead department managers", 4),
                    _ess("manage budgets", 4),
                    _imp("change management", 3),
                    _imp("coach employees", 4),
                    _nice("presenting", 4),
                ),
            ),
            RoleSpec(
                COO,
                9,
                "Runs the operating departments: operations, sales and customer success.",
                (
                    _ess("strategic planning", 5),
                    _ess("lead department managers", 5),
                    _ess("supply chain management", 4),
                    _imp("manage budgets", 4),
                    _imp("change management", 4),
                ),
            ),
            RoleSpec(
                CEO,
                10,
                "Runs the company.",
                (
                    _ess("strategic planning", 5),
                    _ess("lead department managers", 5),
                    _ess("persuasion", 5),
                    _imp("presenting", 5),
                    _imp("business analysis", 4),
                ),
            ),
        ),
        ("persuasion", "presenting", "change management", "coach employees", "mentor people", "English"),
    ),
)


@dataclass(frozen=True)
class PathSpec:
    from_role: str
    to_role: str
    kind: TransitionKind
    typical_months: int


_UP = TransitionKind.PROMOTION
_SIDE = TransitionKind.LATERAL
_ACROSS = TransitionKind.CROSS_DEPARTMENT

CAREER_PATHS: tuple[PathSpec, ...] = (
    # Software Engineering
    PathSpec("Software Engineer I", "Software Engineer II", _UP, 18),
    PathSpec("Software Engineer II", "Senior Software Engineer", _UP, 24),
    PathSpec("Senior Software Engineer", "Staff Software Engineer", _UP, 36),
    PathSpec("Senior Software Engineer", "Engineering Manager", _UP, 30),
    PathSpec("Staff Software Engineer", "Engineering Manager", _SIDE, 12),
    # Data & Analytics
    PathSpec("Data Analyst", "Senior Data Analyst", _UP, 24),
    PathSpec("Data Analyst", "Data Scientist", _SIDE, 18),
    PathSpec("Data Scientist", "Senior Data Scientist", _UP, 30),
    PathSpec("Senior Data Analyst", "Analytics Manager", _UP, 30),
    PathSpec("Senior Data Scientist", "Analytics Manager", _UP, 24),
    # Product Management
    PathSpec("Associate Product Manager", "Product Manager", _UP, 18),
    PathSpec("Product Manager", "Senior Product Manager", _UP, 30),
    PathSpec("Senior Product Manager", "Group Product Manager", _UP, 30),
    # Sales
    PathSpec("Sales Development Representative", "Account Executive", _UP, 15),
    PathSpec("Account Executive", "Senior Account Executive", _UP, 24),
    PathSpec("Senior Account Executive", "Sales Manager", _UP, 30),
    # Customer Success
    PathSpec("Customer Support Specialist", "Customer Success Manager", _UP, 18),
    PathSpec("Customer Success Manager", "Senior Customer Success Manager", _UP, 24),
    PathSpec("Senior Customer Success Manager", "Customer Success Lead", _UP, 24),
    # Logistics & Operations
    PathSpec("Logistics Coordinator", "Transport Planner", _UP, 18),
    PathSpec("Logistics Coordinator", "Warehouse Supervisor", _UP, 24),
    PathSpec("Transport Planner", "Supply Chain Analyst", _UP, 24),
    PathSpec("Warehouse Supervisor", "Operations Manager", _UP, 36),
    PathSpec("Supply Chain Analyst", "Operations Manager", _UP, 30),
    # People & HR
    PathSpec("HR Coordinator", "Talent Acquisition Partner", _UP, 18),
    PathSpec("HR Coordinator", "HR Business Partner", _UP, 30),
    PathSpec("Talent Acquisition Partner", "HR Business Partner", _SIDE, 24),
    PathSpec("HR Business Partner", "Senior HR Business Partner", _UP, 30),
    PathSpec("Senior HR Business Partner", "HR Manager", _UP, 24),
    # Finance
    PathSpec("Accountant", "Financial Analyst", _SIDE, 12),
    PathSpec("Financial Analyst", "Senior Financial Analyst", _UP, 24),
    PathSpec("Senior Financial Analyst", "Finance Manager", _UP, 30),
    # Moves between departments that people at Northwind actually make.
    PathSpec("Customer Success Manager", "Account Executive", _ACROSS, 12),
    PathSpec("Account Executive", "Customer Success Manager", _ACROSS, 12),
    PathSpec("Senior Software Engineer", "Product Manager", _ACROSS, 12),
    PathSpec("Software Engineer II", "Data Scientist", _ACROSS, 12),
    PathSpec("Data Analyst", "Associate Product Manager", _ACROSS, 12),
    PathSpec("Data Analyst", "Financial Analyst", _ACROSS, 9),
    PathSpec("Financial Analyst", "Data Analyst", _ACROSS, 9),
    PathSpec("Supply Chain Analyst", "Data Analyst", _ACROSS, 12),
    PathSpec("Logistics Coordinator", "Customer Success Manager", _ACROSS, 12),
    PathSpec("Customer Support Specialist", "Logistics Coordinator", _ACROSS, 12),
    PathSpec("Sales Development Representative", "Talent Acquisition Partner", _ACROSS, 18),
    # Into leadership
    PathSpec("Engineering Manager", HEAD_OF_DEPARTMENT, _UP, 36),
    PathSpec("Analytics Manager", HEAD_OF_DEPARTMENT, _UP, 36),
    PathSpec("Group Product Manager", HEAD_OF_DEPARTMENT, _UP, 36),
    PathSpec("Sales Manager", HEAD_OF_DEPARTMENT, _UP, 36),
    PathSpec("Customer Success Lead", HEAD_OF_DEPARTMENT, _UP, 36),
    PathSpec("Operations Manager", HEAD_OF_DEPARTMENT, _UP, 36),
    PathSpec("HR Manager", HEAD_OF_DEPARTMENT, _UP, 36),
    PathSpec("Finance Manager", HEAD_OF_DEPARTMENT, _UP, 36),
    PathSpec(HEAD_OF_DEPARTMENT, COO, _UP, 48),
    PathSpec(COO, CEO, _UP, 48),
)


# --- Organisation -------------------------------------------------------------------------------

REMOTE = "Remote"
LOCATIONS: tuple[str, ...] = ("Rotterdam", "Hamburg", "Warsaw", "Lisbon", "Chicago", "Singapore", REMOTE)
HEADQUARTERS = "Rotterdam"


@dataclass(frozen=True)
class TeamSpec:
    name: str
    size: int  # relative headcount (without the manager)
    members: tuple[tuple[str, int], ...]  # (role title, weight) of the people in the team


@dataclass(frozen=True)
class DepartmentSpec:
    name: str
    division: str | None
    family: str
    manager_role: str  # the role of every team manager
    reports_to: str  # the role (CEO or COO) of whom the head of the department reports to
    locations: tuple[tuple[str, int], ...]  # (location, weight)
    teams: tuple[TeamSpec, ...]


EXECUTIVE_OFFICE = "Executive Office"

DEPARTMENTS: tuple[DepartmentSpec, ...] = (
    DepartmentSpec(
        "Engineering",
        "Technology",
        "Software Engineering",
        "Engineering Manager",
        CEO,
        (("Rotterdam", 4), ("Warsaw", 4), ("Lisbon", 3), ("Hamburg", 1), (REMOTE, 4)),
        (
            TeamSpec(
                "Platform",
                12,
                (
                    ("Software Engineer I", 2),
                    ("Software Engineer II", 4),
                    ("Senior Software Engineer", 3),
                    ("Staff Software Engineer", 1),
                ),
            ),
            TeamSpec(
                "Routing & Dispatch",
                12,
                (
                    ("Software Engineer I", 3),
                    ("Software Engineer II", 4),
                    ("Senior Software Engineer", 3),
                    ("Staff Software Engineer", 1),
                ),
            ),
            TeamSpec(
                "Warehouse Systems",
                10,
                (("Software Engineer I", 3), ("Software Engineer II", 4), ("Senior Software Engineer", 2)),
            ),
            TeamSpec(
                "Shipper Apps",
                12,
                (("Software Engineer I", 4), ("Software Engineer II", 4), ("Senior Software Engineer", 3)),
            ),
        ),
    ),
    DepartmentSpec(
        "Data & Analytics",
        "Technology",
        "Data & Analytics",
        "Analytics Manager",
        CEO,
        (("Rotterdam", 3), ("Warsaw", 2), ("Lisbon", 2), (REMOTE, 3)),
        (
            TeamSpec(
                "Business Intelligence",
                9,
                (("Data Analyst", 5), ("Senior Data Analyst", 3), ("Data Scientist", 1)),
            ),
            TeamSpec(
                "Data Science",
                7,
                (("Data Scientist", 4), ("Senior Data Scientist", 2), ("Data Analyst", 1)),
            ),
        ),
    ),
    DepartmentSpec(
        "Product",
        "Technology",
        "Product Management",
        "Group Product Manager",
        CEO,
        (("Rotterdam", 4), ("Lisbon", 2), (REMOTE, 2)),
        (
            TeamSpec(
                "Shipper Experience",
                4,
                (("Associate Product Manager", 1), ("Product Manager", 2), ("Senior Product Manager", 1)),
            ),
            TeamSpec(
                "Carrier Experience",
                4,
                (("Associate Product Manager", 1), ("Product Manager", 2), ("Senior Product Manager", 1)),
            ),
        ),
    ),
    DepartmentSpec(
        "Sales",
        "Commercial",
        "Sales",
        "Sales Manager",
        COO,
        (("Rotterdam", 3), ("Hamburg", 3), ("Chicago", 3), ("Singapore", 2), (REMOTE, 1)),
        (
            TeamSpec("Sales Development", 8, (("Sales Development Representative", 1),)),
            TeamSpec("Enterprise Sales", 8, (("Account Executive", 2), ("Senior Account Executive", 2))),
            TeamSpec("Mid-Market Sales", 9, (("Account Executive", 3), ("Senior Account Executive", 1))),
        ),
    ),
    DepartmentSpec(
        "Customer Success",
        "Commercial",
        "Customer Success",
        "Customer Success Lead",
        COO,
        (("Rotterdam", 3), ("Lisbon", 3), ("Chicago", 2), ("Singapore", 2), (REMOTE, 1)),
        (
            TeamSpec(
                "Customer Support",
                12,
                (("Customer Support Specialist", 4), ("Customer Success Manager", 1)),
            ),
            TeamSpec(
                "Onboarding",
                7,
                (("Customer Success Manager", 3), ("Senior Customer Success Manager", 1)),
            ),
            TeamSpec(
                "Account Management",
                8,
                (("Customer Success Manager", 2), ("Senior Customer Success Manager", 2)),
            ),
        ),
    ),
    DepartmentSpec(
        "Operations & Logistics",
        None,
        "Logistics & Operations",
        "Operations Manager",
        COO,
        # The freight has to be somewhere: nobody in operations is fully remote.
        (("Rotterdam", 5), ("Hamburg", 4), ("Chicago", 2), ("Singapore", 2)),
        (
            TeamSpec(
                "Transport Planning",
                14,
                (("Logistics Coordinator", 2), ("Transport Planner", 3), ("Supply Chain Analyst", 1)),
            ),
            TeamSpec("Warehouse Operations", 14, (("Logistics Coordinator", 4), ("Warehouse Supervisor", 1))),
            TeamSpec("Freight Forwarding", 12, (("Logistics Coordinator", 3), ("Transport Planner", 1))),
            TeamSpec("Customs & Compliance", 6, (("Logistics Coordinator", 3), ("Supply Chain Analyst", 1))),
        ),
    ),
    DepartmentSpec(
        "People & HR",
        None,
        "People & HR",
        "HR Manager",
        CEO,
        (("Rotterdam", 3), ("Warsaw", 1), ("Lisbon", 1), (REMOTE, 1)),
        (
            TeamSpec("Talent Acquisition", 6, (("Talent Acquisition Partner", 3), ("HR Coordinator", 1))),
            TeamSpec(
                "HR Business Partners",
                5,
                (("HR Business Partner", 3), ("Senior HR Business Partner", 1)),
            ),
            TeamSpec("People Operations", 5, (("HR Coordinator", 3), ("HR Business Partner", 1))),
        ),
    ),
    DepartmentSpec(
        "Finance",
        None,
        "Finance",
        "Finance Manager",
        CEO,
        (("Rotterdam", 4), ("Warsaw", 1), (REMOTE, 1)),
        (
            TeamSpec(
                "Financial Planning & Analysis",
                6,
                (("Financial Analyst", 3), ("Senior Financial Analyst", 2)),
            ),
            TeamSpec("Accounting", 7, (("Accountant", 4), ("Financial Analyst", 1))),
        ),
    ),
)


# --- People -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NamePool:
    """First and last names of one naming tradition, written as their bearers write them."""

    origin: str
    weight: int
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]


NAME_POOLS: tuple[NamePool, ...] = (
    NamePool(
        "Dutch",
        5,
        ("Daan", "Sanne", "Lotte", "Bram", "Femke", "Jeroen", "Eva", "Joost", "Anouk", "Thijs", "Noor", "Ruben"),
        ("de Vries", "Jansen", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "Bos"),
    ),
    NamePool(
        "German",
        3,
        ("Lukas", "Anna", "Jonas", "Lea", "Felix", "Hannah", "Tobias", "Katharina", "Niklas", "Julia", "Jan"),
        ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Wagner", "Becker", "Hoffmann", "Schäfer", "Koch"),
    ),
    NamePool(
        "Polish",
        3,
        ("Jakub", "Zofia", "Kacper", "Maja", "Łukasz", "Agnieszka", "Piotr", "Katarzyna", "Michał", "Magdalena"),
        ("Nowak", "Wójcik", "Kowalczyk", "Woźniak", "Mazur", "Krawczyk", "Zając", "Król", "Wieczorek", "Dudek"),
    ),
    NamePool(
        "Portuguese",
        3,
        ("João", "Mariana", "Tiago", "Beatriz", "Rafael", "Inês", "Gonçalo", "Carolina", "Pedro", "Ana", "Diogo"),
        ("Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa", "Rodrigues", "Martins", "Sousa", "Carvalho"),
    ),
    NamePool(
        "Spanish",
        2,
        ("Alejandro", "Lucía", "Javier", "Sofía", "Diego", "Valentina", "Carlos", "Martina", "Mateo", "Elena"),
        ("García", "Fernández", "González", "López", "Martínez", "Sánchez", "Romero", "Torres", "Navarro", "Vargas"),
    ),
    NamePool(
        "Indian",
        3,
        ("Aarav", "Priya", "Rohan", "Ananya", "Vikram", "Kavya", "Arjun", "Neha", "Siddharth", "Divya", "Meera"),
        ("Sharma", "Patel", "Iyer", "Reddy", "Nair", "Gupta", "Singh", "Kumar", "Menon", "Rao", "Desai", "Mehta"),
    ),
    NamePool(
        "Chinese",
        2,
        ("Wei", "Jing", "Hao", "Mei", "Jun", "Xiaoling", "Yang", "Lei", "Fang", "Zihan", "Yiming", "Ruoxi"),
        ("Wang", "Li", "Zhang", "Liu", "Chen", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Lin"),
    ),
    NamePool(
        "West African",
        2,
        ("Chinedu", "Ngozi", "Oluwaseun", "Adaeze", "Emeka", "Folake", "Kwame", "Ama", "Tunde", "Kofi", "Abena"),
        ("Okafor", "Adeyemi", "Okonkwo", "Balogun", "Eze", "Mensah", "Boateng", "Asante", "Nwosu", "Owusu"),
    ),
    NamePool(
        "Arabic",
        2,
        ("Omar", "Layla", "Youssef", "Fatima", "Karim", "Nour", "Hassan", "Amira", "Tariq", "Salma", "Yasmin"),
        ("Haddad", "El Amrani", "Benali", "Mansour", "Khalil", "Nasser", "Saleh", "Aziz", "Bouzid", "Farah"),
    ),
    NamePool(
        "Turkish",
        2,
        ("Emre", "Elif", "Mehmet", "Zeynep", "Burak", "Ayşe", "Can", "Selin", "Murat", "Ece"),
        ("Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Öztürk", "Aydın", "Arslan", "Doğan"),  # noqa: RUF001
    ),
    NamePool(
        "Japanese",
        1,
        ("Haruto", "Yui", "Sota", "Aoi", "Ren", "Hina", "Takumi", "Sakura", "Kenji", "Yuki"),
        ("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi"),
    ),
    NamePool(
        "Korean",
        1,
        ("Min-jun", "Seo-yeon", "Ji-ho", "Ha-eun", "Do-yun", "Su-bin", "Ji-woo", "Ye-jin"),
        ("Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon"),
    ),
    NamePool(
        "Vietnamese",
        1,
        ("Minh", "Linh", "Quang", "Thảo", "Tuấn", "Hương", "Đức", "Mai"),
        ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi"),
    ),
    NamePool(
        "Nordic",
        2,
        ("Erik", "Ingrid", "Lars", "Astrid", "Mikkel", "Freja", "Oskar", "Sigrid", "Nils", "Linnea"),
        ("Johansson", "Andersson", "Nielsen", "Hansen", "Lindqvist", "Eriksen", "Solberg", "Haugen", "Sørensen"),
    ),
    NamePool(
        "English and Irish",
        3,
        ("James", "Emily", "Liam", "Chloe", "Oliver", "Grace", "Connor", "Aoife", "Daniel", "Sarah", "Niamh"),
        ("Smith", "O'Brien", "Murphy", "Taylor", "Walsh", "Brown", "Kelly", "Wilson", "Evans", "Byrne", "Clarke"),
    ),
    NamePool(
        "Italian",
        2,
        ("Giulia", "Marco", "Francesca", "Luca", "Chiara", "Alessandro", "Sara", "Davide", "Elisa", "Matteo"),
        ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco"),
    ),
)

# Projects that skills were shown on; the seed links some skills to their wiki pages.
PROJECTS: tuple[str, ...] = (
    "wms-migration",
    "eta-predictions",
    "carrier-portal-v2",
    "customs-automation",
    "route-optimisation-pilot",
    "hamburg-cross-dock-opening",
    "crm-rollout",
    "month-end-close-automation",
)


@dataclass(frozen=True)
class DepartmentWork:
    """A department's open gig and project: (title, description, hours per week, weeks)."""

    gig: tuple[str, str, int, int]
    project: tuple[str, str, int, int]


DEPARTMENT_WORK: dict[str, DepartmentWork] = {
    "Engineering": DepartmentWork(
        (
            "Load-test the carrier portal before peak season",
            "Help Platform write and run load tests of the carrier portal's booking flow ahead of the December peak.",
            6,
            6,
        ),
        (
            "WMS migration: cut-over squad",
            "Join the squad moving the last warehouses onto Northwind WMS: "
            "data migration, cut-over weekends and hypercare.",
            16,
            20,
        ),
    ),
    "Data & Analytics": DepartmentWork(
        (
            "Clean up the sales dashboards",
            "Retire duplicate dashboards and document the ones that stay, with the sales managers who use them.",
            4,
            8,
        ),
        (
            "ETA predictions for ocean freight",
            "Build and evaluate a model that predicts container arrival times from carrier and port data.",
            12,
            16,
        ),
    ),
    "Product": DepartmentWork(
        (
            "Customer interviews: shipper onboarding",
            "Run and write up ten interviews with new shippers about their first month on the platform.",
            5,
            6,
        ),
        (
            "Carrier portal v2 discovery",
            "Shape the next version of the carrier portal with design, engineering and three pilot carriers.",
            10,
            12,
        ),
    ),
    "Sales": DepartmentWork(
        (
            "Trade fair stand in Hamburg",
            "Staff Northwind's stand at the Hamburg logistics fair and follow up the leads it brings.",
            8,
            3,
        ),
        (
            "CRM rollout for Mid-Market",
            "Move the Mid-Market team onto the new CRM: pipeline stages, data clean-up and training.",
            8,
            12,
        ),
    ),
    "Customer Success": DepartmentWork(
        (
            "Rewrite the help centre's top 20 articles",
            "Make the most-read help articles clear and current, in English and Dutch.",
            4,
            8,
        ),
        (
            "Onboarding playbook for enterprise shippers",
            "Write and pilot a playbook for the first ninety days of an enterprise account.",
            8,
            14,
        ),
    ),
    "Operations & Logistics": DepartmentWork(
        (
            "Cross-dock opening support",
            "Help the Hamburg cross-dock through its first weeks: slotting, staffing plans and carrier check-in.",
            12,
            6,
        ),
        (
            "Customs automation",
            "Automate the customs declarations of our top lanes with the brokers' APIs, and measure the time saved.",
            10,
            24,
        ),
    ),
    "People & HR": DepartmentWork(
        (
            "Interviewer training sessions",
            "Run structured-interview training for hiring managers in three offices.",
            4,
            6,
        ),
        (
            "Internal mobility pilot",
            "Set up Crosswalk with managers and employees: career paths, openings and the mentoring cohort.",
            6,
            16,
        ),
    ),
    "Finance": DepartmentWork(
        ("Travel expense audit", "Sample last quarter's travel expenses and report on policy compliance.", 4, 4),
        (
            "Month-end close automation",
            "Cut the month-end close from eight days to five by automating reconciliations and accruals.",
            10,
            20,
        ),
    ),
}

COURSE_PROVIDERS: tuple[str, ...] = (
    "Northwind Academy",
    "Coursera",
    "LinkedIn Learning",
    "Rotterdam School of Logistics",
    "Udemy Business",
)

# The mentoring programme of the demo: (name, description, goals).
MENTORING_PROGRAMME = (
    "Northwind Mentoring Circle",
    "Six months of monthly conversations between experienced colleagues and people early in their "
    "careers, across departments.",
    "Help mentees take their next career step, and connect people across departments and offices.",
)
