"""The course catalogue: HR edits it and imports it from CSV, all or nothing; everyone reads it."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import TenantFactory, TokenFactory
from tests.helpers import problem
from tests.training.conftest import CATALOG_CSV, BuildTraining, course_ids, import_csv, ok

Client = AsyncTestClient[Litestar]


async def test_import_creates_then_updates_and_a_rerun_changes_nothing(
    client: Client, build_training: BuildTraining
) -> None:
    t = await build_training()
    report = await ok(await import_csv(client, t.hr, CATALOG_CSV))
    assert report == {"rows": 4, "created": 4, "updated": 0, "unchanged": 0}
    ids = await course_ids(client, t.hr)
    course = await ok(await client.get(f"/api/v1/courses/{ids['B']}", headers=t.me))
    assert course["title"] == "SQL and dashboards"
    assert course["format"] == "classroom"
    assert course["cost"] == 300.0
    assert course["currency"] == "EUR"
    # Skills matched by label, whatever the case.
    assert {(s["skill_id"], s["level_reached"]) for s in course["skills"]} == {
        (t.skills["SQL"], 3),
        (t.skills["Tableau"], 3),
    }
    c = await ok(await client.get(f"/api/v1/courses/{ids['C']}", headers=t.me))
    assert (c["duration_hours"], c["currency"]) == (24.5, "EUR")

    # The same file again: nothing new, nothing changed.
    again = await ok(await import_csv(client, t.hr, CATALOG_CSV))
    assert again == {"rows": 4, "created": 0, "updated": 0, "unchanged": 4}
    assert await course_ids(client, t.hr) == ids

    # A changed row updates its course (found by provider and external_id), skills replaced; a skill
    # may also be named by its id; the columns may come in any order.
    changed = (
        "external_id,provider,title,format,duration_hours,cost,currency,skills,active\n"
        f"B,Acme,SQL and dashboards II,classroom,16,320,EUR,{t.skills['SQL']}:4,true\n"
        "D,Acme,Data basics,blended,8,100,EUR,SQL:2;Python:2,false\n"
        "E,Other,Negotiation,classroom,8,150,EUR,Negotiation:3,\n"
    )
    report = await ok(await import_csv(client, t.hr, changed))
    assert report == {"rows": 3, "created": 1, "updated": 2, "unchanged": 0}
    after = await course_ids(client, t.hr)
    assert {k: after[k] for k in ids} == ids
    b = await ok(await client.get(f"/api/v1/courses/{ids['B']}", headers=t.hr))
    assert (b["title"], b["cost"]) == ("SQL and dashboards II", 320.0)
    assert [(s["skill_label"], s["level_reached"]) for s in b["skills"]] == [("SQL", 4)]
    # The deactivated course leaves the list everyone sees.
    listed = await ok(await client.get("/api/v1/courses", headers=t.me))
    assert {c["external_id"] for c in listed["items"]} == {"A", "B", "C", "E"}


async def test_a_bad_file_is_refused_whole_with_its_line_numbers(client: Client, build_training: BuildTraining) -> None:
    t = await build_training()
    await ok(await import_csv(client, t.hr, CATALOG_CSV))
    before = await ok(await client.get("/api/v1/courses?limit=200", headers=t.hr))
    bad = (
        "provider,external_id,title,format,duration_hours,cost,currency,skills\n"
        "Acme,A,Changed title,online,40,900,EUR,SQL:4\n"  # line 2: fine, but must not be applied
        "Acme,X,New course,webinar,4,-3,EURO,SQL:7\n"  # line 3: format, cost, currency, skills
        "\n"  # line 4: blank, skipped
        "Acme,Y,Unknown skill,online,4,10,EUR,Knitting:2\n"  # line 5
        "Acme,A,Duplicate,online,4,10,EUR,\n"  # line 6: same key as line 2
        "Acme,Z,Too few fields\n"  # line 7
    )
    body = problem(await import_csv(client, t.hr, bad), 422)
    assert "nothing was imported" in body["detail"]
    fields = [e["field"] for e in body["errors"]]
    assert fields == [
        "line 3: format",
        "line 3: cost",
        "line 3: currency",
        "line 3: skills",
        "line 6: external_id",
        "line 7: row",
    ]
    # Skills are resolved once the rows themselves are valid: the unknown one is reported then.
    fixed = bad.replace("Acme,X,New course,webinar,4,-3,EURO,SQL:7\n", "").replace("Acme,A,Duplicate", "Acme,W,Dup")
    fixed = fixed.replace("Acme,Z,Too few fields\n", "")
    body = problem(await import_csv(client, t.hr, fixed), 422)
    assert [(e["field"], "Knitting" in e["message"]) for e in body["errors"]] == [("line 4: skills", True)]
    after = await ok(await client.get("/api/v1/courses?limit=200", headers=t.hr))
    assert after == before

    # A missing or unknown column, an empty file, bytes that are not UTF-8.
    header = problem(await import_csv(client, t.hr, "provider,title,colour\nAcme,T,red\n"), 422)
    assert {e["field"] for e in header["errors"]} == {
        "line 1: colour",
        "line 1: external_id",
        "line 1: format",
        "line 1: duration_hours",
        "line 1: cost",
        "line 1: currency",
    }
    problem(await import_csv(client, t.hr, ""), 422)
    response = await client.post(
        "/api/v1/courses/import", content=b"\xff\xfe", headers={**t.hr, "Content-Type": "text/csv"}
    )
    problem(response, 422)
    # A second currency would make costs incomparable: refused, nothing imported.
    usd = "provider,external_id,title,format,duration_hours,cost,currency\nAcme,U,Dollars,online,1,10,USD\n"
    assert "currencies" in problem(await import_csv(client, t.hr, usd), 422)["detail"]
    assert await ok(await client.get("/api/v1/courses?limit=200", headers=t.hr)) == before


async def test_too_large_a_file_is_refused(client: Client, build_training: BuildTraining) -> None:
    t = await build_training()
    header = "provider,external_id,title,format,duration_hours,cost,currency\n"
    many = header + "".join(f"Acme,{i},Course {i},online,1,10,EUR\n" for i in range(10_001))
    body = problem(await import_csv(client, t.hr, many), 422)
    assert "more than 10000 rows" in body["errors"][0]["message"]
    problem(await import_csv(client, t.hr, header + "x" * 5_100_000), 413)


async def test_crud_and_filters(client: Client, build_training: BuildTraining) -> None:
    t = await build_training()
    body = {
        "title": "Storytelling with data",
        "provider": "Acme",
        "external_id": "S1",
        "format": "online",
        "duration_hours": 6,
        "cost": 120.5,
        "currency": "EUR",
        "skills": [{"skill_id": t.skills["Tableau"], "level_reached": 4}],
    }
    created = await ok(await client.post("/api/v1/courses", json=body, headers=t.hr), 201)
    assert created["skills"][0]["skill_label"] == "Tableau"
    problem(await client.post("/api/v1/courses", json=body, headers=t.hr), 409)
    dollars = {**body, "external_id": "S2", "currency": "USD"}
    assert "currencies" in problem(await client.post("/api/v1/courses", json=dollars, headers=t.hr), 422)["detail"]
    unknown = {**body, "external_id": "S3", "skills": [{"skill_id": t.colleague_id, "level_reached": 2}]}
    assert problem(await client.post("/api/v1/courses", json=unknown, headers=t.hr), 422)["errors"][0]["field"] == (
        "skills"
    )
    other = await ok(
        await client.post(
            "/api/v1/courses",
            json={**body, "external_id": "S4", "title": "Python", "format": "classroom", "skills": []},
            headers=t.hr,
        ),
        201,
    )

    async def listed(query: str) -> list[str]:
        page = await ok(await client.get(f"/api/v1/courses?{query}", headers=t.me))
        return [c["id"] for c in page["items"]]

    assert await listed(f"skill_id={t.skills['Tableau']}") == [created["id"]]
    assert await listed("format=classroom") == [other["id"]]
    assert await listed("q=storytell") == [created["id"]]
    assert await listed("") == [created["id"], other["id"]]

    url = f"/api/v1/courses/{created['id']}"
    patched = await ok(await client.patch(url, json={"cost": 99, "skills": []}, headers=t.hr))
    assert (patched["cost"], patched["skills"], patched["title"]) == (99.0, [], "Storytelling with data")
    assert (await ok(await client.post(f"{url}/deactivate", headers=t.hr)))["active"] is False
    assert await listed("") == [other["id"]]
    # Still readable (plans and completions may name it), and HR can list it.
    assert (await ok(await client.get(url, headers=t.me)))["active"] is False
    assert len(await listed("include_inactive=true")) == 1  # only HR sees inactive ones
    page = await ok(await client.get("/api/v1/courses?include_inactive=true", headers=t.hr))
    assert len(page["items"]) == 2
    # HR lists the inactive ones alone; anyone else asking for them gets the active ones, as before.
    inactive = await ok(await client.get("/api/v1/courses?inactive_only=true", headers=t.hr))
    assert [c["id"] for c in inactive["items"]] == [created["id"]]
    assert await listed("inactive_only=true") == [other["id"]]
    assert (await ok(await client.post(f"{url}/activate", headers=t.hr)))["active"] is True
    assert await listed("") == [created["id"], other["id"]]
    # One provider's courses, named exactly.
    elsewhere = {**body, "provider": "Other", "external_id": "S5", "title": "Negotiation", "skills": []}
    third = await ok(await client.post("/api/v1/courses", json=elsewhere, headers=t.hr), 201)
    assert await listed("provider=Other") == [third["id"]]
    assert await listed("provider=Acme") == [created["id"], other["id"]]
    assert await listed("provider=Acm") == []


async def test_only_hr_edits_and_other_tenants_see_nothing(
    client: Client, build_training: BuildTraining, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    t = await build_training()
    problem(await import_csv(client, t.me, CATALOG_CSV), 403)
    problem(await import_csv(client, t.lms, CATALOG_CSV), 403)
    await ok(await import_csv(client, t.hr, CATALOG_CSV))
    ids = await course_ids(client, t.hr)
    body = {"title": "T", "provider": "P", "format": "online", "duration_hours": 1, "cost": 1, "currency": "EUR"}
    problem(await client.post("/api/v1/courses", json=body, headers=t.me), 403)
    problem(await client.post(f"/api/v1/courses/{ids['A']}/deactivate", headers=t.boss), 403)
    problem(await client.patch(f"/api/v1/courses/{ids['A']}", json={"cost": 1}, headers=t.me), 403)
    problem(await client.post("/api/v1/training-plans/recompute", headers=t.me), 403)
    # A partner app (an LMS) reads the catalogue.
    assert len((await ok(await client.get("/api/v1/courses", headers=t.lms)))["items"]) == 4

    stranger = auth(make_tenant())
    problem(await client.get(f"/api/v1/courses/{ids['A']}", headers=stranger), 404)
    problem(await client.patch(f"/api/v1/courses/{ids['A']}", json={"cost": 1}, headers=stranger), 404)
    problem(await client.post(f"/api/v1/courses/{ids['A']}/deactivate", headers=stranger), 404)
    assert (await ok(await client.get("/api/v1/courses", headers=stranger)))["items"] == []
    # Skills are matched in the importing tenant's library only: this one has none of them.
    refused = problem(await import_csv(client, stranger, CATALOG_CSV), 422)
    assert refused["errors"][0] == {
        "field": "line 2: skills",
        "message": "no skill of the library has the id, label or URI 'SQL'",
    }
    # The same courses without skills: that tenant's own, created there, nothing touched here.
    bare = "\n".join(line.rsplit(",", 2)[0] for line in CATALOG_CSV.splitlines()) + "\n"
    assert (await ok(await import_csv(client, stranger, bare)))["created"] == 4
    assert await course_ids(client, t.hr) == ids
