"""The `crosswalk` command as a user runs it: real process, real database."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text

from backend.settings import Settings
from tenants.migrator import CONTROL_TREE, script_directory
from tests.conftest import TenantFactory, process_env

CROSSWALK = Path(sys.executable).parent / "crosswalk"


def crosswalk(settings: Settings, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # Wide enough that rich's tables do not fold an error message across lines.
    env = {**process_env(settings, tmp_path), "COLUMNS": "240"}
    return subprocess.run([str(CROSSWALK), *args], env=env, capture_output=True, text=True, timeout=120)


def _counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as connection:
        tenants = connection.scalar(text("SELECT count(*) FROM control.tenants"))
        schemas = connection.scalar(text("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 't\\_%'"))
    return int(tenants or 0), int(schemas or 0)


def test_tenant_lifecycle_through_the_cli(settings: Settings, tmp_path: Path) -> None:
    created = crosswalk(settings, tmp_path, "tenants", "create", "cli_co", "--name", "CLI Company")
    assert created.returncode == 0, created.stderr
    assert "tenant cli_co (CLI Company) is active: schema t_cli_co" in created.stdout
    listed = crosswalk(settings, tmp_path, "tenants", "list")
    assert "cli_co" in listed.stdout
    assert "CLI Company" in listed.stdout
    suspended = crosswalk(settings, tmp_path, "tenants", "suspend", "cli_co")
    assert "cli_co is suspended" in suspended.stdout
    archived = crosswalk(settings, tmp_path, "tenants", "archive", "cli_co")
    assert "cli_co is archived" in archived.stdout
    again = crosswalk(settings, tmp_path, "tenants", "create", "cli_co", "--name", "Again")
    assert again.returncode == 1
    assert again.stderr.strip() == "error: tenant 'cli_co' already exists (archived)"


@pytest.mark.parametrize("slug", ["Acme", "acme;drop table x", "select", "a" * 31, "acme-corp"])
def test_bad_slugs_get_one_line_and_change_nothing(
    settings: Settings, tmp_path: Path, owner_engine: Engine, slug: str
) -> None:
    before = _counts(owner_engine)
    result = crosswalk(settings, tmp_path, "tenants", "create", slug, "--name", "Bad")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: tenant slug"), result.stderr
    assert _counts(owner_engine) == before


def test_unknown_tenant_and_role_are_one_line_errors(settings: Settings, tmp_path: Path) -> None:
    unknown = crosswalk(settings, tmp_path, "tokens", "create", "--tenant", "nobody_here", "--role", "hr_admin")
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == "error: no tenant 'nobody_here'"
    bad_role = crosswalk(settings, tmp_path, "tenants", "suspend", "nobody_here")
    assert bad_role.stderr.strip() == "error: no tenant 'nobody_here'"


def test_migrate_reports_a_summary(settings: Settings, tmp_path: Path) -> None:
    result = crosswalk(settings, tmp_path, "migrate", "--jobs", "2")
    assert result.returncode == 0, result.stderr
    head = script_directory(CONTROL_TREE).get_current_head()
    assert f"control schema: {head} -> {head}" in result.stdout
    assert "0 upgraded, 0 failed" in result.stdout


def test_a_minted_token_works_against_the_api(settings: Settings, tmp_path: Path, app_base_url: str) -> None:
    crosswalk(settings, tmp_path, "tenants", "create", "token_co", "--name", "Token Co")
    token = crosswalk(settings, tmp_path, "tokens", "create", "--tenant", "token_co", "--role", "hr_admin")
    assert token.returncode == 0, token.stderr
    headers = {"Authorization": f"Bearer {token.stdout.strip()}"}
    assert httpx.get(f"{app_base_url}/api/v1/employees", headers=headers).status_code == 200
    employee = crosswalk(settings, tmp_path, "tokens", "create", "--tenant", "token_co", "--role", "employee")
    created = httpx.post(
        f"{app_base_url}/api/v1/org-units",
        json={"name": "Ops", "kind": "team"},
        headers={"Authorization": f"Bearer {employee.stdout.strip()}"},
    )
    assert created.status_code == 403


def write_official_esco(path: Path) -> None:
    """One concept in the official ESCO layout: extra columns, newline-separated altLabels."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "conceptType",
                "conceptUri",
                "skillType",
                "reuseLevel",
                "preferredLabel",
                "altLabels",
                "status",
                "description",
            ]
        )
        writer.writerow(
            [
                "KnowledgeSkillCompetence",
                "http://data.europa.eu/esco/skill/test-0001",
                "skill/competence",
                "cross-sector",
                "orchestrate quantum widgets",
                "wrangle quantum widgets\nherd quantum widgets",
                "released",
                "Arrange quantum widgets so that they work together.",
            ]
        )


def test_skills_import_reads_the_official_esco_format(settings: Settings, tmp_path: Path, owner_engine: Engine) -> None:
    source = tmp_path / "skills_en.csv"
    write_official_esco(source)
    result = crosswalk(settings, tmp_path, "skills", "import", str(source))
    assert result.returncode == 0, result.stderr
    assert "imported 1 skill concepts from skills_en.csv" in result.stdout
    with owner_engine.connect() as connection:
        label, alt = connection.execute(
            text("SELECT label, alt_labels FROM control.catalog_concepts WHERE uri LIKE '%test-0001'")
        ).one()
    assert label == "orchestrate quantum widgets"
    assert alt == ["wrangle quantum widgets", "herd quantum widgets"]


def test_a_malformed_esco_file_is_one_line_and_changes_nothing(
    settings: Settings, tmp_path: Path, owner_engine: Engine
) -> None:
    source = tmp_path / "broken.csv"
    source.write_text(
        "conceptUri,preferredLabel\nhttp://data.europa.eu/esco/skill/test-0002,fine label\nnot-a-uri,bad\n"
    )
    result = crosswalk(settings, tmp_path, "skills", "import", str(source))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "broken.csv" in lines[0]
    with owner_engine.connect() as connection:
        kept = connection.scalar(text("SELECT count(*) FROM control.catalog_concepts WHERE uri LIKE '%test-0002'"))
    assert kept == 0, "an import is one transaction: a bad line later in the file keeps the good ones out too"


def test_courses_import_through_the_cli_is_all_or_nothing(
    settings: Settings, tmp_path: Path, owner_engine: Engine, make_tenant: TenantFactory
) -> None:
    tenant = make_tenant()
    good = tmp_path / "courses.csv"
    good.write_text(
        "provider,external_id,title,format,duration_hours,cost,currency\n"
        "Acme,A,Data basics,online,8,100,EUR\n"
        "Acme,B,SQL in depth,classroom,16,300,EUR\n"
    )
    imported = crosswalk(settings, tmp_path, "courses", "import", str(good), "--tenant", tenant.slug)
    assert imported.returncode == 0, imported.stderr
    assert "2 rows: 2 created, 0 updated, 0 unchanged" in imported.stdout

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "provider,external_id,title,format,duration_hours,cost,currency\n"
        "Acme,C,Fine,online,8,100,EUR\n"
        "Acme,D,Broken,hologram,-3,100,EUR\n"
    )
    refused = crosswalk(settings, tmp_path, "courses", "import", str(bad), "--tenant", tenant.slug)
    assert refused.returncode == 1
    assert "line 3: format" in refused.stderr
    assert refused.stderr.strip().splitlines()[-1].startswith("error: the file was refused, nothing was imported")
    with owner_engine.connect() as connection:
        titles = connection.scalars(text(f'SELECT title FROM "{tenant.schema_name}".courses ORDER BY title')).all()
    assert titles == ["Data basics", "SQL in depth"]


def test_dead_letters_are_listed_across_tenants_and_per_tenant(
    settings: Settings, tmp_path: Path, owner_engine: Engine, make_tenant: TenantFactory
) -> None:
    tenant, other = make_tenant(), make_tenant()
    with owner_engine.begin() as connection:
        for who, message_id, error in ((tenant, "m-one", "ValueError: row 7"), (other, "m-two", "KeyError: 'x'")):
            connection.execute(
                text(
                    "INSERT INTO control.dead_letters"
                    " (id, message_id, tenant_id, actor, queue, error, attempts, message)"
                    " VALUES (gen_random_uuid(), :m, :t, 'training.recommend_all', 'q', :e, 1, '{}')"
                ),
                {"m": message_id, "t": who.id, "e": error},
            )
    everyone = crosswalk(settings, tmp_path, "jobs", "dead-letters", "--limit", "1000")
    assert everyone.returncode == 0, everyone.stderr
    assert "m-one" in everyone.stdout
    assert "m-two" in everyone.stdout
    mine = crosswalk(settings, tmp_path, "jobs", "dead-letters", "--tenant", tenant.slug)
    assert "m-one" in mine.stdout
    assert "ValueError: row 7" in mine.stdout
    assert "m-two" not in mine.stdout
